#!/usr/bin/env bash
# Benchmarks brig's relabel beside coreutils' `chcon -R` on one tree of
# 100,000 files (1,000 dirs x 100 files), in one run, and prints ratios.
# Not a test: numbers, plus whether the targets were met.
#
#   (a) chcon -R to level A            (writes every entry)
#   (b) brig relabel to level B        (writes every entry)
#   (c) brig relabel to level B again  (already right: reads only)
#   (d) chcon -R to level B again      (chcon writes every entry regardless)
#
# Targets: (b) at least 2x faster than (a); (c) at least 10x faster than (b).
# Each round is repeated BENCH_ROUNDS times (default 3); medians are shown.
# The page cache is not dropped: a `find` first warms it for everyone.
#
#   bench/relabel.sh [BUILD_DIR]     (run as root: security.* xattrs)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
rounds=${BENCH_ROUNDS:-3}
dirs=${BENCH_DIRS:-1000}
files=${BENCH_FILES:-100}
tool="$top/$build/tests/helpers/relabel_tool"
[ -x "$tool" ] || { echo "bench: \`$tool\` not built" >&2; exit 1; }
command -v chcon >/dev/null || { echo "bench: chcon (coreutils) not found" >&2; exit 1; }

# /var/tmp: on disk, the same fs as /tmp on most hosts, and not on the
# refusal list's exact entries.
work=$(mktemp -d /var/tmp/brig-relabel-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
tree="$work/tree"
mkdir "$tree"

echo "bench: creating $((dirs * files)) files in $dirs dirs under $tree"
names=$(seq -f 'f%03g' 1 "$files" | tr '\n' ' ')
for ((d = 0; d < dirs; d++)); do
    mkdir "$tree/d$d"
    # shellcheck disable=SC2086 # word splitting of the name list is the point
    (cd "$tree/d$d" && touch $names)
done
find "$tree" >/dev/null

ctx_a=system_u:object_r:brig_container_file_t:s0:c1,c2
ctx_b=system_u:object_r:brig_container_file_t:s0:c3,c4

now() { date +%s.%N; }
# elapsed START: seconds since START, 3 decimals
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

if ! chcon -R "$ctx_a" "$tree" 2>"$work/chcon.err"; then
    echo "bench: chcon -R fails here: $(cat "$work/chcon.err")" >&2
    exit 1
fi

# timed NAME CMD...: wall seconds (from date, ns) into w_NAME, CPU seconds
# (user+sys, from /usr/bin/time) into c_NAME, stdout into $out.  CPU time
# shows the work done when the host is busy and wall time is noise.
declare -A walls cpus
timed() {
    local name=$1 s
    shift
    s=$(now)
    /usr/bin/time -f '%U %S' -o "$work/time" "$@" >"$work/out"
    walls[$name]+="$(elapsed "$s") "
    cpus[$name]+="$(awk '{ printf "%.2f", $1 + $2 }' "$work/time") "
    out=$(cat "$work/out")
}

entries=$((dirs * files + dirs + 1))
for ((r = 0; r < rounds; r++)); do
    # Start each round from level A written by chcon, so brig changes all.
    timed chcon chcon -R "$ctx_a" "$tree"
    timed brig "$tool" "$ctx_b" "$tree"
    case $out in *"changed=$entries "*) ;; *) echo "bench: first pass: $out" >&2; exit 1 ;; esac
    timed brig2 "$tool" "$ctx_b" "$tree"
    case $out in *"changed=0 "*) ;; *) echo "bench: re-run changed entries: $out" >&2; exit 1 ;; esac
    timed chcon2 chcon -R "$ctx_b" "$tree"
    echo "round $((r + 1)) wall: chcon $(echo "${walls[chcon]}" | awk '{print $NF}')s" \
        "brig $(echo "${walls[brig]}" | awk '{print $NF}')s" \
        "brig-again $(echo "${walls[brig2]}" | awk '{print $NF}')s" \
        "chcon-again $(echo "${walls[chcon2]}" | awk '{print $NF}')s"
done

med() { echo "$1" | tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
m_chcon=$(med "${walls[chcon]}") m_brig=$(med "${walls[brig]}")
m_brig2=$(med "${walls[brig2]}") m_chcon2=$(med "${walls[chcon2]}")

echo
echo "entries: $entries, cpus: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg), rounds: $rounds (medians)"
printf '%-32s %9s %9s\n' "" "wall" "cpu"
for n in chcon brig brig2 chcon2; do
    case $n in
    chcon) label="chcon -R (level A)" ;;
    brig) label="brig relabel (level B)" ;;
    brig2) label="brig relabel again (no change)" ;;
    chcon2) label="chcon -R again (level B)" ;;
    esac
    printf '%-32s %8ss %8ss\n' "$label" "$(med "${walls[$n]}")" "$(med "${cpus[$n]}")"
done
awk -v c="$m_chcon" -v b="$m_brig" -v b2="$m_brig2" -v c2="$m_chcon2" 'BEGIN {
    r1 = c / b; r2 = b / b2; r3 = c2 / b2
    printf "brig vs chcon -R, first pass:      %.1fx faster (target >= 2x: %s)\n", r1, (r1 >= 2 ? "met" : "MISSED")
    printf "brig re-run vs brig first pass:    %.1fx faster (target >= 10x: %s)\n", r2, (r2 >= 10 ? "met" : "MISSED")
    printf "brig re-run vs chcon -R re-run:    %.1fx faster\n", r3
}'
