#!/usr/bin/env bats
# brig.conf keys at work: each key is set in a BRIG_CONFIG file and its
# effect observed inside (or on) a container, not only in `brig info`
# (tests/engine/info.bats covers parsing and display; the SELinux keys are
# proven in the guest by tests/selinux/engine.bats).  docs/brig.conf.md.
#
#   BRIG=$PWD/build/src/engine/brig BRIG_RUNTIME=$PWD/build/src/runtime/brig-runtime \
#       bats tests/engine/conf-applied.bats

load engine-helpers

setup_file() {
    engine_setup_file
}

teardown_file() {
    engine_teardown_file
}

# conf LINES...: this test's brig.conf, one key per argument.
conf() {
    export BRIG_CONFIG=$BATS_TEST_TMPDIR/brig.conf
    printf '%s\n' "$@" >"$BRIG_CONFIG"
}

@test "default_capabilities: the container's sets are exactly the configured ones" {
    conf 'default_capabilities = ["CHOWN", "CAP_KILL", "net_raw"]'
    ok run --rm busybox cat /proc/self/status
    want=$(cap_mask CHOWN KILL NET_RAW)
    [ "$(status_field CapEff)" = "$want" ]
    [ "$(status_field CapBnd)" = "$want" ]
    # --cap-add still adds on top of the configured set.
    ok run --rm --cap-add SYS_ADMIN busybox cat /proc/self/status
    [ "$(status_field CapEff)" = "$(cap_mask CHOWN KILL NET_RAW SYS_ADMIN)" ]
    # An empty list is no capability at all.
    conf 'default_capabilities = []'
    ok run --rm busybox cat /proc/self/status
    [ "$(status_field CapEff)" = 0000000000000000 ]
}

@test "default_ulimits: every container gets them; --ulimit overrides one by name" {
    conf 'default_ulimits = ["nofile=1024:4096", "nproc=512"]'
    ok run --rm busybox sh -c 'ulimit -Sn; ulimit -Hn; ulimit -Su'
    [ "${lines[0]}" = 1024 ] && [ "${lines[1]}" = 4096 ] && [ "${lines[2]}" = 512 ]
    ok run --rm --ulimit nofile=100:200 busybox sh -c 'ulimit -Sn; ulimit -Hn; ulimit -Su'
    [ "${lines[0]}" = 100 ] && [ "${lines[1]}" = 200 ] && [ "${lines[2]}" = 512 ]
}

@test "seccomp_profile: unconfined turns the filter off; a file's rules apply" {
    conf 'seccomp_profile = "unconfined"'
    ok run --rm busybox cat /proc/self/status
    [ "$(status_field Seccomp)" = 0 ]
    cat >"$BATS_TEST_TMPDIR/nomkdir.json" <<'EOT'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
EOT
    conf "seccomp_profile = \"$BATS_TEST_TMPDIR/nomkdir.json\""
    b run --rm busybox sh -c 'grep Seccomp: /proc/self/status; mkdir /x && echo made'
    [ "$status" -ne 0 ]
    [[ "$output" == *"Seccomp:"*2* ]]
    [[ "$output" != *made* ]]
    [[ "$stderr" == *"Operation not permitted"* ]]
    # The default is brig's own filter (mode 2) that lets mkdir through.
    conf 'seccomp_profile = "default"'
    ok run --rm busybox sh -c 'mkdir /x && echo made'
    [ "$output" = made ]
}

@test "log_max_size and log_max_files: the json-file log rotates at that size and keeps that many" {
    conf 'log_max_size = "1k"' 'log_max_files = 2'
    ok run --name lg busybox sh -c 'i=0; while [ $i -lt 200 ]; do echo line-$i-padding-padding-padding; i=$((i+1)); done'
    logpath=$("$BRIG" inspect -f '{{.LogPath}}' lg 3>&-)
    [ -f "$logpath" ]
    n=$(ls "$logpath"* | wc -l)
    echo "log files: $(ls -l "$logpath"*)"
    [ "$n" -eq 2 ]
    for f in "$logpath"*; do
        [ "$(stat -c %s "$f")" -le 2048 ]
    done
    # The newest lines are still there for `logs`.
    ok logs lg
    [ "${lines[-1]}" = line-199-padding-padding-padding ]
}

@test "storage_driver = vfs: the container's root is a copy, not an overlay" {
    conf 'storage_driver = "vfs"'
    ok run --name vf busybox sh -c 'awk "\$5 == \"/\" { print \$9 }" /proc/self/mountinfo; echo hi >/new'
    [ "${lines[0]}" != overlay ]
    ok inspect -f '{{.GraphDriver.Name}}' vf
    [ "$output" = vfs ]
    conf 'storage_driver = "overlay"'
    ok run --rm busybox awk '$5 == "/" { print $9 }' /proc/self/mountinfo
    [ "$output" = overlay ]
}
