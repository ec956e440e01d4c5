#!/bin/sh
# mkbundle.sh: make an OCI bundle (DIR/config.json + DIR/rootfs) from
# Debian's static busybox, for the integration tests, the README demo and the
# benchmarks.
#
# Usage: mkbundle.sh [--rootfs-only] [--shared-rootfs ROOTFS] DIR [RUNTIME]
#   DIR                    the bundle directory (created if missing)
#   RUNTIME                optional: take config.json from `RUNTIME spec`
#                          (with process.terminal set to false) instead of
#                          brig's runtime-independent default below, so a
#                          benchmark can run each runtime on its own defaults
#   --rootfs-only          build DIR/rootfs only (a template to share)
#   --shared-rootfs ROOTFS write only DIR/config.json, its root.path pointing
#                          at the existing ROOTFS (absolute) with
#                          root.readonly true: many bundles, one rootfs
#
# The config is generated here with jq rather than by a runtime, so the tests
# do not depend on the runtime under test to build their inputs.  It is
# runc's `spec` default made non-interactive (terminal false), with brig's
# default capability set and a cgroup namespace.
set -eu

die() { echo "mkbundle.sh: $*" >&2; exit 1; }

rootfs_only=false
shared=""
while [ $# -gt 0 ]; do
    case "$1" in
    --rootfs-only) rootfs_only=true; shift ;;
    --shared-rootfs) [ $# -ge 2 ] || die "--shared-rootfs needs a path"; shared=$2; shift 2 ;;
    --) shift; break ;;
    -*) die "unknown option \`$1\`" ;;
    *) break ;;
    esac
done
[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: mkbundle.sh [--rootfs-only] [--shared-rootfs ROOTFS] DIR [RUNTIME]"
dir=$1
runtime=${2:-}
busybox=${BUSYBOX:-/bin/busybox}

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

make_rootfs() {
    r=$1
    [ -x "$busybox" ] || die "\`$busybox\` not found (apt-get install busybox-static)"
    # A dynamically linked busybox would need the host's libc inside.
    if command -v file >/dev/null 2>&1 && ! file -L "$busybox" | grep -q 'static'; then
        die "\`$busybox\` is not statically linked (install busybox-static)"
    fi
    mkdir -p "$r/bin" "$r/sbin" "$r/usr/bin" "$r/usr/sbin" "$r/etc" "$r/tmp" \
        "$r/proc" "$r/sys" "$r/dev" "$r/root" "$r/home/user" "$r/mnt" "$r/var" "$r/run"
    chmod 1777 "$r/tmp"
    chown 1000:1000 "$r/home/user"
    # --install -s links every applet to the running binary's resolved
    # absolute path (/usr/bin/busybox on a merged-/usr host), so the copy
    # goes to that same path inside the rootfs; one process, no per-link fork.
    real=$(readlink -f "$busybox")
    mkdir -p "$r$(dirname "$real")"
    cp "$real" "$r$real"
    [ "$real" = /bin/busybox ] || ln -sf "$real" "$r/bin/busybox"
    "$real" --install -s "$r/bin"
    cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
    cat >"$r/etc/group" <<'EOF'
root:x:0:
tty:x:5:
user:x:1000:
nogroup:x:65534:
EOF
    echo brig >"$r/etc/hostname"
    : >"$r/etc/hosts"
    : >"$r/etc/resolv.conf"
}

write_config() { # write_config ROOT_PATH READONLY
    jq -n --arg root "$1" --argjson ro "$2" '{
  ociVersion: "1.0.2",
  process: {
    terminal: false,
    user: { uid: 0, gid: 0 },
    args: ["sh"],
    env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    cwd: "/",
    capabilities: (["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
                    "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
                    "CAP_SETUID", "CAP_SYS_CHROOT"] as $c
                   | { bounding: $c, effective: $c, permitted: $c }),
    rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
    noNewPrivileges: true
  },
  root: { path: $root, readonly: $ro },
  hostname: "brig",
  mounts: [
    { destination: "/proc", type: "proc", source: "proc" },
    { destination: "/dev", type: "tmpfs", source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    { destination: "/dev/pts", type: "devpts", source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
    { destination: "/dev/shm", type: "tmpfs", source: "shm",
      options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue",
      options: ["nosuid", "noexec", "nodev"] },
    { destination: "/sys", type: "sysfs", source: "sysfs",
      options: ["nosuid", "noexec", "nodev", "ro"] },
    { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
      options: ["nosuid", "noexec", "nodev", "relatime", "ro"] }
  ],
  linux: {
    resources: { devices: [{ allow: false, access: "rwm" }] },
    namespaces: [{ type: "pid" }, { type: "network" }, { type: "ipc" }, { type: "uts" },
                 { type: "mount" }, { type: "cgroup" }],
    maskedPaths: ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                  "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                  "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
    readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
  }
}' >"$dir/config.json.tmp"
    mv "$dir/config.json.tmp" "$dir/config.json"
}

command -v jq >/dev/null 2>&1 || die "jq not found (apt-get install jq)"

if [ -n "$shared" ]; then
    [ -x "$shared/bin/busybox" ] || die "shared rootfs \`$shared\` has no /bin/busybox"
    shared=$(cd "$shared" && pwd)
    write_config "$shared" true
    exit 0
fi

make_rootfs "$dir/rootfs"
$rootfs_only && exit 0

if [ -n "$runtime" ]; then
    # The runtime's own default, made non-interactive.
    (cd "$dir" && rm -f config.json && "$runtime" spec) || die "\`$runtime spec\` failed"
    jq '.process.terminal = false' "$dir/config.json" >"$dir/config.json.tmp"
    mv "$dir/config.json.tmp" "$dir/config.json"
else
    write_config rootfs false
fi
