#!/bin/bash
# Runs INSIDE the guest (enforcing SELinux, cgroup v2): the environment and
# policy smoke test, then brig's integration suite against the brig-runtime
# built on the host.  One TAP stream; each line says which suite it is from.
#
# Usage: guest-suite.sh [--no-smoke] [BATS_FILE...]   (default: every file)
# so that make check can shard the suite across guests.
cd "$(dirname "$0")" || exit 1
rc=0
smoke=true
if [ "${1:-}" = --no-smoke ]; then
    smoke=false
    shift
fi
files=()
for f in "$@"; do files+=("integration/$f"); done
[ ${#files[@]} -gt 0 ] || files=(integration)
if $smoke; then
    bash ./selinux-smoke.sh | grep -v '^1\.\.' | sed -E 's/^((not )?ok [0-9]+)( -)?/\1 - selinux:/'
    [ "${PIPESTATUS[0]}" = 0 ] || rc=1
fi
if [ -x ./bin/brig-runtime ] && [ -d ./integration ]; then
    export BRIG_RUNTIME=$PWD/bin/brig-runtime BRIG_TOP=$PWD BRIG_RECVTTY=$PWD/bin/recvtty
    bats --tap "${files[@]}" | grep -v '^1\.\.' | sed -E 's/^((not )?ok [0-9]+)( -)?/\1 - integration:/'
    [ "${PIPESTATUS[0]}" = 0 ] || rc=1
fi
exit $rc
