#!/usr/bin/env bash
# What the read-only re-exec of brig-runtime costs (CVE-2019-5736 defence):
# `run /bin/true` and `exec` of /bin/true into a running container, CPU
# (user+sys of the runtime and what it reaped) and wall per call, for two builds of
# brig-runtime side by side, with crun on the same bundle in the same run.
# Not a test: numbers, no verdicts.
#
#   bench/exec.sh [NEW_BUILD] [BASE_BUILD]
#       NEW_BUILD   defaults to build (this tree)
#       BASE_BUILD  a build without the defence, e.g. of main; default
#                   /work/main/build, skipped when it has no brig-runtime
#
# Like bench/run.sh, everything runs in a private mount namespace where an
# empty file hides the hybrid host's cgroup2 controllers file, so that crun
# accepts the host and every runtime sees the same system.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
new=${1:-build}
base=${2:-/work/main/build}
runs=${BENCH_RUNS:-200}
abs() { case $1 in /*) echo "$1" ;; *) echo "$top/$1" ;; esac; }
brig_new="$(abs "$new")/src/runtime/brig-runtime"
brig_base="$(abs "$base")/src/runtime/brig-runtime"
work=$(mktemp -d /tmp/brig-bench-exec.XXXXXX)

if [ "${BRIG_BENCH_INNER:-}" != 1 ]; then
    [ -x "$brig_new" ] || { echo "bench: \`$brig_new\` not built" >&2; exit 1; }
    rmdir "$work"
    exec unshare -m --propagation private env BRIG_BENCH_INNER=1 "$0" "$@"
fi
declare -A rt=([brig]="$brig_new")
names=(brig)
if [ -x "$brig_base" ]; then
    rt[base]=$brig_base
    names+=(base)
else
    echo "bench: no base build at \`$brig_base\`: brig alone" >&2
fi
if command -v crun >/dev/null; then
    rt[crun]=$(command -v crun)
    names+=(crun)
fi

cleanup() {
    for n in "${names[@]}"; do
        "${rt[$n]}" --root "$work/state-$n" delete -f "long-$n" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

. "$top/bench/lib.sh"
bench_hide_hybrid_cgroup2 "$work"

"$top/scripts/mkbundle.sh" "$work/bundle" >/dev/null
jq '.process.args = ["/bin/true"] | .process.terminal = false' "$work/bundle/config.json" >"$work/c" &&
    mv "$work/c" "$work/bundle/config.json"
mkdir -p "$work/long"
ln -s ../bundle/rootfs "$work/long/rootfs"
jq '.root.path = "'"$work"'/bundle/rootfs" | .process.args = ["sleep", "100000"]' \
    "$work/bundle/config.json" >"$work/long/config.json"

for n in "${names[@]}"; do
    if ! "${rt[$n]}" --root "$work/state-$n" run --bundle "$work/bundle" "warm-$n" >/dev/null 2>&1; then
        echo "bench: $n cannot run the bundle on this host: left out" >&2
        names=("${names[@]/$n/}")
        continue
    fi
    "${rt[$n]}" --root "$work/state-$n" run -d --bundle "$work/long" "long-$n" </dev/null >/dev/null 2>&1
done
mapfile -t names < <(printf '%s\n' "${names[@]}" | grep .)
echo "host: $(nproc) cores, kernel $(uname -r), $runs runs each; runtimes: ${names[*]}"

# Interleaved, not one block per command as hyperfine does: on a shared
# machine the load drifts, and a block-by-block comparison measures the
# drift.  CPU is the rusage wait4 returns (the runtime and everything it
# reaped), wall the monotonic clock around fork..wait.
paths=()
for n in "${names[@]}"; do paths+=("${rt[$n]}"); done
python3 - "$runs" "$work" "${names[@]}" "${paths[@]}" <<'EOF'
import os, statistics, sys, time
runs, work = int(sys.argv[1]), sys.argv[2]
rest = sys.argv[3:]
names = rest[: len(rest) // 2]
paths = dict(zip(names, rest[len(rest) // 2 :]))
cases = []
for n in names:
    root = f"{work}/state-{n}"
    cases.append((f"run-{n}", [paths[n], "--root", root, "run", "--bundle", f"{work}/bundle", f"b-{n}"]))
    cases.append((f"exec-{n}", [paths[n], "--root", root, "exec", f"long-{n}", "/bin/true"]))
cpu = {c: [] for c, _ in cases}
wall = {c: [] for c, _ in cases}
devnull = os.open("/dev/null", os.O_RDWR)
for i in range(runs + 5):
    for c, argv in cases:
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:
            os.dup2(devnull, 0); os.dup2(devnull, 1); os.dup2(devnull, 2)
            os.execv(argv[0], argv)
        _, st, ru = os.wait4(pid, 0)
        t1 = time.monotonic()
        if os.waitstatus_to_exitcode(st) != 0:
            sys.exit(f"bench: {' '.join(argv)} failed ({st})")
        if i >= 5:  # warm-up
            cpu[c].append((ru.ru_utime + ru.ru_stime) * 1000)
            wall[c].append((t1 - t0) * 1000)
print(f"{'':14} {'cpu ms mean':>11} {'median':>8}   {'wall ms mean':>12} {'median':>8}")
for c, _ in cases:
    print(f"  {c:12} {statistics.mean(cpu[c]):11.3f} {statistics.median(cpu[c]):8.3f}   "
          f"{statistics.mean(wall[c]):12.3f} {statistics.median(wall[c]):8.3f}")
if "base" in names:
    for v in ("run", "exec"):
        a, b = f"{v}-brig", f"{v}-base"
        print(f"  {v}: the defence adds cpu {statistics.mean(cpu[a]) - statistics.mean(cpu[b]):+.3f} ms mean, "
              f"{statistics.median(cpu[a]) - statistics.median(cpu[b]):+.3f} ms median; "
              f"wall {statistics.median(wall[a]) - statistics.median(wall[b]):+.3f} ms median")
if "crun" in names:
    print(f"  brig/crun cpu, run: {statistics.mean(cpu['run-brig']) / statistics.mean(cpu['run-crun']):.2f}")
EOF

# The move alone, measured inside the process (tests/helpers/selfexe_bench),
# beside the cost of a plain syscall as a yardstick for how loaded the host
# is: the end-to-end deltas above drown in the noise of a shared machine.
helper="$(dirname "$(dirname "$(dirname "$brig_new")")")/tests/helpers/selfexe_bench"
if [ -x "$helper" ]; then
    for _ in $(seq "$runs"); do "$helper"; done | python3 -c '
import statistics, sys
rows = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
cpu = [r[0] for r in rows]
wall = [r[1] for r in rows]
print(f"  the move onto the clone alone: cpu {statistics.median(cpu):.0f} us median "
      f"({statistics.mean(cpu):.0f} mean), wall {statistics.median(wall):.0f} us median, {len(rows)} processes")'
    python3 -c '
import os, time
n = 20000
t = time.process_time()
for _ in range(n):
    os.getppid()
print(f"  yardstick: getppid() from python costs {(time.process_time() - t) / n * 1e6:.2f} us here")'
fi
