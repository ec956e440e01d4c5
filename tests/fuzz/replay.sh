#!/bin/sh
# Replay every fuzz corpus through its harness once (no fuzzing), as TAP.
# Usage: tests/fuzz/replay.sh BUILD_FUZZ_DIR   (e.g. build-fuzz)
# A harness aborts on a crash, a sanitizer report or a broken invariant, so
# a corpus input that once found a bug keeps guarding against it.
set -u
build=${1:?usage: replay.sh BUILD_FUZZ_DIR}
here=$(cd "$(dirname "$0")" && pwd)
# Meson hands the harness directory itself; `make fuzz` users pass the root.
if [ -d "$build/tests/fuzz" ]; then
    bindir="$build/tests/fuzz"
else
    bindir="$build"
fi
# Every harness in the tree: one that is not built is a failure.
harnesses=$(cd "$here" && for f in fuzz_*.c; do echo "${f%.c}"; done)
n=0
failed=0
echo "1..$(echo $harnesses | wc -w)"
for h in $harnesses; do
    n=$((n + 1))
    exe="$bindir/$h"
    corpus="$here/corpus/$h"
    count=$(find "$corpus" -type f 2>/dev/null | wc -l)
    if [ ! -x "$exe" ]; then
        echo "not ok $n - $h corpus: harness \`$exe\` not built (make fuzz)"
        failed=$((failed + 1))
        continue
    fi
    if [ "$count" -eq 0 ]; then
        echo "not ok $n - $h corpus: no inputs in \`$corpus\`"
        failed=$((failed + 1))
        continue
    fi
    log=$(mktemp)
    # Files (not directories) given as arguments are each run once.
    if find "$corpus" -type f -print0 | xargs -0 "$exe" >"$log" 2>&1 &&
        ! grep -q "ERROR: \(AddressSanitizer\|LeakSanitizer\|UndefinedBehaviorSanitizer\)\|runtime error:" "$log"; then
        echo "ok $n - $h corpus ($count inputs)"
    else
        echo "not ok $n - $h corpus ($count inputs)"
        sed 's/^/# /' "$log" | tail -40
        failed=$((failed + 1))
    fi
    rm -f "$log"
done
[ "$failed" -eq 0 ]
