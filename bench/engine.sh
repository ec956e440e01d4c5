#!/usr/bin/env bash
# Benchmarks the engine, brig, beside podman (Debian's 4.3, with crun) on the
# same image, in one run, and prints ratios.  Not a test: numbers, plus
# whether the targets of the engine issue were met.
#
#   (a) `run --rm --network none IMG /bin/true`, sequentially: brig, podman,
#       and brig-runtime alone (`run` + its automatic delete) on a bundle
#       whose rootfs is the same tarball unpacked and whose config.json is
#       the one brig writes for that command (so the difference is the
#       engine's work, not the container's); and, for reference,
#       brig-runtime on scripts/mkbundle.sh's minimal config (no seccomp
#       filter, no /etc binds).
#       Targets: brig <= 0.1x podman; brig - brig-runtime <= 5 ms (means).
#   (b) peak RSS (/usr/bin/time -v) of the `run` command the user types:
#       the largest of that process and the children it waits for (brig's
#       monitor and podman's conmon are daemonised and not counted).
#   (c) `load -i` of a ~100 MB docker-archive (written by skopeo from an
#       image umoci built: 4 layers, incompressible data in large files and
#       10,000 small files, a whiteout), into an emptied store each time:
#       MB/s (10^6 bytes) for both.  Archive and stores on a tmpfs.
#
# Wall time is the figure for (a): both engines do their work in a process
# that outlives the command (brig's monitor, podman's conmon), out of reach
# of rusage, so a CPU figure for `run` would leave out most of it.  For (c)
# the CPU column (user+sys, hyperfine's) is whole: both load in-process.
# The host's load average is printed with the results: with other work on
# the machine, wall times grow for everyone and the ratios are what hold.
#
#   bench/engine.sh [BUILD_DIR]      (run as root)
#   BENCH_RUNS (30) runs per command in (a); BENCH_LOAD_RUNS (10) in (c);
#   BENCH_ON_DISK=1: (a)'s stores and bundles on the disk, not a tmpfs.
#
# The image: Debian's static busybox (scripts/mkbundle.sh --rootfs-only) as
# one rootfs tarball, given to `podman import` and `brig import` alike.
#
# Podman on this host.  Nothing of its lands in the host's configuration or
# stores: CONTAINERS_CONF=bench/podman-containers.conf (cgroupfs manager,
# file events, ulimits under the host's hard limits, crun), a generated
# CONTAINERS_STORAGE_CONF, --root/--runroot/--tmpdir under the benchmark's
# temporary directory, and /var/lib/containers (where containers/image keeps
# its blob-info cache whatever --root says) bind-mounted over from that
# directory.  What podman's cgroupfs manager leaves (empty libpod_parent
# cgroups) is removed at the end when it was not there before.
#
# crun refuses this host's hybrid cgroup layout ("cgroups in hybrid mode not
# supported, drop all controllers from cgroupv2": the cgroup2 mount at
# /sys/fs/cgroup/unified holds hugetlb).  As bench/run.sh does, the
# whole benchmark runs in a private mount namespace (unshare -m, private
# propagation) where an empty file is bind-mounted over
# /sys/fs/cgroup/unified/cgroup.controllers; crun then takes the host for
# cgroup v1, and brig, brig-runtime and podman all see the same system.
# The namespace also keeps podman's overlay mounts off the host: they vanish
# with it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
runs=${BENCH_RUNS:-30}
load_runs=${BENCH_LOAD_RUNS:-10}
brig="$top/$build/src/engine/brig"
runtime="$top/$build/src/runtime/brig-runtime"
img=localhost/brig-bench-busybox:latest
load_img=localhost/brig-bench-load:latest

die() { echo "bench: $*" >&2; exit 1; }

if [ "${BRIG_BENCH_INNER:-}" != 1 ]; then
    [ "$(id -u)" = 0 ] || die "run as root (containers, mounts, cgroups)"
    [ -x "$brig" ] || die "\`$brig\` not built (meson setup $build && ninja -C $build)"
    [ -x "$runtime" ] || die "\`$runtime\` not built"
    for t in podman crun conmon hyperfine jq skopeo umoci openssl unshare; do
        command -v "$t" >/dev/null || die "\`$t\` not found (scripts/deps.sh bench check)"
    done
    [ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"
    work=$(mktemp -d /var/tmp/brig-engine-bench.XXXXXX)
    made_varlib=false
    if [ ! -e /var/lib/containers ]; then
        mkdir /var/lib/containers
        made_varlib=true
    fi
    had_cg=()
    for d in /sys/fs/cgroup/*/libpod_parent; do [ -d "$d" ] && had_cg+=("$d"); done
    cleanup() {
        # The namespace is gone with its mounts; only files remain.
        rm -rf "$work"
        $made_varlib && rmdir /var/lib/containers 2>/dev/null
        for d in /sys/fs/cgroup/*/libpod_parent; do
            [ -d "$d" ] || continue
            case " ${had_cg[*]:-} " in *" $d "*) continue ;; esac
            find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
        done
    }
    trap cleanup EXIT
    st=0
    unshare -m --propagation private env BRIG_BENCH_INNER=1 BRIG_BENCH_WORK="$work" \
        "$0" "$@" || st=$?
    exit "$st"
fi

work=$BRIG_BENCH_WORK
# Stores and bundles on a tmpfs (private to this namespace), unless
# BENCH_ON_DISK=1 puts (a)'s on the disk under /var/tmp.  This machine's
# page cache is trimmed behind our back (a VM whose free memory is handed
# back to the host): ext4's metadata blocks go, and creating or removing a
# file then waits for a disk read (ext4_create -> recently_deleted ->
# find_get_block, vfs_rmdir -> io_schedule).  Each `run` creates and
# removes some twenty files, so on the disk the figure swung threefold
# between two runs of this script (brig 15 -> 50 ms, podman 150 -> 210 ms)
# with the cache, not with the engines.
mem="$work/mem"
mkdir -p "$mem"
mount -t tmpfs -o size=3g,mode=0700 tmpfs "$mem"
if [ "${BENCH_ON_DISK:-0}" = 1 ]; then s="$work/a"; else s="$mem/a"; fi
mkdir -p "$work/varlib" "$s/podman/tmp" "$work/tmp"
if [ -e /sys/fs/cgroup/unified/cgroup.controllers ] &&
   [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
    : >"$work/empty"
    mount --bind "$work/empty" /sys/fs/cgroup/unified/cgroup.controllers
fi
mount --bind "$work/varlib" /var/lib/containers

export TMPDIR="$work/tmp"
export CONTAINERS_CONF="$top/bench/podman-containers.conf"
export CONTAINERS_STORAGE_CONF="$work/storage.conf"
cat >"$CONTAINERS_STORAGE_CONF" <<EOF
[storage]
driver = "overlay"
graphroot = "$s/podman/root"
runroot = "$s/podman/run"
EOF
podman=(podman --root "$s/podman/root" --runroot "$s/podman/run"
    --tmpdir "$s/podman/tmp" --storage-driver overlay)
export BRIG_STORAGE_ROOT="$s/brig/storage"
export BRIG_RUN_ROOT="$s/brig/run"

# step MSG CMD...: run CMD with its output kept; on failure show it and stop.
step() {
    local msg=$1
    shift
    if ! "$@" >"$work/step.log" 2>&1; then
        echo "bench: $msg failed: $*" >&2
        sed 's/^/    /' "$work/step.log" >&2
        exit 1
    fi
}

# --- the image --------------------------------------------------------------
"$top/scripts/mkbundle.sh" --rootfs-only "$work/src" >/dev/null
tar_repro() { # tar_repro OUT DIR: the same bytes for the same tree
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
        -C "$2" -cf "$1" .
}
tar_repro "$work/busybox.tar" "$work/src/rootfs"

step "podman import" "${podman[@]}" import "$work/busybox.tar" "$img"
step "brig import" "$brig" import "$work/busybox.tar" "$img"

mkdir -p "$s/bundle/rootfs"
tar -C "$s/bundle/rootfs" -xf "$work/busybox.tar"
# brig-runtime runs the container brig runs: the config.json that `brig
# create` writes for the same command (brig's seccomp profile, its /etc
# binds, masked paths), on the unpacked rootfs.  The difference of the two
# is then the engine's own work (store, overlay, monitor, records), not
# the container's.  The created container stays, so its /etc files do.
cid=$("$brig" create --name brig-bench-config --network none "$img" /bin/true) ||
    die "brig create failed"
cfg="$BRIG_STORAGE_ROOT/containers/$cid/bundle/config.json"
[ -f "$cfg" ] || die "no \`$cfg\` after \`brig create\`"
jq '.root = {path: "rootfs", readonly: false} | del(.linux.cgroupsPath) | del(.annotations)' \
    "$cfg" >"$s/bundle/config.json"
# For reference, the same rootfs under scripts/mkbundle.sh's minimal config
# (no seccomp filter, no /etc binds): what those cost a container.
mkdir -p "$s/bundle-min"
"$top/scripts/mkbundle.sh" --shared-rootfs "$s/bundle/rootfs" "$s/bundle-min" >/dev/null
jq --arg r "$s/bundle/rootfs" '.process.args = ["/bin/true"] | .root = {path: $r, readonly: false}' \
    "$s/bundle-min/config.json" >"$work/c" && mv "$work/c" "$s/bundle-min/config.json"

brig_run=("$brig" run --rm --network none "$img" /bin/true)
podman_run=("${podman[@]}" run --rm --network none "$img" /bin/true)
rt_run=("$runtime" --root "$s/rt" run --bundle "$s/bundle" bench)
rt_min_run=("$runtime" --root "$s/rt" run --bundle "$s/bundle-min" bench-min)
step "brig run" "${brig_run[@]}"
step "podman run" "${podman_run[@]}"
step "brig-runtime run" "${rt_run[@]}"
step "brig-runtime run (minimal config)" "${rt_min_run[@]}"
# The container's exit status reaches the caller.
"$brig" run --rm --network none "$img" /bin/sh -c 'exit 3' >/dev/null 2>&1 && st=0 || st=$?
[ "$st" = 3 ] || die "\`brig run ... sh -c 'exit 3'\` exited $st, not 3"

echo "brig $("$brig" --version 2>/dev/null | head -1 | awk '{print $NF}'), podman $(podman --version | awk '{print $NF}'), crun $(crun --version | head -1 | awk '{print $NF}'), hyperfine $(hyperfine --version | awk '{print $NF}')"
echo "host: $(nproc) cores, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg); $runs runs per command in (a), $load_runs in (c); (a)'s stores on $(if [ "${BENCH_ON_DISK:-0}" = 1 ]; then echo "the disk ($(stat -f -c %T "$work"))"; else echo "a tmpfs (BENCH_ON_DISK=1: on the disk)"; fi)"
echo

# --- (a) run /bin/true --------------------------------------------------------
q() { printf '%q ' "$@"; }
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/run.json" \
    -n brig "$(q "${brig_run[@]}")" \
    -n podman "$(q "${podman_run[@]}")" \
    -n brig-runtime "$(q "${rt_run[@]}")" \
    -n brig-runtime-min "$(q "${rt_min_run[@]}")" >"$work/hf-run.log" 2>&1 ||
    { cat "$work/hf-run.log" >&2; die "hyperfine (run) failed"; }

# --- (b) peak RSS -------------------------------------------------------------
rss() { # rss CMD...: the largest "Maximum resident set size" (KiB) of 5 runs
    local max=0 v
    for _ in 1 2 3 4 5; do
        /usr/bin/time -v -o "$work/time.log" "$@" >/dev/null 2>&1 ||
            die "$* failed under /usr/bin/time"
        v=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.log")
        [ "$v" -gt "$max" ] && max=$v
    done
    echo "$max"
}
rss_brig=$(rss "${brig_run[@]}")
rss_podman=$(rss "${podman_run[@]}")
rss_rt=$(rss "${rt_run[@]}")

# --- (c) load a ~100 MB docker-archive -----------------------------------------
# Deterministic incompressible bytes: AES-CTR of zeros under a fixed key.
rnd() { # rnd BYTES SEED
    head -c "$1" /dev/zero |
        openssl enc -aes-128-ctr -nosalt -K "$(printf '%032x' "$2")" -iv "$(printf '%032x' 0)"
}
# Everything of (c), its sources, the archive and both load stores, on the
# tmpfs whatever BENCH_ON_DISK says: 10,000 small files made and deleted on
# the disk slowed the next benchmark's (a) threefold for every engine, and
# (c)'s own figure would be ext4's inode allocator, not the engine.
L="$mem/layers"
mkdir -p "$L/2/data/big" "$L/3/data/small" "$L/4/data/big" "$L/4/data/small"
for i in 1 2 3 4 5 6 7 8; do rnd $((8 << 20)) "$i" >"$L/2/data/big/blob$i"; done
for d in $(seq -w 0 99); do # 100 dirs x 100 files of 2,000 bytes
    mkdir "$L/3/data/small/d$d"
    rnd 200000 "$((1000 + 10#$d))" | split -b 2000 -a 3 -d - "$L/3/data/small/d$d/f"
done
rnd $((10 << 20)) 99 >"$L/4/data/big/blob1"  # replaces a file of layer 2
: >"$L/4/data/small/.wh.d99"                    # deletes a directory of layer 3
for i in 2 3 4; do tar_repro "$mem/layer$i.tar" "$L/$i"; done
rm -rf "$L"
step "umoci init" umoci init --layout "$mem/oci"
step "umoci new" umoci new --image "$mem/oci:load"
for t in "$work/busybox.tar" "$mem/layer2.tar" "$mem/layer3.tar" "$mem/layer4.tar"; do
    step "umoci raw add-layer" umoci raw add-layer --image "$mem/oci:load" "$t"
done
rm -f "$mem"/layer?.tar
step "umoci config" umoci config --image "$mem/oci:load" --config.cmd /bin/sh
step "skopeo copy" skopeo copy --quiet "oci:$mem/oci:load" \
    "docker-archive:$mem/load.tar:$load_img"
rm -rf "$mem/oci"
load_bytes=$(stat -c %s "$mem/load.tar")

podman_l=(podman --root "$mem/podman/root" --runroot "$mem/podman/run"
    --tmpdir "$s/podman/tmp" --storage-driver overlay)

# Each run loads into an emptied store: brig's is removed (a store with no
# image holds nothing else), podman's images are removed by podman.
step "brig load" env BRIG_STORAGE_ROOT="$mem/brig" "$brig" load -i "$mem/load.tar"
step "podman load" "${podman_l[@]}" load -q -i "$mem/load.tar"
hyperfine --warmup 1 --runs "$load_runs" --export-json "$work/load.json" \
    -n brig --prepare "rm -rf $mem/brig" \
    "BRIG_STORAGE_ROOT=$mem/brig $(q "$brig") load -i $mem/load.tar" \
    -n podman --prepare "$(q "${podman_l[@]}") rmi -a -f >/dev/null 2>&1" \
    "$(q "${podman_l[@]}") load -q -i $mem/load.tar" >"$work/hf-load.log" 2>&1 ||
    { cat "$work/hf-load.log" >&2; die "hyperfine (load) failed"; }
# The store held the image after the last run: the loads were real.
"${podman_l[@]}" image exists "$load_img" || die "podman load left no \`$load_img\`"
BRIG_STORAGE_ROOT="$mem/brig" "$brig" images | grep -q brig-bench-load ||
    die "brig load left no \`$load_img\` in \`brig images\`"

# --- summary --------------------------------------------------------------------
jq -r -s --argjson rb "$rss_brig" --argjson rp "$rss_podman" --argjson rr "$rss_rt" \
    --argjson bytes "$load_bytes" '
  def ms: . * 1000 | . * 100 | round / 100;
  def r2: . * 100 | round / 100;
  def r3: . * 1000 | round / 1000;
  def pad(n): tostring | . + (" " * n) | .[0:n];
  def cpu(x): x.user + x.system;
  (.[0].results | map({key: .command, value: .}) | from_entries) as $run
  | (.[1].results | map({key: .command, value: .}) | from_entries) as $load
  | ($run.brig.mean / $run.podman.mean) as $ratio
  | (($run.brig.mean - $run["brig-runtime"].mean) * 1000) as $over
  | ($bytes / 1e6) as $mb
  | "(a) run --rm /bin/true, per container      wall ms: mean (± sd)   median",
    ( [["brig", "brig"], ["podman", "podman"], ["brig-runtime", "brig-runtime, brig'"'"'s config"],
       ["brig-runtime-min", "brig-runtime, minimal config"]][] as [$n, $what]
      | "    \($what | pad(32))    \($run[$n].mean | ms | pad(8)) ± \($run[$n].stddev | ms | pad(6))  \($run[$n].median | ms)" ),
    "    brig/podman          wall \($ratio | r3)   (target <= 0.1: \(if $ratio <= 0.1 then "met" else "NOT met" end))",
    "    brig - brig-runtime  wall \($over | r2) ms   (target <= 5 ms: \(if $over <= 5 then "met" else "NOT met" end))",
    "",
    "(b) peak RSS of the `run` command (/usr/bin/time -v)   KiB",
    "    brig                  \($rb)",
    "    podman                \($rp)",
    "    brig-runtime          \($rr)",
    "    brig/podman           \($rb / $rp | r2)",
    "",
    "(c) load -i docker-archive, \($mb | r2) MB, 4 layers   wall s (± sd)      MB/s      cpu s (user+sys)",
    ( ["brig", "podman"][] as $n
      | "    \($n | pad(8))                             \($load[$n].mean | r2 | pad(6)) ± \($load[$n].stddev | r2 | pad(6))  \($mb / $load[$n].mean | r2 | pad(8))  \(cpu($load[$n]) | r2)" ),
    "    brig/podman          throughput \($load.podman.mean / $load.brig.mean | r2)x   cpu \(cpu($load.brig) / cpu($load.podman) | r2)"
' "$work/run.json" "$work/load.json"
