#!/usr/bin/env bats
# CVE-2024-21626 class through the engine: `brig exec -w /proc/self/fd/N`
# and `brig run -w /proc/self/fd/N`.  Whatever directory fds brig, its
# monitor or libbrig hold at chdir time, no process may start with its cwd
# outside the container's root.  See tests/integration/escape-cwd.bats for
# the runtime's paths.

load engine-helpers

setup_file() {
    engine_setup_file
}

teardown_file() {
    engine_teardown_file
}

# outcome N: classify the last `try`.
outcome() {
    if [ "$status" -eq 0 ]; then
        echo "ran:$1:$output"
    elif [[ "$stderr" == *"is outside the container root"* ]]; then
        echo "refused:$1"
    else
        echo "other:$1"
    fi
}

@test "brig exec -w /proc/self/fd/N: a host directory fd is refused, never entered" {
    ok run -d --name cw busybox sleep 1000
    results=$(for n in 3 4 5 6 7 8 9 10 11 12; do
        try "$BRIG" exec -w "/proc/self/fd/$n" cw sh -c 'pwd'
        outcome "$n"
    done)
    echo "$results"
    # exec meets the library's host directory fds at chdir: the check stops them.
    grep -q '^refused:' <<<"$results"
    ! grep -q '^ran:' <<<"$results"
}

@test "brig run -w /proc/self/fd/N: the container never starts outside its root" {
    results=$(for n in 3 4 5 6 7 8 9 10 11 12; do
        try "$BRIG" run --rm -w "/proc/self/fd/$n" busybox sh -c 'pwd'
        outcome "$n"
    done)
    echo "$results"
    ! grep -q '^ran:' <<<"$results"
}
