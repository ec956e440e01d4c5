#!/usr/bin/env bats
# CVE-2024-21626 class through the engine: `brig exec -w /proc/self/fd/N`
# and `brig run -w /proc/self/fd/N`.  Whatever directory fds brig, its
# monitor or libbrig hold at chdir time, no process may start with its cwd
# outside the container's root.  See tests/integration/escape-cwd.bats for
# the runtime's paths.

load engine-helpers
load ../helpers/cwd-attack

setup_file() {
    engine_setup_file
}

teardown_file() {
    engine_teardown_file
}

exec_at() { try "$BRIG" exec -w "/proc/self/fd/$1" cw sh -c 'pwd'; }
run_at() { try "$BRIG" run --rm -w "/proc/self/fd/$1" busybox sh -c 'pwd'; }

@test "brig exec -w /proc/self/fd/N: a host directory fd is refused, never entered" {
    ok run -d --name cw busybox sleep 1000
    results=$(cwd_attempts exec_at)
    echo "$results"
    # exec meets the library's host directory fds at chdir: the check stops them.
    grep -q '^refused:' <<<"$results"
    ! grep -q '^ran:' <<<"$results"
}

@test "brig run -w /proc/self/fd/N: the container never starts outside its root" {
    results=$(cwd_attempts run_at)
    echo "$results"
    ! grep -q '^ran:' <<<"$results"
}
