#!/bin/sh
# Install the Debian packages a make target needs, and only those that are
# missing (a fresh Debian 12 machine has none of them).  Usage: deps.sh SET...
#   build  compile brig            demo   run the README's container
#   check  the whole test suite    bench  the benchmarks
#   vm     the enforcing-SELinux guest
set -eu
pkgs=""
for set in "$@"; do
    case "$set" in
    build) pkgs="$pkgs gcc make meson ninja-build pkg-config libjson-c-dev libseccomp-dev libselinux1-dev libsepol-dev libarchive-dev libsemanage-dev libaudit-dev" ;;
    demo) pkgs="$pkgs busybox-static jq" ;;
    check) pkgs="$pkgs libcmocka-dev bats busybox-static clang libclang-rt-14-dev jq iproute2 util-linux procps strace skopeo umoci podman" ;;
    bench) pkgs="$pkgs crun runc podman skopeo umoci openssl hyperfine time busybox-static jq util-linux" ;;
    vm) pkgs="$pkgs qemu-system-x86 cpio kmod mmdebstrap e2fsprogs busybox-static" ;;
    *) echo "deps.sh: unknown package set \`$set\`" >&2; exit 2 ;;
    esac
done
missing=""
for p in $pkgs; do
    case " $missing " in *" $p "*) continue ;; esac
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$st" = "install ok installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "deps.sh: missing packages:$missing (run as root to install them)" >&2
    exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
