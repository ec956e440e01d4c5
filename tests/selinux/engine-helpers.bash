# shellcheck shell=bash disable=SC2016,SC2154 # jq programs are single-quoted; bats sets output
# Helpers for tests/selinux/engine.bats: the `brig` engine, driven as a user
# types it, under enforcing SELinux (the tests/vm guest).  Load after
# ../integration/helpers and svirt-helpers (their kernel-log, attempt and
# label helpers are used as they are; setup/teardown are replaced here).
#
# One image store and one run root per file ($BATS_FILE_TMPDIR): importing
# the busybox image once keeps the number of slow (TCG) steps down.  Every
# test must leave no container, no mount under the store and no MCS
# reservation; teardown removes what is left and fails the test if it had
# to, or if the engine's own `rm -f` did not clean up.

BRIG=${BRIG:-${BRIG_TOP:-}/bin/brig}
IMG=brigtest

# brig ARGS...: the engine with this file's stores.  fd 3 is bats' TAP
# channel: a detached container (its monitor) must never hold it.  Bounded,
# so a hung brig fails its test instead of the run.
brig() {
    timeout -k 5 "${BRIG_TEST_TIMEOUT:-60}" "$BRIG" "$@" 3>&-
}

engine_require() {
    svirt_require_selinux
    [ -x "$BRIG" ] || {
        echo "\`$BRIG\` (the brig engine) is not in the payload: set BRIG" >&2
        return 1
    }
}

# svirt_require without its brig-runtime check: SELinux enforcing with MCS,
# a failure in the guest and a skip (with the reason) elsewhere.
svirt_require_selinux() {
    local why=
    if [ ! -e /sys/fs/selinux/enforce ]; then
        why="SELinux is not enabled"
    elif [ "$(cat /sys/fs/selinux/enforce)" != 1 ]; then
        why="SELinux is not enforcing"
    elif [ "$(cat /sys/fs/selinux/mls)" != 1 ]; then
        why="the loaded policy has no MCS"
    fi
    if [ -n "$why" ]; then
        [ -z "${BRIG_VM:-}" ] || { echo "$why in the test guest" >&2; return 1; }
        skip "$why on this host (the engine's SELinux suite runs in the tests/vm guest)"
    fi
}

# engine_setup_file: the stores and the image, once per file.
engine_setup_file() {
    # The engine as users meet it: its default store and run root, brig's
    # shipped policy; STORE and RUNROOT only tell the checks where to look.
    unset BRIG_STORAGE_ROOT BRIG_RUN_ROOT
    export STORE=/var/lib/brig RUNROOT=/run/brig
    export BRIG_CONFIG= # no /etc/brig/brig.conf: the built-in defaults
    # Where SELinux is missing every test skips: build nothing.
    [ -e /sys/fs/selinux/enforce ] && [ -x "$BRIG" ] || return 0
    local dir=$BATS_FILE_TMPDIR/image
    "$MKBUNDLE" --rootfs-only "$dir" >&2
    tar -C "$dir/rootfs" --numeric-owner -cf "$dir/rootfs.tar" .
    brig import "$dir/rootfs.tar" "$IMG" >&2
    rm -rf "$dir"
}

setup() {
    engine_require
    # svirt-helpers' reservation helpers read $ROOT/@mcs: the engine keeps
    # its reservations in its run root, as brig-runtime does in --root.
    # shellcheck disable=SC2034 # read by svirt-helpers and the tests
    ROOT=$RUNROOT
    # shellcheck disable=SC2034
    N=e$BATS_SUITE_TEST_NUMBER # container names: short, unique in the file
    ENGINE_READY=1
}

# engine_leaks: what the engine left: containers, names, mounts under the
# store, MCS reservations, runtime state.
engine_leaks() {
    local e pid
    brig ps -aq --no-trunc | sed 's/^/container left: /'
    for e in "$STORE"/containers/* "$STORE"/names/*; do
        [ -e "$e" ] || [ -L "$e" ] || continue
        echo "store entry left: $e"
    done
    grep -F " $STORE/" /proc/self/mountinfo | sed 's/^/mount left: /'
    mcs_reservations | sed 's/^/reservation left: /'
    # Container processes (any container type) and monitors still running.
    # shellcheck disable=SC2009 # by label, which pgrep cannot match
    ps -e -o label=,pid=,args= | grep -E ':(brig_container_t|brig_test_container_t|brig_spc_t|spc_t):' |
        sed 's/^/process left: /'
    for pid in $(pgrep -x brig-monitor); do
        echo "monitor left: $pid $(tr '\0' ' ' <"/proc/$pid/cmdline")"
    done
    for e in "$RUNROOT"/*; do
        [ -e "$e" ] || continue
        case $(basename "$e") in @mcs | @seccomp | *.lock) continue ;; esac
        echo "runtime state left: $e"
    done
}

# assert_engine_clean: the engine holds nothing (call after the test's own
# rm -f, or after a refused command).
assert_engine_clean() {
    local l
    l=$(engine_leaks)
    [ -z "$l" ] || { echo "$l"; return 1; }
}

teardown() {
    local rc=0 l ids
    [ -n "${SVIRT_RESTORE_ENFORCE:-}" ] && { setenforce 1 || rc=1; }
    [ -n "${TEARDOWN_EXTRA:-}" ] && eval "$TEARDOWN_EXTRA"
    # Skipped (or setup failed before the stores were used): nothing to check.
    [ -n "${ENGINE_READY:-}" ] || return $rc
    ids=$(brig ps -aq --no-trunc 2>/dev/null)
    # shellcheck disable=SC2086 # one id a word
    [ -z "$ids" ] || brig rm -f $ids >/dev/null 2>&1 || true
    l=$(engine_leaks)
    if [ -n "$l" ]; then
        echo "# left after brig rm -f of every container:" >&2
        printf '%s\n' "$l" | sed 's/^/#   /' >&2
        # Do not let one test's leak fail the next ones.
        grep -F " $STORE/" /proc/self/mountinfo | awk '{ print $5 }' | sort -r |
            xargs -r -n1 umount -l 2>/dev/null
        rm -rf "${STORE:?}/containers/"* "${STORE:?}/names/"* \
            "${RUNROOT:?}/@mcs/"c*
        rc=1
    fi
    return $rc
}

# --- what the engine reports ----------------------------------------------

# ins REF JQ-FILTER: one field of `brig inspect REF`.
ins() {
    brig inspect "$1" | jq -r ".[0] | $2"
}
plabel() { ins "$1" '.ProcessLabel'; }
mlabel() { ins "$1" '.MountLabel'; }
merged_of() { ins "$1" '.GraphDriver.Data.MergedDir'; }
pid_of_ctr() { ins "$1" '.State.Pid'; }
id_of() { ins "$1" '.Id'; }

# run_d NAME ARGS...: `brig run -d --name NAME ARGS...`; the id it printed
# is checked against inspect.
run_d() {
    local name=$1 out
    shift
    out=$(brig run -d --name "$name" "$@" </dev/null 2>"$BATS_TEST_TMPDIR/$name.err") ||
        { cat "$BATS_TEST_TMPDIR/$name.err"; return 1; }
    [ "$out" = "$(id_of "$name")" ] || { echo "run -d printed \`$out\`"; return 1; }
}

# wait_in NAME PATH: wait until PATH exists in NAME's rootfs (seen from the
# host, through its merged dir).
wait_in() {
    local m
    m=$(merged_of "$1")
    wait_for 200 test -e "$m$2" || { brig logs "$1"; return 1; }
}

# context_valid CONTEXT: the loaded policy knows CONTEXT (writing it to
# selinuxfs' context file answers EINVAL otherwise).
context_valid() {
    printf '%s' "$1" >/sys/fs/selinux/context 2>/dev/null
}

# spc_label: the unconfined container label the loaded policy has:
# container-selinux's spc_t where it exists, brig's brig_spc_t otherwise.
spc_label() {
    if context_valid system_u:system_r:spc_t:s0; then
        echo system_u:system_r:spc_t:s0
    else
        echo "$SPC_T:s0"
    fi
}

# labels_of PATH...: "label path" for PATH and what is under it (ls -Z's
# view, for comparing before and after).
labels_of() {
    find "$@" -xdev -maxdepth 2 -printf '%Z %p\n' 2>/dev/null | sort
}

# one_line_error: the command failed with status 125 (docker's "the daemon
# could not run the container") and one line on stderr, "brig: ...".
one_line_error() {
    [ "$status" != 0 ] || { echo "it succeeded"; return 1; }
    [ "$status" = 125 ] || { echo "exit status $status: docker's is 125"; return 1; }
    [ "${#stderr_lines[@]}" = 1 ] || { echo "want one line on stderr, got ${#stderr_lines[@]}"; return 1; }
    [[ "$stderr" == "brig: "* ]] || { echo "stderr does not start with \`brig: \`"; return 1; }
}
