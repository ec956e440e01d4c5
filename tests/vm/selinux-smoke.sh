#!/usr/bin/env bash
# Runs INSIDE the test guest (see run.sh), as root in kernel_t; prints TAP.
# Proves the environment the SELinux tests rely on, then the core SVirt
# claim with plain runcon and brig's policy module, without brig itself:
# a process in brig_container_t at s0:c1,c2 uses its own files and is
# refused another container's (s0:c3,c4) and the host's secrets, with the
# denial in the kernel log.
set -u

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
    n=$((n + 1)) failed=$((failed + 1))
    echo "not ok $n - $1"
    shift
    for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
}
# check NAME CMD...: ok when CMD succeeds; its output is shown on failure.
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}
# refuse NAME CMD...: ok when CMD fails for want of permission (and not
# because runcon itself could not start the container).
refuse() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then
        not_ok "$name" "unexpectedly succeeded: $out"
    elif echo "$out" | grep -q '^runcon:' || ! echo "$out" | grep -q 'Permission denied'; then
        not_ok "$name" "failed, but not with a permission error: $out"
    else
        ok "$name"
    fi
}

# Kernel log since the last mark(); avc lines are only there (no auditd).
mark_no=0
mark() {
    mark_no=$((mark_no + 1))
    echo "selinux-smoke: mark $mark_no" >/dev/kmsg
}
log_since_mark() { dmesg | sed -n "/selinux-smoke: mark $mark_no\$/,\$p"; }
# expect_avc NAME PATTERN...: every PATTERN matches one avc line since the mark.
expect_avc() {
    local name=$1 lines p
    shift
    lines=$(log_since_mark | grep 'avc:  *denied')
    for p in "$@"; do lines=$(printf '%s\n' "$lines" | grep -e "$p"); done
    if [ -n "$lines" ]; then ok "$name"; else not_ok "$name" "no avc line matching: $*" "$(log_since_mark | tail -5)"; fi
}



# --- the environment --------------------------------------------------------
check "guest: getenforce says Enforcing" test "$(getenforce)" = Enforcing
check "guest: policy is MLS/MCS (/sys/fs/selinux/mls is 1)" test "$(cat /sys/fs/selinux/mls)" = 1
check "guest: /sys/fs/cgroup is cgroup2" test "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs
ctrls=$(cat /sys/fs/cgroup/cgroup.controllers 2>&1)
check "guest: cgroup2 has cpu, memory and pids controllers ($ctrls)" \
    sh -c 'for c in cpu memory pids; do echo " $1 " | grep -q " $c " || exit 1; done' - "$ctrls"
check "guest: no cgroup v1 hierarchy is mounted" sh -c '! grep -q " cgroup " /proc/mounts'
check "guest: cgroup2 is mounted with nsdelegate" grep -q 'cgroup2 .*nsdelegate' /proc/mounts

# The kernel validates a context written to selinuxfs' `context` node: an
# unknown type is EINVAL.  Debian's own policy lacks container_t.
valid() { printf '%s' "$1" >/sys/fs/selinux/context; }
for t in brig_container_t brig_spc_t; do
    check "policy: process type $t is defined" valid "system_u:system_r:$t:s0:c1,c2"
done
for t in brig_container_file_t brig_container_ro_file_t; do
    check "policy: file type $t is defined" valid "system_u:object_r:$t:s0:c1,c2"
done
refuse_ctx() { ! valid system_u:system_r:brig_no_such_t:s0 2>/dev/null; }
check "policy: an undefined type is refused (the check above means something)" refuse_ctx

# --- SVirt with runcon --------------------------------------------------------
# The containers' files live on their own tmpfs, as brig's do; a container
# walks to them from / (root_t), never through the host's /tmp (tmp_t).
d=/svirt
mkdir -p "$d"
mountpoint -q "$d" || mount -t tmpfs -o mode=755 svirt "$d"
mkdir -p "$d/c12" "$d/c34"
echo own12 >"$d/c12/own.txt"
echo own34 >"$d/c34/own.txt"
echo shared >"$d/shared.txt"
echo host >"$d/host.txt"
echo ro >"$d/ro.txt"
# Static busybox as the containers' entrypoint: the first program must be
# a container file (brig_container_t's only entrypoints).
cp /bin/busybox "$d/c12/busybox"
cp /bin/busybox "$d/c34/busybox"
chcon -R system_u:object_r:brig_container_file_t:s0 "$d"
chcon -R system_u:object_r:brig_container_file_t:s0:c1,c2 "$d/c12"
chcon -R system_u:object_r:brig_container_file_t:s0:c3,c4 "$d/c34"
chcon system_u:object_r:etc_t:s0 "$d/host.txt"
chcon system_u:object_r:brig_container_ro_file_t:s0 "$d/ro.txt"

# Containers start in / : the payload directory we run from is default_t,
# which a container may not search (and would log denials for).
c12() { (cd / && runcon -t brig_container_t -l s0:c1,c2 "$d/c12/busybox" "$@"); }
c34() { (cd / && runcon -t brig_container_t -l s0:c3,c4 "$d/c34/busybox" "$@"); }

# Each helper prints what it saw, which check shows on failure.
runs_as() {
    local c
    c=$(c12 cat /proc/self/attr/current | tr -d '\0')
    echo "$c"
    case $c in *:brig_container_t:s0:c1,c2) ;; *) return 1 ;; esac
}
reads() { # reads WANT CMD...
    local want=$1 got
    shift
    got=$("$@") || return 1
    echo "$got"
    [ "$got" = "$want" ]
}
creates() {
    c12 sh -c "echo new >$d/c12/new.txt && cat $d/c12/new.txt" || return 1
    local label
    label=$(stat -c %C "$d/c12/new.txt")
    echo "$label"
    [ "$label" = system_u:object_r:brig_container_file_t:s0:c1,c2 ]
}
check "svirt: runcon starts busybox as brig_container_t:s0:c1,c2" runs_as
check "svirt: s0:c1,c2 reads its own file" reads own12 c12 cat "$d/c12/own.txt"
check "svirt: s0:c1,c2 creates files, labelled s0:c1,c2" creates
check "svirt: s0:c1,c2 reads a shared (s0) file" reads shared c12 cat "$d/shared.txt"
# Host programs stay out of reach: a container type executes only container
# file types, never the host's bin_t.
refuse "svirt: s0:c1,c2 cannot execute the host's /bin/cat (bin_t)" c12 sh -c "/bin/cat $d/c12/own.txt"

check "svirt: the transition also works under no_new_privs (as brig execs)" \
    reads own12 sh -c 'cd / && exec "$@"' - setpriv --no-new-privs runcon -t brig_container_t -l s0:c1,c2 "$d/c12/busybox" cat "$d/c12/own.txt"

check "svirt: s0:c1,c2 reads shared read-only content" reads ro c12 cat "$d/ro.txt"
refuse "svirt: s0:c1,c2 cannot write shared read-only content" c12 sh -c "echo x >>$d/ro.txt"

mark
refuse "svirt: s0:c1,c2 cannot read a s0:c3,c4 file" c12 cat "$d/c34/own.txt"
expect_avc "svirt: the denial is logged naming s0:c1,c2 and s0:c3,c4" \
    'scontext=system_u:system_r:brig_container_t:s0:c1,c2' 'tcontext=system_u:object_r:brig_container_file_t:s0:c3,c4' 'permissive=0'
refuse "svirt: s0:c3,c4 cannot read the s0:c1,c2 file either" c34 cat "$d/c12/own.txt"

mark
refuse "svirt: a container cannot read /etc/shadow" c12 cat /etc/shadow
expect_avc "svirt: the /etc/shadow denial is logged" 'brig_container_t:s0:c1,c2' 'shadow_t'
refuse "svirt: a container cannot write host files" c12 sh -c "echo x >>$d/host.txt"

# label=disable: brig_spc_t is not MCS-constrained.
spc() { (cd / && runcon -t brig_spc_t -l s0 "$d/c12/busybox" "$@"); }
check "spc: brig_spc_t reads both containers' files" \
    reads "own12 own34" spc sh -c "echo \$(cat $d/c12/own.txt $d/c34/own.txt)"

# --- permissive mode: the same read succeeds, and is logged ---------------------
mark
setenforce 0
check "permissive: the s0:c3,c4 read succeeds" reads own34 c12 cat "$d/c34/own.txt"
setenforce 1
expect_avc "permissive: the read is logged with permissive=1" \
    'scontext=system_u:system_r:brig_container_t:s0:c1,c2' 'tcontext=system_u:object_r:brig_container_file_t:s0:c3,c4' 'permissive=1'
check "guest: back to Enforcing" test "$(getenforce)" = Enforcing

echo "1..$n"
[ $failed = 0 ]
