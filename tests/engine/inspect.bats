#!/usr/bin/env bats
# brig inspect and ps --format json: docker's field names and types, and
# values that match what the container really runs with (issue 4, "Tests":
# "ps/inspect JSON validated against docker's field names").
#
#   BRIG=build/src/engine/brig bats tests/engine/inspect.bats

load engine-helpers

setup_file() {
    engine_setup_file cfg
}

teardown_file() {
    engine_teardown_file
}

RFC3339='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$'

# jqe FILTER: the filter must hold on $output (jq -e), printed when not.
jqe() {
    jq -e "$@" <<<"$output" >/dev/null || {
        echo "jq -e $* does not hold on:"
        jq . <<<"$output" | head -200
        return 1
    }
}

@test "inspect: a JSON array with docker's top-level fields" {
    ok run -d --name web busybox sleep 1000
    id=$output
    ok inspect web
    jqe 'type == "array" and length == 1'
    for k in Id Name Created Path Args State Image Config HostConfig Mounts GraphDriver \
        ProcessLabel MountLabel EffectiveCaps BoundingCaps SeccompMode; do
        jqe --arg k "$k" '.[0] | has($k)' || { echo "missing $k"; return 1; }
    done
    jqe --arg id "$id" '.[0].Id == $id'
    jqe '.[0].Name == "/web"'
    jqe '.[0].Path == "sleep" and .[0].Args == ["1000"]'
    jqe '.[0].Image | test("^sha256:[0-9a-f]{64}$")'
    jqe '.[0].Config.Image == "busybox"'
    created=$(jq -r '.[0].Created' <<<"$output")
    [[ "$created" =~ $RFC3339 ]]
    jqe '.[0].GraphDriver.Name == "overlay" or .[0].GraphDriver.Name == "vfs"'
    jqe '.[0].GraphDriver.Data | type == "object"'
    jqe '(.[0].ProcessLabel | type) == "string" and (.[0].MountLabel | type) == "string"'
}

@test "inspect State: running, then exited with its code and times" {
    # The container exits when the test says so (a line on a fifo), not
    # after a delay a slow build could outlast.
    mkdir "$BATS_TEST_TMPDIR/go"
    mkfifo "$BATS_TEST_TMPDIR/go/fifo"
    ok run -d --name st -v "$BATS_TEST_TMPDIR/go:/go" busybox sh -c 'read l </go/fifo; exit 3'
    ok inspect st
    jqe '.[0].State | .Status == "running" and .Running == true and .Paused == false
        and (.Pid | type) == "number" and .Pid > 0 and .ExitCode == 0
        and .FinishedAt == "0001-01-01T00:00:00Z"'
    started=$(jq -r '.[0].State.StartedAt' <<<"$output")
    [[ "$started" =~ $RFC3339 ]]
    pid=$(jq -r '.[0].State.Pid' <<<"$output")
    [ -d "/proc/$pid" ]
    timeout 60 sh -c 'echo go >"$1"' sh "$BATS_TEST_TMPDIR/go/fifo"
    ok wait st
    ok inspect st
    jqe '.[0].State | .Status == "exited" and .Running == false and .Pid == 0 and .ExitCode == 3'
    finished=$(jq -r '.[0].State.FinishedAt' <<<"$output")
    [[ "$finished" =~ $RFC3339 ]]
    [[ ! "$finished" < "$started" ]]
    # a created container never started
    ok create --name fresh busybox true
    ok inspect fresh
    jqe '.[0].State | .Status == "created" and .Running == false and .Pid == 0
        and .StartedAt == "0001-01-01T00:00:00Z"'
}

@test "inspect Config: what run was given" {
    ok create --name cfg -e A=1 -w /work -u 1000:1000 -h hh -t -i -l team=blue --label x=y \
        busybox sh -c 'echo hi'
    ok inspect cfg
    jqe '.[0].Config | .Image == "busybox" and .WorkingDir == "/work" and .User == "1000:1000"
        and .Tty == true and .OpenStdin == true and .Hostname == "hh"
        and .Cmd == ["sh", "-c", "echo hi"] and (.Entrypoint == null or .Entrypoint == [])
        and .Labels.team == "blue" and .Labels.x == "y"'
    jqe '.[0].Config.Env | index("A=1") != null'
    jqe '.[0].Config.Env | map(startswith("PATH=")) | any'
}

@test "inspect Config from the image: Entrypoint, Cmd, Env, WorkingDir, User, Labels" {
    ok create --name fromimg cfgimg
    ok inspect fromimg
    jqe '.[0].Config | .Image == "cfgimg" and .Entrypoint == ["/bin/sh", "-c"]
        and (.Cmd | length) == 1 and .WorkingDir == "/srv/app" and .User == "app"
        and .Labels["org.brig.test"] == "yes" and (.Env | index("FOO=bar") != null)'
    jqe '.[0].Path == "/bin/sh" and .[0].Args[0] == "-c"'
    ok create --name noep --entrypoint "" cfgimg echo x
    ok inspect noep
    jqe '.[0].Config | (.Entrypoint == null or .Entrypoint == []) and .Cmd == ["echo", "x"]'
    jqe '.[0].Path == "echo" and .[0].Args == ["x"]'
}

@test "inspect HostConfig: the resource, security and mount options" {
    src=$BATS_TEST_TMPDIR/vol
    mkdir -p "$src"
    ok create --name hc --read-only --cap-add NET_ADMIN --cap-drop CHOWN \
        --memory 64m --cpus 1.5 --cpu-shares 256 --cpuset-cpus 0 --pids-limit 20 --rm \
        --network none --security-opt no-new-privileges -v "$src:/data:ro" busybox true
    ok inspect hc
    jqe '.[0].HostConfig | .Privileged == false and .ReadonlyRootfs == true
        and .CapAdd == ["NET_ADMIN"] and .CapDrop == ["CHOWN"]
        and .Memory == 67108864 and .NanoCpus == 1500000000 and .CpuShares == 256
        and .CpusetCpus == "0" and .PidsLimit == 20 and .AutoRemove == true
        and .NetworkMode == "none" and (.SecurityOpt | index("no-new-privileges") != null)'
    jqe --arg b "$src:/data:ro" '.[0].HostConfig.Binds == [$b]'
    jqe --arg s "$src" '.[0].Mounts | map(select(.Destination == "/data")) | length == 1
        and .[0].Type == "bind" and .[0].Source == $s and .[0].RW == false'
    ok create --name hc2 --privileged --network host busybox true
    ok inspect hc2
    jqe '.[0].HostConfig | .Privileged == true and .NetworkMode == "host"'
}

@test "inspect caps and seccomp: what the container really gets" {
    ok run -d --name sec busybox sleep 1000
    ok inspect sec
    want=$(for c in $DEFAULT_CAPS; do echo "CAP_$c"; done | sort | jq -R . | jq -sc .)
    jqe --argjson w "$want" '(.[0].EffectiveCaps | sort) == $w and (.[0].BoundingCaps | sort) == $w'
    jqe '.[0].SeccompMode == "filter"'
    # and it agrees with the kernel's view of the process
    pid=$(pid_of sec)
    [ "$(awk '$1 == "CapEff:" { print $2 }' "/proc/$pid/status")" = "$(cap_mask $DEFAULT_CAPS)" ]
    [ "$(awk '$1 == "Seccomp:" { print $2 }' "/proc/$pid/status")" = 2 ]
    ok create --name unc --security-opt seccomp=unconfined --cap-drop ALL busybox true
    ok inspect unc
    jqe '.[0].SeccompMode == "disabled" and .[0].EffectiveCaps == []'
}

@test "inspect -f / --format: one field per line" {
    ok run -d --name fmt busybox sleep 1000
    id=$output
    ok inspect -f '{{.State.Status}}' fmt
    [ "$output" = running ]
    ok inspect --format '{{.Id}} {{.Name}}' fmt
    [ "$output" = "$id /fmt" ]
    ok inspect -f '{{json .Config.Cmd}}' fmt
    [ "$output" = '["sleep","1000"]' ]
    ok inspect -f '{{.State.Running}}' fmt
    [ "$output" = true ]
}

@test "inspect: several containers, and an image" {
    ok create --name one busybox true
    ok create --name two busybox true
    ok inspect one two
    jqe 'length == 2 and .[0].Name == "/one" and .[1].Name == "/two"'
    ok inspect busybox
    jqe '.[0].Id | test("^sha256:[0-9a-f]{64}$")'
    jqe '.[0].RepoTags | map(test("busybox")) | any'
}

@test "ps --format json: docker's field names" {
    ok run -d --name pj -l k=v busybox sleep 1000
    id=$output
    b run --name pjx busybox sh -c 'exit 2'
    ok ps --format json
    jqe 'type == "array" and length == 1'
    jqe --arg id "$id" '.[0] | .Id == $id and .Image == "busybox" and .State == "running"
        and (.Status | startswith("Up")) and (.Names | type) == "array"
        and (.Names[0] | ltrimstr("/")) == "pj" and (.Command | test("sleep 1000"))
        and (.Created | type) == "number" and .Labels.k == "v"'
    now=$(date +%s)
    jqe --argjson now "$now" '.[0].Created <= $now and .[0].Created > $now - 600'
    ok ps -a --format json
    jqe 'length == 2'
    jqe '.[] | select((.Names[0] | ltrimstr("/")) == "pjx") | .State == "exited" and (.Status | startswith("Exited (2)"))'
    ok ps -a --format '{{json .}}'
    jqe 'length == 2'
}
