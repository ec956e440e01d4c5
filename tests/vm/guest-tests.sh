#!/usr/bin/env bash
# The guest suite, as `make check` runs it: build the test guest if needed,
# boot it once running selinux-smoke.sh (enforcing SELinux, cgroup v2) and
# print its TAP on stdout.  Whatever breaks on the way (missing tools, image
# build, boot, timeout) is reported as a `not ok - guest: ...` line, never
# as a hang or a silent pass.  Progress and the guest console go to stderr.
#
# Results (the guest's dmesg.txt with its avc records, console.txt) are
# kept in $BRIG_TEST_OUT/vm when BRIG_TEST_OUT is set.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
timeout_s=${BRIG_VM_TIMEOUT:-900}
n=0 failed=0

emit() { # emit "ok|not ok" DESCRIPTION [COMMENT-LINES...]
    local status=$1 desc=$2
    shift 2
    n=$((n + 1))
    [ "$status" = ok ] || failed=$((failed + 1))
    echo "$status - guest: $desc"
    for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
}
finish() {
    echo "1..$n"
    [ "$failed" = 0 ]
    exit
}

work=$(mktemp -d "${TMPDIR:-/tmp}/brig-guest-tests.XXXXXX")
trap 'rm -rf "$work"' EXIT
if [ -n "${BRIG_TEST_OUT:-}" ]; then
    results=$BRIG_TEST_OUT/vm${BRIG_VM_SHARD:+-$BRIG_VM_SHARD}
    rm -rf "$results"
else
    results=$work/results
fi

if [ "$(id -u)" != 0 ]; then
    emit "not ok" "must run as root (the image build needs mmdebstrap, chroot, mke2fs -d)"
    finish
fi
missing=
for tool in qemu-system-x86_64 mmdebstrap mke2fs cpio depmod timeout; do
    command -v "$tool" >/dev/null || missing="$missing $tool"
done
if [ -n "$missing" ]; then
    emit "not ok" "missing tools:$missing (run scripts/deps.sh vm)"
    finish
fi

# The image build is the slow part from a fresh machine (about a minute);
# on a cache hit it takes well under a second.
if ! image=$(timeout 1200 "$here/build-image.sh" 2>"$work/build.log"); then
    emit "not ok" "image build failed" "$(tail -n 20 "$work/build.log")"
    finish
fi
cat "$work/build.log" >&2

mkdir -p "$work/payload"
cp "$here/selinux-smoke.sh" "$here/guest-suite.sh" "$work/payload/"
# brig-runtime as built on the host (the guest has the same libraries) and
# the integration suite, so it runs under enforcing SELinux and cgroup v2.
top=$(cd "$here/../.." && pwd)
runtime_bin=${BRIG_RUNTIME_BIN:-$top/${BUILD:-build}/src/runtime/brig-runtime}
if [ ! -x "$runtime_bin" ]; then
    emit "not ok" "\`$runtime_bin\` is not built: the integration suite cannot run in the guest"
    finish
fi
mkdir -p "$work/payload/bin" "$work/payload/scripts"
cp "$runtime_bin" "$work/payload/bin/brig-runtime"
# The engine, for tests/selinux/engine.bats (built beside brig-runtime).
engine_bin=${BRIG_BIN:-$(dirname "$runtime_bin")/../engine/brig}
[ -x "$engine_bin" ] && cp "$engine_bin" "$work/payload/bin/brig"
# The unit programs with tests only an SELinux kernel can run.
mkdir -p "$work/payload/unit"
for t in test_label test_context; do
    t_bin=$(dirname "$runtime_bin")/../../tests/unit/$t
    [ -x "$t_bin" ] && cp "$t_bin" "$work/payload/unit/"
done
recvtty_bin=$(dirname "$runtime_bin")/../../tests/helpers/recvtty
[ -x "$recvtty_bin" ] && cp "$recvtty_bin" "$work/payload/bin/recvtty"
cp "$top/scripts/mkbundle.sh" "$work/payload/scripts/"
cp -r "$top/tests/integration" "$work/payload/integration"
# The SVirt suite (guest-suite.sh runs it after the integration files).
[ -d "$top/tests/selinux" ] && cp -r "$top/tests/selinux" "$work/payload/selinux"
[ -d "$top/tests/engine" ] && cp -r "$top/tests/engine" "$work/payload/engine"
# The engine suites' images, built here: the guest has no umoci or skopeo.
if [ -d "$top/tests/engine" ] && ! "$top/tests/engine/build-images.sh" "$work/payload/img" 2>"$work/img.log"; then
    emit "not ok" "the engine suites' images could not be built" "$(tail -n 20 "$work/img.log")"
    finish
fi
BRIG_VM_IMAGE=$image "$here/run.sh" -o "$results" -t "$timeout_s" "$work/payload" -- \
    bash ./guest-suite.sh "$@" >"$work/tap"
rc=$?

# The guest's TAP, its own plan dropped: this script prints the plan over
# its lines and the guest's together.
grep -v '^1\.\.[0-9]*$' "$work/tap"
guest_n=$(grep -cE '^(not )?ok ' "$work/tap")
guest_failed=$(grep -cE '^not ok ' "$work/tap")
n=$((n + guest_n))
failed=$((failed + guest_failed))

console_tail() { tail -n 30 "$results/console.txt" 2>/dev/null; }
case $rc in
0)
    if [ "$guest_n" = 0 ]; then
        emit "not ok" "guest-suite.sh reported no test at all"
    else
        emit ok "guest-suite.sh ran to completion ($guest_n tests)"
    fi
    ;;
124) emit "not ok" "timed out after ${timeout_s} s" "$(console_tail)" ;;
125) emit "not ok" "the guest broke before its command reported a status" "$(console_tail)" ;;
*)
    if [ "$guest_failed" = 0 ]; then
        emit "not ok" "guest-suite.sh exited $rc without reporting a failure" "$(console_tail)"
    fi
    ;;
esac
if [ ! -s "$results/dmesg.txt" ]; then
    emit "not ok" "no kernel log came back from the guest"
fi
finish
