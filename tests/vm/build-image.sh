#!/usr/bin/env bash
# Build (or find in the cache) the test guest: Debian's kernel as an ELF
# vmlinux, a tiny initramfs that mounts the root disk, and an ext4 root
# image with SELinux policy (brig's module included) labelled offline.
#
# Usage: build-image.sh        prints the image directory on stdout
#
# The image lives in ${BRIG_VM_CACHE:-/var/cache/brig-vm}/<key>/ where key
# is the sha256 of everything that goes into it: this script, the guest
# init scripts, the package list, brig's policy modules and the kernel
# package's version.  A second call with the same inputs only computes
# the key.  Needs root, network access to the Debian mirror in the host's
# apt sources, and the `vm` package set of scripts/deps.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${BRIG_VM_CACHE:-/var/cache/brig-vm}
suite=bookworm

log() { echo "build-image: $*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (mmdebstrap, chroot, mke2fs -d)"

# kernel_pkg: Debian's linux-image-amd64 meta package depends on exactly
# one versioned image package: print "NAME VERSION" from the host's apt
# lists (one apt-cache call: the cached path must stay well under 1 s).
kernel_pkg() {
    apt-cache show --no-all-versions linux-image-amd64 2>/dev/null |
        sed -n 's/^Depends: \(linux-image-[^ ,]*\) (= \([^)]*\)).*/\1 \2/p' | head -1
}
kernel=$(kernel_pkg)
if [ -z "$kernel" ]; then
    log "apt lists lack linux-image-amd64: running apt-get update"
    apt-get update -qq >&2 || die "apt-get update failed"
    kernel=$(kernel_pkg)
    [ -n "$kernel" ] || die "no linux-image-amd64 in the apt sources"
fi
kpkg=${kernel% *}
kver_pkg=${kernel#* }

policies=("$top"/policy/*.cil "$top"/policy/test/*.cil)
hash=$(
    {
        cat "$here/build-image.sh" "$here/initramfs-init" "$here/guest-init" "$here/packages"
        for f in "${policies[@]}"; do printf '%s\n' "${f#"$top"/}"; cat "$f"; done
        echo "$suite $kpkg $kver_pkg"
    } | sha256sum | cut -c1-64
)
key=${hash:0:16}
out=$cache/$key
if [ -f "$out/done" ]; then
    touch "$out" # marks it used, for pruning below
    echo "$out"
    exit 0
fi

for tool in mmdebstrap mke2fs cpio depmod modprobe xz; do
    command -v "$tool" >/dev/null || die "\`$tool\` not found (run scripts/deps.sh vm)"
done

mkdir -p "$cache"
# One build at a time per cache; a concurrent caller waits, then finds the
# finished image.
exec 9>"$cache/.lock"
flock 9
if [ -f "$out/done" ]; then
    echo "$out"
    exit 0
fi

start=$(date +%s)
work=$(mktemp -d "$cache/.build.XXXXXX")
# --one-file-system: should an interrupted mmdebstrap leave the host's
# /dev or /proc bound inside the tree, never delete through them.
cleanup() { rm -rf --one-file-system "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
root=$work/root
mkdir -p "$root" "$work/out"

# --- kernel -----------------------------------------------------------------
log "kernel: $kpkg $kver_pkg"
(cd "$work" && apt-get download -q -o APT::Sandbox::User=root "$kpkg=$kver_pkg" >&2) ||
    die "apt-get download $kpkg failed"
dpkg-deb -x "$work"/linux-image-*.deb "$work/kernel"
kver=$(ls "$work/kernel/lib/modules")
vmlinuz=$work/kernel/boot/vmlinuz-$kver

# extract_vmlinux: the bzImage wraps a compressed ELF; under TCG the bare
# ELF boots about twice as fast (no decompression in emulated code).  Try
# every offset where a known compressor's magic appears until one yields
# an ELF file.
extract_vmlinux() {
    local magic tool pos
    while read -r magic tool; do
        for pos in $(LC_ALL=C grep -obUaP "$magic" "$vmlinuz" | cut -d: -f1); do
            tail -c +$((pos + 1)) "$vmlinuz" | $tool -dc 2>/dev/null >"$work/out/vmlinux" || true
            if [ "$(head -c 4 "$work/out/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
                return 0
            fi
        done
    done <<'EOF'
\xfd7zXZ\x00 xz
\x28\xb5\x2f\xfd zstd
\x1f\x8b\x08 gzip
EOF
    return 1
}
extract_vmlinux || die "no ELF kernel found inside \`$vmlinuz\`"

# --- root file system ---------------------------------------------------------
# Use the Debian sources this host's apt uses (the mirror we can reach).
sources=$("$top/scripts/debian-sources.sh" "${BRIG_VM_MIRROR:-}") ||
    die "no Debian source in the host's apt sources (set BRIG_VM_MIRROR)"
pkgs=$(sed 's/#.*//' "$here/packages" | xargs | tr ' ' ',')
log "mmdebstrap $suite ($pkgs) from $sources"
mmdebstrap --quiet --variant=essential --mode=root \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    --include="$pkgs" \
    --customize-hook='rm -f "$1"/var/cache/apt/*.bin; rm -rf "$1"/var/lib/apt/lists/*' \
    "$suite" "$root" "$sources" >&2 ||
    die "mmdebstrap failed"

# brig's policy (and the test-only module) go in at build time, in one
# transaction: installing modules inside the TCG guest takes ~45 s.
semod_args=()
for f in "${policies[@]}"; do
    cp "$f" "$root/tmp/"
    semod_args+=(-i "/tmp/$(basename "$f")")
done
log "semodule ${semod_args[*]}"
chroot "$root" semodule "${semod_args[@]}" >&2 || die "semodule failed"
rm -f "$root"/tmp/*.cil

cat >"$root/etc/selinux/config" <<'EOF'
SELINUX=enforcing
SELINUXTYPE=default
EOF

# Kernel modules the tests may load (overlay, veth, bridge, netfilter...):
# everything except sound and most hardware drivers, to keep the image small.
mdir=$root/lib/modules/$kver
mkdir -p "$mdir/kernel/drivers"
cp -a "$work/kernel/lib/modules/$kver"/modules.{builtin,builtin.modinfo,order} "$mdir/"
for d in arch block crypto fs lib mm net virt; do
    [ -d "$work/kernel/lib/modules/$kver/kernel/$d" ] && cp -a "$work/kernel/lib/modules/$kver/kernel/$d" "$mdir/kernel/"
done
for d in block char virtio net/ipvlan net/vxlan; do
    mkdir -p "$mdir/kernel/drivers/$(dirname "$d")"
    cp -a "$work/kernel/lib/modules/$kver/kernel/drivers/$d" "$mdir/kernel/drivers/$d"
done
cp -a "$work/kernel/lib/modules/$kver/kernel/drivers/net"/*.ko "$mdir/kernel/drivers/net/"
depmod -b "$root" "$kver"

install -m 755 "$here/guest-init" "$root/sbin/brig-vm-init"
echo brig-vm >"$root/etc/hostname"
: >"$root/etc/machine-id"
mkdir -p "$root/vm" "$root/results"

# --- initramfs: static busybox + the modules needed to reach the root disk --
depmod -b "$work/kernel" "$kver"
ird=$work/initramfs
mkdir -p "$ird/bin" "$ird/modules"
: >"$ird/modules/order"
for m in virtio_mmio virtio_blk crc32c_generic ext4; do
    modprobe -d "$work/kernel" -S "$kver" --show-depends "$m"
done | awk '$1 == "insmod" { print $2 }' | while read -r ko; do
        name=$(basename "$ko")
        grep -qx "$name" "$ird/modules/order" && continue
        # Needs SSE4.2, which TCG's default CPU lacks; crc32c_generic serves.
        [ "$name" = crc32c-intel.ko ] && continue
        cp "$ko" "$ird/modules/$name"
        echo "$name" >>"$ird/modules/order"
    done
grep -qx virtio_blk.ko "$ird/modules/order" || die "module list lacks virtio_blk"
# The image's own static busybox: the initramfs needs nothing of the host's.
cp "$root/bin/busybox" "$ird/bin/busybox"
cp "$here/initramfs-init" "$ird/init"
chmod 755 "$ird/init"
(cd "$ird" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) >"$work/out/initrd.img"

# Label offline with the image's own setfiles and policy, through the
# image's loader: the host needs no SELinux, and the labels land in
# security.selinux xattrs that mke2fs -d copies into the image.
policy=$(ls "$root"/etc/selinux/default/policy/policy.* | sort -V | tail -1)
fc=$root/etc/selinux/default/contexts/files/file_contexts
log "labelling with $(basename "$policy")"
"$root/lib64/ld-linux-x86-64.so.2" --library-path "$root/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu" \
    "$root/sbin/setfiles" -r "$root" -c "$policy" "$fc" "$root" >&2 ||
    die "setfiles failed"

used=$(du -sm "$root" | cut -f1)
size=$((used * 2 + 1024))
log "root image: ${used} MiB used, ${size} MiB file system"
# UUID and directory hash seed from the key, so equal inputs give equal
# file system metadata.
uuid=${hash:0:8}-${hash:8:4}-${hash:12:4}-${hash:16:4}-${hash:20:12}
mke2fs -q -t ext4 -L brig-vm -U "$uuid" -d "$root" -E root_owner=0:0,hash_seed="$uuid" \
    "$work/out/root.img" "${size}M" >&2 ||
    die "mke2fs failed"
echo "$kver" >"$work/out/kver"
echo "$kpkg $kver_pkg" >"$work/out/kernel-package"
touch "$work/out/done"

rm -rf "$out"
mv "$work/out" "$out"
# Keep the two most recently used images (one per branch being worked on,
# say); older keys are stale inputs.
ls -dt "$cache"/*/ | tail -n +3 | while read -r old; do
    [ -f "$old/done" ] && rm -rf "$old"
done
log "built $out in $(($(date +%s) - start)) s"
echo "$out"
