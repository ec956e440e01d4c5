#!/usr/bin/env bash
# Runs every suite, each producing TAP, and ends with one line over all of
# them: "N passed, N failed, N skipped".  Skips are counted and their reasons
# printed; a suite that cannot run at all is a failure, never a silent skip.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
BUILD_ASAN=${BUILD_ASAN:-build-asan}
BUILD_FUZZ=${BUILD_FUZZ:-build-fuzz}
out=${BRIG_TEST_OUT:-$top/$BUILD/test-results}
rm -rf "$out"; mkdir -p "$out"
export BRIG_TOP=$top

pass=0 fail=0 skip=0

# count SUITE FILE: tally one suite's TAP output and show its failures.
count() {
    local suite=$1 file=$2 p f s
    # cmocka 1.1 prints a skip as "not ok N # SKIP": a skip either way.
    p=$(grep -E '^ok ' "$file" | grep -cvE '# (skip|SKIP)')
    s=$(grep -cE '^(not )?ok .*# (skip|SKIP)' "$file")
    f=$(grep -E '^not ok ' "$file" | grep -cvE '# (skip|SKIP)')
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    printf '%-28s %4d passed, %d failed, %d skipped\n' "$suite" "$p" "$f" "$s"
    grep -E '^not ok |^ok .*# (skip|SKIP)' "$file" | sed 's/^/    /'
    grep -A3 -E '^not ok ' "$file" | grep -E '^#' | head -20 | sed 's/^/    /'
}

# run_suite NAME CMD...: run a TAP producer; if it dies without TAP output or
# exits non-zero with no failure reported, that is one failure of its own.
run_suite() {
    local name=$1; shift
    local file="$out/$name.tap"
    "$@" >"$file" 2>"$out/$name.log"
    local rc=$?
    if [ $rc -ne 0 ] && ! grep -E '^not ok ' "$file" | grep -qvE '# (skip|SKIP)'; then
        echo "not ok - suite $name exited $rc without reporting a failure (see $out/$name.log)" >>"$file"
        tail -20 "$out/$name.log" | sed 's/^/    # /' >>"$file"
    fi
    count "$name" "$file"
}

unit() { # unit BUILD_DIR
    local dir=$1 t rc=0
    for t in "$dir"/tests/unit/test_*; do
        [ -f "$t" ] && [ -x "$t" ] || continue
        # Bounded: a hung test must fail, not eat CI's time.
        CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 10 600 "$t" || {
            rc=1
            echo "not ok - $(basename "$t") failed or timed out"
        }
    done
    return $rc
}

# The guest suites (enforcing SELinux, cgroup v2, under TCG here) are the
# slow part: build the image once, then boot two guests on shards of the
# integration suite in the background while the host suites run.
vm_pids=()
# The guests run what needs them: every SELinux proof (tests/selinux) and,
# of the integration and engine files, the tests tagged cgroupv2 (their
# outcome depends on the cgroup version); all the rest runs on the host
# above.  Each guest is bounded at 15 minutes, so a slow or hung guest fails
# well inside CI's time.
export BRIG_VM_TIMEOUT=${BRIG_VM_TIMEOUT:-900}
if [ -x tests/vm/guest-tests.sh ]; then
    if ! tests/vm/build-image.sh >"$out/vm-image.log" 2>&1; then
        echo "not ok - guest image build failed (see $out/vm-image.log)" >"$out/vm-image.tap"
        tail -20 "$out/vm-image.log" | sed 's/^/    # /' >>"$out/vm-image.tap"
    fi
    # Balanced on measured times (bats --timing in the guests' TAP).
    BRIG_VM_SHARD=1 BUILD=$BUILD tests/vm/guest-tests.sh --tags cgroupv2 \
        lifecycle.bats config.bats security.bats selinux/svirt.bats \
        >"$out/vm-1.tap" 2>"$out/vm-1.log" &
    vm_pids+=($!)
    BRIG_VM_SHARD=2 BUILD=$BUILD tests/vm/guest-tests.sh --no-smoke --tags cgroupv2 \
        engine/lifecycle.bats engine/run.bats engine/run-security.bats \
        selinux/engine.bats selinux/store.bats selinux/tools.bats selinux/logger.bats \
        >"$out/vm-2.tap" 2>"$out/vm-2.log" &
    vm_pids+=($!)
fi

run_suite unit unit "$BUILD"
unit_asan() {
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 unit "$BUILD_ASAN"
}
run_suite unit-asan unit_asan
[ -x tests/fuzz/replay.sh ] && run_suite fuzz-corpus tests/fuzz/replay.sh "$BUILD_FUZZ"
if compgen -G 'tests/integration/*.bats' >/dev/null; then
    export BRIG_RECVTTY="$top/$BUILD/tests/helpers/recvtty"
    run_suite integration env BRIG_RUNTIME="$top/$BUILD/src/runtime/brig-runtime" \
        timeout -k 10 1800 bats --tap tests/integration
    # The kill-at-every-syscall files (crash-kill.bats) run once, on the
    # plain build: a SIGKILL gives the sanitizers nothing to check, and the
    # loop of a few hundred kills would take three times as long.
    run_suite integration-asan env BRIG_RUNTIME="$top/$BUILD_ASAN/src/runtime/brig-runtime" \
        ASAN_OPTIONS=detect_leaks=1 BRIG_ASAN=1 timeout -k 10 1800 \
        bats --tap $(ls tests/integration/*.bats | grep -v '/crash-kill\.bats$')
fi
# The engine, driven as a user types it; once more with the ASan build, so a
# memory error anywhere on brig's paths fails the check.
if compgen -G 'tests/engine/*.bats' >/dev/null; then
    run_suite engine env BRIG="$top/$BUILD/src/engine/brig" \
        BRIG_RUNTIME="$top/$BUILD/src/runtime/brig-runtime" \
        timeout -k 10 1800 bats --tap tests/engine
    run_suite engine-asan env BRIG="$top/$BUILD_ASAN/src/engine/brig" \
        BRIG_RUNTIME="$top/$BUILD_ASAN/src/runtime/brig-runtime" \
        ASAN_OPTIONS=detect_leaks=1 BRIG_ASAN=1 timeout -k 10 1800 \
        bats --tap $(ls tests/engine/*.bats | grep -v '/crash-kill\.bats$')
    # The SELinux tools' one host test: on a host without SELinux they say
    # so and print nothing (the rest of tools.bats runs in the guest).
    run_suite selinux-tools-host env BRIG="$top/$BUILD/src/engine/brig" \
        timeout -k 10 300 bats --tap -f '^no SELinux' tests/selinux/tools.bats
fi
# The README's two commands on a fresh minimal Debian root (tests/fresh/).
[ -x tests/fresh/fresh-root.sh ] && run_suite fresh-root tests/fresh/fresh-root.sh
if [ ${#vm_pids[@]} -gt 0 ]; then
    [ -f "$out/vm-image.tap" ] && count vm-image "$out/vm-image.tap"
    for i in 1 2; do
        wait "${vm_pids[$((i - 1))]}"
        rc=$?
        if [ $rc -ne 0 ] && ! grep -qE '^not ok ' "$out/vm-$i.tap"; then
            echo "not ok - guest shard $i exited $rc without reporting a failure" >>"$out/vm-$i.tap"
            tail -20 "$out/vm-$i.log" | sed 's/^/    # /' >>"$out/vm-$i.tap"
        fi
        count "vm-selinux-cgroupv2-$i" "$out/vm-$i.tap"
    done
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
