#!/usr/bin/env bats
# `brig exec` against a container that prepared a trap: a fake
# cap_last_cap, a fake /proc/self/setgroups, a rewritten /etc/passwd and
# /etc/group.  What decides the exec'd process's privileges comes from the
# host (or, for -u NAME, only the ids the image's entry names).  See
# docs/threat-model.md.
#
#   BRIG=$PWD/build/src/engine/brig BRIG_RUNTIME=$PWD/build/src/runtime/brig-runtime \
#       bats tests/engine/escape-exec.bats

load engine-helpers

setup_file() {
    engine_setup_file
}

teardown_file() {
    engine_teardown_file
}

@test "brig exec under a fake cap_last_cap gets exactly the container's capabilities" {
    ok run -d --name ex --cap-add SYS_ADMIN busybox sleep 1000
    ok exec ex sh -c 'mount -t tmpfs none /proc/sys/kernel && echo 5 >/proc/sys/kernel/cap_last_cap'
    ok exec ex sh -c 'cat /proc/sys/kernel/cap_last_cap; cat /proc/self/status'
    # The attack reached its target: the exec'd process saw the fake file.
    [ "${lines[0]}" = 5 ]
    want=$(cap_mask $DEFAULT_CAPS SYS_ADMIN)
    [ "$(status_field CapBnd)" = "$want" ]
    [ "$(status_field CapEff)" = "$want" ]
    [ "$(status_field CapPrm)" = "$want" ]
}

@test "brig exec -u 1000:1000 under a fake /proc/self/setgroups keeps none of the caller's groups" {
    ok run -d --name ex --cap-add SYS_ADMIN busybox sleep 1000
    ok exec ex sh -c 'mount -t tmpfs none /proc && mkdir /proc/self && echo deny >/proc/self/setgroups'
    [ "$(setpriv --groups 6,26 id -G)" = "0 6 26" ]
    try setpriv --groups 6,26 -- timeout -k 5 60 "$BRIG" exec -u 1000:1000 ex \
        sh -c 'cat /proc/self/setgroups; id -G'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = deny ]
    # uid 1000 is `app` in the image, also in group `extra` (1500): those
    # groups and no other (docker's semantics for a numeric -u).
    [ "${lines[1]}" = "1000 1500" ]
}

@test "brig exec -u NAME: a garbled id in the container's passwd or group grants nothing" {
    ok run -d --name ex busybox sleep 1000
    # Root in the container rewrites the files `-u NAME` is resolved from.
    ok exec ex sh -c 'echo "evil:x:1000:x::/:/bin/sh" >>/etc/passwd &&
        echo "sneaky:x:notanumber:app" >>/etc/group && echo "blank:x::app" >>/etc/group'
    # The attack reached its target: the engine reads these very files.
    ok exec ex grep -c -e '^evil:' -e '^sneaky:' -e '^blank:' /etc/passwd /etc/group
    b exec -u evil ex id
    expect_error "user \`evil\`: the image's /etc/passwd entry has no valid uid and gid"
    ok exec -u app ex id -G
    [ "$output" = "1000 1500" ]
}
