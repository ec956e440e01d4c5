#!/usr/bin/env bats
# CVE-2024-21626 class: a working directory reached through a file
# descriptor the runtime holds on a host directory.  A config (or an exec
# request) names `/proc/self/fd/N` as the cwd; if N is one of the runtime's
# own directory fds at chdir time, the process would start with its cwd
# outside the container's root and walk the host's tree with `..`.  brig
# refuses any cwd that getcwd(2) cannot name from inside the root.
#
# Each test tries every low fd number, proves that at least one of them WAS
# a host directory the check refused (the attack reached its target), and
# that no attempt ever ran with a cwd outside the root.

load helpers
load ../helpers/cwd-attack

exec_at() {
    try runtime exec --cwd "/proc/self/fd/$1" "$ID" sh -c 'pwd'
}

# run_at N: `run` with process.cwd /proc/self/fd/N.  The caller passes a
# host directory as fd 3 (--preserve-fds 1, as a supervisor handing over a
# socket directory would), so at chdir time the init holds at least that
# one directory fd from outside the root.
run_at() {
    local id=$ID-c$1
    cfg '.process.cwd = $c' --arg c "/proc/self/fd/$1"
    try runtime run --preserve-fds 1 "$id" 3<"$HOSTDIR"
    runtime delete --force "$id" >/dev/null 2>&1 || true
}

# check_results RESULTS [reached]: with `reached`, the attack must have met
# at least one fd that was a host directory (a refusal).
check_results() {
    local results=$1
    echo "$results"
    [ "${2:-}" != reached ] || grep -q '^refused:' <<<"$results"
    # And never did a process start outside the root.
    ! grep -E '^ran:' <<<"$results" | grep -v ':/proc/self/fd/'
    # A process that did run saw a path inside the root (a directory of the
    # container's own /proc), never "(unreachable)".
    ! grep -q 'unreachable' <<<"$results"
}

@test "exec --cwd /proc/self/fd/N: a runtime fd on a host directory is refused, never entered" {
    cmd 'sleep 1000'
    run_detached
    results=$(cwd_attempts exec_at)
    # exec holds directory fds of the host at chdir time: the check is what
    # stops them, and the attack must have met one.
    check_results "$results" reached
}

@test "process.cwd /proc/self/fd/N: the init never starts outside the root" {
    HOSTDIR=$BATS_TEST_TMPDIR/hostdir
    mkdir -p "$HOSTDIR"
    cmd 'pwd'
    results=$(cwd_attempts run_at)
    # The init holds no host directory fd at chdir time (the preserved fds
    # are put in place after it): every attempt fails to find a directory.
    check_results "$results"
    ! grep -q '^ran:' <<<"$results"
}
