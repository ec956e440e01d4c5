#!/bin/sh
# The README's first command (`make demo`): build a busybox rootfs from
# Debian's busybox-static, import it as an image and run one real container
# with the engine (`brig run`, docker's way), then the same rootfs with the
# OCI runtime alone; each shows what the process inside sees of its
# confinement.
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
runtime="$top/$build/src/runtime/brig-runtime"
demo="$top/$build/demo"
state="$demo/state"

[ -x "$runtime" ] || { echo "demo.sh: \`$runtime\` not built (run make)" >&2; exit 1; }
rm -rf "$demo/bundle"
"$top/scripts/mkbundle.sh" "$demo/bundle" >/dev/null

selinux=$("$runtime" features | jq -r '.linux.selinux.enabled')
# A small seccomp filter so the demo shows a filtered process: everything is
# allowed but a few calls a container has no business making.
jq --arg sel "$selinux" '
  .hostname = "brig-demo"
  | .process.env += ["BRIG_SELINUX=" + $sel]
  | .process.args = ["/bin/sh", "/demo.sh"]
  | .linux.seccomp = {
      defaultAction: "SCMP_ACT_ALLOW",
      architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
      syscalls: [{names: ["kexec_load", "init_module", "finit_module", "delete_module",
                          "reboot", "swapon", "swapoff", "acct"],
                  action: "SCMP_ACT_ERRNO"}]}
' "$demo/bundle/config.json" >"$demo/bundle/config.json.new"
mv "$demo/bundle/config.json.new" "$demo/bundle/config.json"

cat >"$demo/bundle/rootfs/demo.sh" <<'EOS'
caps() { # decode a capability mask into names
    names="chown dac_override dac_read_search fowner fsetid kill setgid setuid setpcap linux_immutable net_bind_service net_broadcast net_admin net_raw ipc_lock ipc_owner sys_module sys_rawio sys_chroot sys_ptrace sys_pacct sys_admin sys_boot sys_nice sys_resource sys_time sys_tty_config mknod lease audit_write audit_control setfcap mac_override mac_admin syslog wake_alarm block_suspend audit_read perfmon bpf checkpoint_restore"
    mask=$((0x$1)) i=0 out=""
    for n in $names; do
        [ $(( (mask >> i) & 1 )) -eq 1 ] && out="$out $n"
        i=$((i + 1))
    done
    echo "${out:- (none)}"
}
st() { awk -v k="$1:" '$1 == k { print $2 }' /proc/self/status; }
echo "hostname:        $(hostname)"
echo "pid 1:           $(cat /proc/1/cmdline | tr '\0' ' ')(this shell is pid $$)"
echo "processes seen:  $(ls -d /proc/[0-9]* | wc -l)"
echo "user:            $(id)"
echo "effective caps: $(caps "$(st CapEff)")"
echo "bounding caps:  $(caps "$(st CapBnd)")"
echo "inheritable:    $(caps "$(st CapInh)")"
echo "ambient:        $(caps "$(st CapAmb)")"
echo "no_new_privs:    $(st NoNewPrivs)"
echo "seccomp mode:    $(st Seccomp) (0 none, 1 strict, 2 filter)"
if [ "$BRIG_SELINUX" = true ]; then
    echo "SELinux label:   $(cat /proc/self/attr/current)"
else
    echo "SELinux:         not enabled on this host"
fi
echo "cgroup:          $(cat /proc/self/cgroup | head -3 | tr '\n' ' ')"
echo "network:         $(ls /sys/class/net | tr '\n' ' ')"
EOS

engine="$top/$build/src/engine/brig"
[ -x "$engine" ] || { echo "demo.sh: \`$engine\` not built (run make)" >&2; exit 1; }
# The engine keeps its demo image and containers beside the build, not in
# /var/lib/brig.
export BRIG_STORAGE_ROOT="$demo/storage" BRIG_RUN_ROOT="$state"
tar -C "$demo/bundle/rootfs" -cf "$demo/rootfs.tar" .
"$engine" import "$demo/rootfs.tar" brig-demo:latest >/dev/null
echo "== brig run --rm -h brig-demo brig-demo /bin/sh /demo.sh"
echo "   (brig's own defaults: seccomp allowlist, DESIGN.md's capabilities, SVirt labels)"
"$engine" run --rm -h brig-demo -e BRIG_SELINUX="$selinux" brig-demo /bin/sh /demo.sh
"$engine" rmi brig-demo:latest >/dev/null

echo
echo "== brig-runtime run (bundle $demo/bundle)"
"$runtime" --root "$state" run --bundle "$demo/bundle" "brig-demo-$$"
