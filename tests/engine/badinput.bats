#!/usr/bin/env bats
# Bad input to brig (issue 4, "Bad input"): each mistake a user can type
# gets a non-zero exit, ONE line on stderr (`brig: ...`) that names the
# thing and the reason, and leaves nothing behind: no container in `ps -a`,
# no directory under the store's containers/, no names/ entry, no mount,
# no runtime state, no MCS reservation, no cgroup.
#
#   BRIG=build/src/engine/brig bats tests/engine/badinput.bats

load engine-helpers

setup_file() {
    engine_setup_file
}

teardown_file() {
    engine_teardown_file
}

# refused TEXT [STATUS] -- ARGS...: brig ARGS fails the brig way naming
# TEXT, and nothing is left.
refused() {
    local text=$1 code=
    shift
    if [ "$1" != -- ]; then
        code=$1
        shift
    fi
    shift
    b "$@"
    expect_error "$text" "$code"
    assert_nothing_left
}

@test "unknown command and unknown flags" {
    refused "frobnicate" -- frobnicate
    refused "--bogus" -- --bogus
    refused "--bogus" 125 -- run --bogus busybox true
    refused "-Z" 125 -- run -Z busybox true
    refused "--bogus" -- ps --bogus
    refused "--bogus" -- rm --bogus x
    refused "--bogus" -- inspect --bogus x
    refused "--bogus" -- logs --bogus x
}

@test "run/create without an image" {
    refused "image" 125 -- run
    refused "image" 125 -- create --rm
}

@test "missing image: not found" {
    refused "nosuchimage" 125 -- run --rm nosuchimage true
    [[ "$stderr" == *"not found"* ]]
    refused "nosuchimage" 125 -- create nosuchimage:latest true
    [[ "$stderr" == *"not found"* ]]
}

@test "no command: an image without Cmd or Entrypoint, and none given" {
    refused "no command" 125 -- run --rm busybox
    refused "no command" 125 -- create busybox
    refused "no command" 125 -- run --rm --entrypoint "" busybox
}

# BRIG BUG (see the suite report): the monitor reports start errors as text,
# so the errno is lost and run exits 125 instead of docker's 127.
@test "command not found in the image: 127, nothing left with --rm" {
    refused "nosuchcmd" 127 -- run --rm busybox nosuchcmd
}

@test "bad volume specs: relative source, missing destination, unknown option, relative destination" {
    refused "relative:/data" 125 -- run --rm -v relative:/data busybox true
    refused "/tmp:" 125 -- run --rm -v /tmp: busybox true
    refused "bogus" 125 -- run --rm -v "$BATS_TEST_TMPDIR:/data:bogus" busybox true
    refused "data" 125 -- run --rm -v "$BATS_TEST_TMPDIR:data" busybox true
    refused "/x/../y" 125 -- run --rm -v "$BATS_TEST_TMPDIR:/x/../y" busybox true
    refused "ro" 125 -- run --rm -v "$BATS_TEST_TMPDIR:/data:ro,rw" busybox true
    refused "/data" 125 -- run --rm -v /data busybox true
}

@test "bad --mount and --tmpfs" {
    refused "--mount" 125 -- run --rm --mount type=bind,target=/m busybox true
    refused "/does/not/exist" 125 -- run --rm --mount type=bind,source=/does/not/exist,target=/m busybox true
    refused "volume" 125 -- run --rm --mount type=volume,source=v,target=/m busybox true
    refused "bogus" 125 -- run --rm --mount type=tmpfs,target=/m,bogus=1 busybox true
    refused "relative" 125 -- run --rm --tmpfs relative busybox true
    # BRIG BUG (see the suite report): an unknown tmpfs option passes
    # create and fails at start with "mount ... Invalid argument"
    refused "notanoption" 125 -- run --rm --tmpfs /t:notanoption busybox true
}

@test "a name in use: refused, the first container untouched" {
    ok run -d --name dup busybox sleep 1000
    first=$output
    b run -d --name dup busybox sleep 1000
    expect_error "dup" 125
    [[ "$stderr" == *"already in use"* ]]
    ok ps -a -q --no-trunc
    [ "$output" = "$first" ]
    [ "$(ls "$BRIG_STORAGE_ROOT/containers")" = "$first" ]
    [ "$(readlink "$BRIG_STORAGE_ROOT/names/dup")" = "$first" ]
    [ "$(state_of dup)" = running ]
    b create --name dup busybox true
    expect_error "dup" 125
    ok create --name other busybox true
    b rename other dup
    expect_error "dup"
    ok inspect -f '{{.Name}}' other
    [ "$output" = /other ]
}

@test "bad container names" {
    refused "bad/name" 125 -- run --rm --name bad/name busybox true
    refused "-x" 125 -- run --rm --name=-x busybox true
}

@test "invalid label options" {
    refused "label=foo:bar" 125 -- run --rm --security-opt label=foo:bar busybox true
    refused "label:foo" 125 -- run --rm --security-opt label:foo busybox true
    refused "bogus" 125 -- run --rm --security-opt bogus=1 busybox true
}

@test "seccomp profile: missing, unreadable (a directory), not JSON, empty" {
    refused "/nonexistent/profile.json" 125 -- run --rm --security-opt seccomp=/nonexistent/profile.json busybox true
    mkdir -p "$BATS_TEST_TMPDIR/dir.json"
    refused "dir.json" 125 -- run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/dir.json" busybox true
    echo '{ not json' >"$BATS_TEST_TMPDIR/bad.json"
    refused "bad.json" 125 -- run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/bad.json" busybox true
    echo '{"defaultAction": "SCMP_ACT_NOPE"}' >"$BATS_TEST_TMPDIR/badact.json"
    refused "badact.json" 125 -- run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/badact.json" busybox true
    refused "seccomp" 125 -- run --rm --security-opt seccomp= busybox true
}

@test "bad resource values: --memory, --cpus, --cpu-shares, --cpuset-cpus, --pids-limit" {
    refused "lots" 125 -- run --rm --memory lots busybox true
    refused "--memory" 125 -- run --rm --memory 1k busybox true
    refused "abc" 125 -- run --rm --cpus abc busybox true
    refused "--cpus" 125 -- run --rm --cpus 0 busybox true
    refused "--cpus" 125 -- run --rm --cpus 4096 busybox true
    refused "--cpu-shares" 125 -- run --rm --cpu-shares many busybox true
    refused "--cpuset-cpus" 125 -- run --rm --cpuset-cpus x-y busybox true
    refused "--pids-limit" 125 -- run --rm --pids-limit 0 busybox true
}

@test "bad --ulimit, --cap-add, --cap-drop, --network, -p, --env-file, -w, -h" {
    refused "nofile=abc" 125 -- run --rm --ulimit nofile=abc busybox true
    refused "bogus" 125 -- run --rm --ulimit bogus=1 busybox true
    refused "nofile" 125 -- run --rm --ulimit nofile=200:100 busybox true
    refused "NOT_A_CAP" 125 -- run --rm --cap-add NOT_A_CAP busybox true
    refused "BOGUS" 125 -- run --rm --cap-drop BOGUS busybox true
    refused "nosuchnet" 125 -- run --rm --network nosuchnet busybox true
    refused "80:80" 125 -- run --rm -p 80:80 busybox true
    refused "/nonexistent/env" 125 -- run --rm --env-file /nonexistent/env busybox true
    refused "relative/dir" 125 -- run --rm -w relative/dir busybox true
    refused "--hostname" 125 -- run --rm -h "$(printf 'h%.0s' {1..70})" busybox true
}

@test "an unknown user or group: refused at start, nothing left with --rm" {
    refused "ghost" 125 -- run --rm -u ghost busybox true
    refused "ghostgroup" 125 -- run --rm -u 0:ghostgroup busybox true
}

@test "exec in a stopped container, and in a missing one" {
    b run --name stopped busybox true
    b exec stopped true
    expect_error "stopped" 125
    [[ "$stderr" == *"not running"* ]]
    b exec nosuchctr true
    expect_error "nosuchctr" 125
    b exec stopped
    expect_error "" 125
}

@test "rm of a running container without -f is refused, the container keeps running" {
    ok run -d --name running busybox sleep 1000
    b rm running
    expect_error "running"
    [[ "$stderr" == *"-f"* ]]
    [ "$(state_of running)" = running ]
}

@test "verbs on a missing container: start, stop, kill, rm, logs, wait, inspect, pause, top, rename" {
    for verb in start stop kill rm logs wait inspect pause unpause top port; do
        b "$verb" nosuchctr
        expect_error "nosuchctr"
    done
    b rename nosuchctr newname
    expect_error "nosuchctr"
    assert_nothing_left
}

@test "verbs in the wrong state: kill/pause/top of an exited container, unpause of a running one" {
    b run --name ex busybox true
    for verb in kill pause top; do
        b "$verb" ex
        expect_error "ex"
    done
    ok run -d --name live busybox sleep 1000
    b unpause live
    expect_error "live"
}

@test "bad flag values on lifecycle verbs: stop -t, kill -s, logs --tail, ps --format" {
    ok run -d --name v busybox sleep 1000
    b stop -t abc v
    expect_error "abc"
    b kill -s BOGUS v
    expect_error "BOGUS"
    [ "$(state_of v)" = running ]
    b logs --tail abc v
    expect_error "abc"
    b ps --format '{{.Bogus}}'
    expect_error "format"
    b inspect -f '{{.NoSuchField}}' v
    expect_error "NoSuchField"
}

@test "a half-made container never survives: failures at start clean up with --rm" {
    # the workdir is a file in the image: the container cannot start
    refused "" -- run --rm -w /etc/passwd busybox true
}
