#!/bin/bash
# Runs INSIDE the guest (enforcing SELinux, cgroup v2): the environment and
# policy smoke test, then brig's integration suite against the brig-runtime
# built on the host.  One TAP stream; each line says which suite it is from.
#
# Usage: guest-suite.sh [--no-smoke] [--tags TAG[,TAG...]] [BATS_FILE...]
# (default: every file) so that make check can shard the suite across
# guests.  A BATS_FILE is an integration file ("lifecycle.bats"), an engine
# file ("engine/run.bats") or an SVirt file ("selinux/svirt.bats"); the
# SVirt files (tests/selinux) run after the others.  With --tags, the
# integration and engine files run only their tests tagged with one of the
# TAGs (`# bats test_tags=cgroupv2`: those whose outcome depends on the
# cgroup version; `selinux`: those that need SELinux enabled);
# the rest of those files runs on the host.  The SVirt files always run whole.
cd "$(dirname "$0")" || exit 1
rc=0
smoke=true
tags=()
while [ $# -gt 0 ]; do
    case $1 in
    --no-smoke) smoke=false ;;
    --tags) # TAG[,TAG...]: a test with any of them runs
        IFS=, read -ra _t <<<"$2"
        for t in "${_t[@]}"; do tags+=(--filter-tags "$t"); done
        shift
        ;;
    *) break ;;
    esac
    shift
done
files=() svirt_files=() engine_files=()
for f in "$@"; do
    case $f in
    selinux/*) svirt_files+=("$f") ;;
    engine/*) engine_files+=("$f") ;;
    *) files+=("integration/$f") ;;
    esac
done
if [ $# -eq 0 ]; then
    files=(integration)
    svirt_files=(selinux)
fi
if $smoke; then
    bash ./selinux-smoke.sh | grep --line-buffered -v '^1\.\.' | sed -u -E 's/^((not )?ok [0-9]+)( -)?/\1 - selinux:/'
    [ "${PIPESTATUS[0]}" = 0 ] || rc=1
fi
if $smoke && [ -d ./unit ]; then
    # Their SELinux-only tests, which the host (no SELinux) leaves out.
    for t in ./unit/test_*; do
        CMOCKA_MESSAGE_OUTPUT=TAP "$t" | grep --line-buffered -E '^(not )?ok |^#' |
            sed -u -E "s/^((not )?ok [0-9]+)( -)?/\1 - unit-selinux: $(basename "$t"):/"
        [ "${PIPESTATUS[0]}" = 0 ] || rc=1
    done
fi
export BRIG_RUNTIME=$PWD/bin/brig-runtime BRIG_TOP=$PWD BRIG_RECVTTY=$PWD/bin/recvtty
# The engine, for selinux/engine.bats (which fails when it is missing).
export BRIG=$PWD/bin/brig
# The engine suites' images, built on the host (tests/engine/build-images.sh).
[ -f ./img/done ] && export BRIG_TEST_IMGDIR=$PWD/img
if [ -x ./bin/brig-runtime ] && [ -d ./integration ] && [ ${#files[@]} -gt 0 ]; then
    # The generic suite runs with automatic labelling off: it checks the
    # runtime on cgroup v2 under an enforcing kernel, while tests/selinux
    # proves the labelling itself.  (Its bind mounts of host temp dirs would
    # need :z under SVirt, as they would with docker.)
    BRIG_TEST_SVIRT=off bats --tap --timing "${tags[@]}" "${files[@]}" | grep --line-buffered -v '^1\.\.' | sed -u -E 's/^((not )?ok [0-9]+)( -)?/\1 - integration:/'
    [ "${PIPESTATUS[0]}" = 0 ] || rc=1
fi
if [ ${#engine_files[@]} -gt 0 ]; then
    # The engine's verbs on cgroup v2 under an enforcing kernel, labelling
    # off as for the generic suite (they bind host temp dirs without :z);
    # selinux/engine.bats proves the engine's labelling.
    if [ -x ./bin/brig ] && [ -d ./engine ]; then
        BRIG_LABEL=false bats --tap --timing "${tags[@]}" "${engine_files[@]}" | grep --line-buffered -v '^1\.\.' | sed -u -E 's/^((not )?ok [0-9]+)( -)?/\1 - engine:/'
        [ "${PIPESTATUS[0]}" = 0 ] || rc=1
    else
        echo "not ok - engine: the payload has no brig or no engine/ tests"
        rc=1
    fi
fi
if [ ${#svirt_files[@]} -gt 0 ]; then
    if [ -x ./bin/brig-runtime ] && [ -d ./selinux ]; then
        bats --tap --timing "${svirt_files[@]}" | grep --line-buffered -v '^1\.\.' | sed -u -E 's/^((not )?ok [0-9]+)( -)?/\1 - svirt:/'
        [ "${PIPESTATUS[0]}" = 0 ] || rc=1
    else
        echo "not ok - svirt: the payload has no brig-runtime or no selinux/ tests"
        rc=1
    fi
fi
exit $rc
