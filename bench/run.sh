#!/usr/bin/env bash
# Benchmarks brig-runtime beside Debian's crun and runc on the same busybox
# bundle, in one run, and prints ratios.  Not a test: numbers, no verdicts.
#
#   (a) `run` of /bin/true, sequentially: wall and CPU (user+sys) per container
#   (b) create + start + delete
#   (c) peak RSS of the runtime process (/usr/bin/time -f %M)
#   floor: unshare --fork --pid --mount --uts --ipc --net chroot ROOTFS /bin/true
#
# crun refuses this host's hybrid cgroup layout (a cgroup2 mount holding only
# hugetlb): the whole benchmark runs in a private mount namespace where an
# empty file hides /sys/fs/cgroup/unified/cgroup.controllers, so all three
# runtimes and the floor see the same system.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
runs=${BENCH_RUNS:-100}
brig="$top/$build/src/runtime/brig-runtime"
work=$(mktemp -d /tmp/brig-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ "${BRIG_BENCH_INNER:-}" != 1 ]; then
    [ -x "$brig" ] || { echo "bench: \`$brig\` not built" >&2; exit 1; }
    exec unshare -m --propagation private env BRIG_BENCH_INNER=1 "$0" "$@"
fi
. "$top/bench/lib.sh"
bench_hide_hybrid_cgroup2 "$work"

"$top/scripts/mkbundle.sh" "$work/bundle" >/dev/null
jq '.process.args = ["/bin/true"]' "$work/bundle/config.json" >"$work/c" &&
    mv "$work/c" "$work/bundle/config.json"
rootfs="$work/bundle/rootfs"

declare -A rt=([brig]="$brig" [crun]=$(command -v crun) [runc]=$(command -v runc))
names=(brig crun runc)
for n in "${names[@]}"; do
    "${rt[$n]}" --root "$work/state-$n" run --bundle "$work/bundle" "warm-$n" ||
        { echo "bench: $n cannot run the bundle" >&2; exit 1; }
done
echo "runtimes: brig $("$brig" --version | head -1 | awk '{print $NF}'), crun $(crun --version | head -1 | awk '{print $NF}'), runc $(runc --version | head -1 | awk '{print $NF}')"
echo "host: $(nproc) cores, kernel $(uname -r), $runs runs each"
echo

cmds=()
for n in "${names[@]}"; do
    cmds+=("-n" "$n" "${rt[$n]} --root $work/state-$n run --bundle $work/bundle b-$n")
done
cmds+=("-n" "floor" "unshare --fork --pid --mount --uts --ipc --net chroot $rootfs /bin/true")
hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/run.json" "${cmds[@]}" >/dev/null 2>&1

cmds=()
for n in "${names[@]}"; do
    r="${rt[$n]} --root $work/state-$n"
    cmds+=("-n" "$n" "$r create --bundle $work/bundle c-$n && $r start c-$n && $r delete --force c-$n")
done
hyperfine --warmup 3 --runs "$runs" --export-json "$work/csd.json" "${cmds[@]}" >/dev/null 2>&1

rss() { # peak RSS (KiB) of the runtime process over 10 runs
    local n=$1 max=0 v
    for i in $(seq 10); do
        v=$( { /usr/bin/time -f %M "${rt[$n]}" --root "$work/state-$n" run --bundle "$work/bundle" "m-$n" >/dev/null; } 2>&1 | tail -1)
        [ "$v" -gt "$max" ] && max=$v
    done
    echo "$max"
}
declare -A mem
for n in "${names[@]}"; do mem[$n]=$(rss "$n"); done

jq -r --arg rb "${mem[brig]}" --arg rc "${mem[crun]}" --arg rr "${mem[runc]}" -s '
  def ms: . * 1000 | . * 100 | round / 100;
  def r(a; b): (a / b * 100 | round / 100);
  (.[0].results | map({key: .command, value: .}) | from_entries) as $run
  | (.[1].results | map({key: .command, value: .}) | from_entries) as $csd
  | "(a) run /bin/true, per container      wall ms    cpu ms (user+sys)",
    ( ["brig","crun","runc","floor"][] as $n
      | "    \($n | .+"       " | .[0:8])            \($run[$n].mean | ms)       \(($run[$n].user + $run[$n].system) | ms)" ),
    "    brig/crun  wall \(r($run.brig.mean; $run.crun.mean))  cpu \(r($run.brig.user + $run.brig.system; $run.crun.user + $run.crun.system))",
    "    brig/runc  wall \(r($run.brig.mean; $run.runc.mean))  cpu \(r($run.brig.user + $run.brig.system; $run.runc.user + $run.runc.system))",
    "    brig/floor wall \(r($run.brig.mean; $run.floor.mean))  cpu \(r($run.brig.user + $run.brig.system; $run.floor.user + $run.floor.system))",
    "",
    "(b) create+start+delete                wall ms",
    ( ["brig","crun","runc"][] as $n | "    \($n | .+"       " | .[0:8])            \($csd[$n].mean | ms)" ),
    "    brig/crun  \(r($csd.brig.mean; $csd.crun.mean))   brig/runc  \(r($csd.brig.mean; $csd.runc.mean))",
    "",
    "(c) peak RSS of the runtime process     KiB",
    "    brig                \($rb)",
    "    crun                \($rc)",
    "    runc                \($rr)",
    "    brig/crun  \(r($rb | tonumber; $rc | tonumber))   brig/runc  \(r($rb | tonumber; $rr | tonumber))"
' "$work/run.json" "$work/csd.json"
