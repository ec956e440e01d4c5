#!/usr/bin/env bash
# Boot the test guest once and run one command in it.
#
# Usage: run.sh [-o RESULTS_DIR] [-t SECONDS] [-m MIB] [-p] PAYLOAD_DIR -- CMD [ARG...]
#
#   PAYLOAD_DIR  copied into the guest; CMD runs as root from that copy
#   -o DIR       unpack what CMD left in $BRIG_VM_RESULTS, plus the guest's
#                kernel log as dmesg.txt (avc denials are there), into DIR
#   -t SECONDS   kill the guest and fail after this long (default 900)
#   -m MIB       guest memory (default 1536)
#   -p           boot permissive (enforcing=0) instead of enforcing
#
# CMD's stdout is streamed to this script's stdout as it comes; the guest
# console (kernel messages, CMD's stderr) goes to stderr.  The exit status
# is CMD's (0..127), or 125 when the guest broke before reporting one,
# 124 on timeout.  The image comes from build-image.sh (built if needed;
# BRIG_VM_IMAGE=DIR uses a given one).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
results_dir='' timeout_s=${BRIG_VM_TIMEOUT:-900} mem=1536 enforcing=1

usage() {
    sed -n '3,12s/^# \{0,1\}//p' "$0" >&2
    exit 2
}
while getopts o:t:m:ph opt; do
    case $opt in
    o) results_dir=$OPTARG ;;
    t) timeout_s=$OPTARG ;;
    m) mem=$OPTARG ;;
    p) enforcing=0 ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 3 ] && [ "$2" = -- ] || usage
payload=$1
shift 2
[ -d "$payload" ] || { echo "run.sh: payload \`$payload\` is not a directory" >&2; exit 2; }

log() { echo "run.sh: $*" >&2; }

image=${BRIG_VM_IMAGE:-$("$here/build-image.sh")} || { log "image build failed"; exit 125; }
for f in vmlinux initrd.img root.img; do
    [ -f "$image/$f" ] || { log "image \`$image\` lacks $f"; exit 125; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/brig-vm.XXXXXX")
qpid='' tpid='' cpid=''
cleanup() {
    for p in $qpid $tpid $cpid; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The payload disk: a tar holding `cmd` (CMD, quoted for sh) and payload/.
quote() { printf "'%s' " "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
    printf 'exec '
    for a in "$@"; do quote "$a"; done
    echo
} >"$work/cmd"
tar -cf "$work/payload.tar" --numeric-owner -C "$work" cmd \
    -C "$(cd "$payload" && pwd)" --transform 's,^\./,payload/,;s,^\.$,payload,' .
truncate -s "${BRIG_VM_RESULTS_SIZE:-256M}" "$work/results.img"
: >"$work/stdout"
: >"$work/console"

# KVM only with a real kvm_intel/kvm_amd: other /dev/kvm back ends (this
# build machine's kvm_pvm) abort or crawl.  TCG needs the TSC frequency on
# the command line or the guest hangs calibrating it.
kernel_args="console=ttyS0 quiet loglevel=4 log_buf_len=8M panic=-1 8250.nr_uarts=4
security=selinux selinux=1 enforcing=$enforcing
cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1"
if { [ -e /sys/module/kvm_intel ] || [ -e /sys/module/kvm_amd ]; } && [ -w /dev/kvm ]; then
    accel=(-accel kvm -cpu host)
else
    accel=(-accel 'tcg,thread=multi')
    khz=$(awk -F': ' '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
    [ -n "$khz" ] && kernel_args="$kernel_args tsc_early_khz=$khz"
fi

start=$(date +%s%N)
timeout -k 5 "$timeout_s" qemu-system-x86_64 \
    -M microvm,acpi=on,pit=on,pic=on,rtc=on "${accel[@]}" \
    -smp 2 -m "$mem" -nodefaults -no-user-config -display none -monitor none -no-reboot \
    -kernel "$image/vmlinux" -initrd "$image/initrd.img" -append "$(echo $kernel_args)" \
    -chardev file,id=con,path="$work/console" -serial chardev:con \
    -chardev file,id=out,path="$work/stdout" -device isa-serial,chardev=out,iobase=0x2f8,irq=3,index=1 \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -drive id=root,file="$image/root.img",format=raw,if=none,snapshot=on,cache=unsafe \
    -device virtio-blk-device,drive=root,serial=brig-root \
    -drive id=payload,file="$work/payload.tar",format=raw,if=none,readonly=on \
    -device virtio-blk-device,drive=payload,serial=brig-payload \
    -drive id=results,file="$work/results.img",format=raw,if=none,cache=unsafe \
    -device virtio-blk-device,drive=results,serial=brig-results \
    </dev/null >"$work/qemu.log" 2>&1 &
qpid=$!
# Stream both serial ports while the guest runs; tail exits with qemu.
tail -c +1 -s 0.2 -f --pid=$qpid "$work/stdout" &
tpid=$!
if [ -n "${BRIG_VM_QUIET_CONSOLE:-}" ]; then
    cpid=
else
    tail -c +1 -s 0.2 -f --pid=$qpid "$work/console" >&2 &
    cpid=$!
fi
set +e
wait $qpid
qrc=$?
set -e
qpid=
wait $tpid || true
tpid=
[ -n "$cpid" ] && { wait "$cpid" || true; }
cpid=
ms=$((($(date +%s%N) - start) / 1000000))
elapsed=$((ms / 1000)).$(printf '%03d' $((ms % 1000)))

if [ -n "$results_dir" ]; then
    mkdir -p "$results_dir"
    tar -xf "$work/results.img" -C "$results_dir" 2>/dev/null || log "no results came back"
    cp "$work/console" "$results_dir/console.txt"
fi

if [ $qrc = 124 ] || [ $qrc = 137 ]; then
    log "guest timed out after ${timeout_s} s"
    exit 124
fi
if [ $((qrc % 2)) = 1 ]; then
    rc=$(((qrc - 1) / 2))
    log "guest command exited $rc (${elapsed} s)"
    exit $rc
fi
log "qemu exited $qrc before the guest reported a status:"
sed 's/^/    /' "$work/qemu.log" >&2
if [ -n "${BRIG_VM_QUIET_CONSOLE:-}" ]; then
    tail -n 30 "$work/console" | sed 's/^/    /' >&2
fi
exit 125
