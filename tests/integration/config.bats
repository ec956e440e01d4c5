#!/usr/bin/env bats
# config.json honoured: every field checked from inside the container by a
# shell printing the fact (or, for hooks, by files the hooks write).

load helpers

# out: `run` the container to completion with stdin closed.
# The output is echoed so a failing test shows it.
out() {
    run runtime run "$ID" </dev/null
    printf 'status %s, output:\n%s\n' "$status" "$output"
}

# hostdir NAME: a fresh host directory under the test's tmpdir.
hostdir() {
    mkdir -p "$BATS_TEST_TMPDIR/$1"
    echo "$BATS_TEST_TMPDIR/$1"
}

# --- process ---------------------------------------------------------------

@test "hostname is set" {
    cfg '.hostname = "box1"'
    cmd 'hostname'
    out
    [ "$status" -eq 0 ] && [ "$output" = box1 ]
}

@test "a new network namespace has its loopback up" {
    cmd 'cat /sys/class/net/lo/operstate; cat /sys/class/net/lo/flags'
    out
    [ "$status" -eq 0 ]
    # IFF_UP is bit 0 of the flags
    flags=$(echo "$output" | tail -1)
    [ $((flags & 1)) -eq 1 ]
}

@test "brig: domainname is set" {
    brig_only "runc 1.1 ignores the domainname field"
    cfg '.domainname = "example.org"'
    cmd 'cat /proc/sys/kernel/domainname'
    out
    [ "$status" -eq 0 ] && [ "$output" = example.org ]
}

@test "process.env is the whole environment" {
    cfg '.process.env = ["PATH=/bin", "A=1", "B=two words"]'
    cmd 'echo "$A|$B|$PATH"; env | grep -c ='
    out
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "1|two words|/bin" ]
}

@test "process.cwd is the working directory" {
    cfg '.process.cwd = "/etc"'
    cmd 'pwd'
    out
    [ "$output" = /etc ]
}

@test "process.cwd that does not exist is created" {
    private_rootfs
    cfg '.process.cwd = "/work/here"'
    cmd 'pwd'
    out
    [ "$status" -eq 0 ] && [ "$output" = /work/here ]
    [ -d "$BUNDLE/rootfs/work/here" ]
}

@test "process.args are passed exactly" {
    cfg '.process.args = ["sh", "-c", "printf \"[%s]\" \"$@\"", "zero", "a b", "", "c*"]'
    out
    [ "$output" = "[a b][][c*]" ]
}

@test "process.user uid and gid" {
    cfg '.process.user = {uid: 1000, gid: 1000}'
    cmd 'id -u; id -g; id -G'
    out
    [ "$output" = "$(printf '1000\n1000\n1000')" ]
}

@test "process.user.additionalGids" {
    cfg '.process.user = {uid: 1000, gid: 1000, additionalGids: [10, 20]}'
    cmd 'id -G'
    out
    [ "$output" = "1000 10 20" ]
}

@test "root has no supplementary groups by default" {
    cmd 'grep ^Groups: /proc/self/status'
    out
    [ "$(echo $output)" = "Groups:" ]
}

@test "process.user.umask" {
    cfg '.process.user.umask = 63'
    cmd 'umask'
    out
    [ "$output" = 0077 ]
}

@test "process.rlimits RLIMIT_NOFILE soft and hard" {
    cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 512, hard: 1000}]'
    cmd 'ulimit -Sn; ulimit -Hn'
    out
    [ "$output" = "$(printf '512\n1000')" ]
}

@test "process.rlimits RLIMIT_NPROC" {
    cfg '.process.rlimits += [{type: "RLIMIT_NPROC", soft: 77, hard: 77}]'
    cmd 'ulimit -u'
    out
    [ "$output" = 77 ]
}

@test "process.oomScoreAdj" {
    cfg '.process.oomScoreAdj = 500'
    cmd 'cat /proc/self/oom_score_adj'
    out
    [ "$output" = 500 ]
}

@test "process.noNewPrivileges true sets NoNewPrivs" {
    cfg '.process.noNewPrivileges = true'
    cmd 'grep ^NoNewPrivs: /proc/self/status'
    out
    [ "$(echo $output)" = "NoNewPrivs: 1" ]
}

@test "process.noNewPrivileges false leaves NoNewPrivs clear" {
    cfg '.process.noNewPrivileges = false'
    cmd 'grep ^NoNewPrivs: /proc/self/status'
    out
    [ "$(echo $output)" = "NoNewPrivs: 0" ]
}

# --- capabilities ------------------------------------------------------------

@test "default capability set is exactly brig's eleven (CapEff 800405fb)" {
    cmd 'grep -E "^Cap(Eff|Prm|Bnd):" /proc/self/status'
    out
    [ "$(echo $output)" = "CapPrm: 00000000800405fb CapEff: 00000000800405fb CapBnd: 00000000800405fb" ]
}

@test "an empty capability set drops everything" {
    cfg '.process.capabilities = {bounding: [], effective: [], permitted: [], inheritable: [], ambient: []}'
    cmd 'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb):" /proc/self/status'
    out
    [ "$(echo $output)" = "CapInh: 0000000000000000 CapPrm: 0000000000000000 CapEff: 0000000000000000 CapBnd: 0000000000000000 CapAmb: 0000000000000000" ]
}

@test "without CAP_SYS_ADMIN sethostname really fails" {
    cmd 'hostname other'
    out
    [ "$status" -ne 0 ]
}

@test "adding CAP_SYS_ADMIN allows sethostname" {
    cfg '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])'
    cmd 'hostname other && hostname'
    out
    [ "$status" -eq 0 ] && [ "$output" = other ]
}

@test "without CAP_CHOWN chown really fails" {
    private_rootfs
    cfg '.process.capabilities |= with_entries(.value -= ["CAP_CHOWN"])'
    cmd 'touch /tmp/f && chown 1000 /tmp/f'
    out
    [ "$status" -ne 0 ]
    [ "$(stat -c %u "$BUNDLE/rootfs/tmp/f")" = 0 ]
}

@test "a non-root user keeps no capabilities unless ambient" {
    cfg '.process.user = {uid: 1000, gid: 1000}'
    cmd 'grep -E "^Cap(Prm|Eff):" /proc/self/status'
    out
    [ "$(echo $output)" = "CapPrm: 0000000000000000 CapEff: 0000000000000000" ]
}

@test "ambient capabilities reach a non-root user" {
    cfg '.process.user = {uid: 1000, gid: 1000} |
         .process.capabilities = {bounding: ["CAP_NET_BIND_SERVICE"], effective: ["CAP_NET_BIND_SERVICE"],
            permitted: ["CAP_NET_BIND_SERVICE"], inheritable: ["CAP_NET_BIND_SERVICE"],
            ambient: ["CAP_NET_BIND_SERVICE"]}'
    cmd 'grep -E "^Cap(Eff|Amb):" /proc/self/status'
    out
    [ "$(echo $output)" = "CapEff: 0000000000000400 CapAmb: 0000000000000400" ]
}

# --- root and mounts ---------------------------------------------------------

@test "root.readonly: writing to / fails" {
    cmd 'touch /newfile'
    out
    [ "$status" -ne 0 ]
    grep -qi 'read-only' <<<"$output"
}

@test "a writable root takes writes" {
    private_rootfs
    cmd 'echo hi > /newfile && cat /newfile'
    out
    [ "$status" -eq 0 ] && [ "$output" = hi ]
    [ "$(cat "$BUNDLE/rootfs/newfile")" = hi ]
}

@test "root.path relative to the bundle" {
    private_rootfs
    mv "$BUNDLE/rootfs" "$BUNDLE/myroot"
    cfg '.root.path = "myroot"'
    cmd 'echo ok'
    out
    [ "$output" = ok ]
}

@test "tmpfs mount with size and mode" {
    cfg '.mounts += [{destination: "/mnt", type: "tmpfs", source: "tmpfs", options: ["size=1m", "mode=700"]}]'
    cmd 'grep " /mnt " /proc/self/mountinfo; echo x > /mnt/f && cat /mnt/f'
    out
    [ "$status" -eq 0 ]
    grep -q ' - tmpfs .*size=1024k.*mode=700' <<<"${lines[0]}"
    [ "${lines[1]}" = x ]
}

@test "tmpfs size limit is enforced" {
    cfg '.mounts += [{destination: "/mnt", type: "tmpfs", source: "tmpfs", options: ["size=64k"]}]'
    cmd 'dd if=/dev/zero of=/mnt/big bs=1k count=200 2>&1; ls -s /mnt/big'
    out
    grep -qi 'no space' <<<"$output"
}

@test "bind mount read-only: reads work, writes fail" {
    src=$(hostdir ro)
    echo content >"$src/file"
    cfg '.mounts += [{destination: "/mnt", type: "bind", source: $s, options: ["bind", "ro"]}]' --arg s "$src"
    cmd 'cat /mnt/file; (echo x > /mnt/file2) 2>/dev/null || echo write-failed'
    out
    [ "${lines[0]}" = content ]
    [ "${lines[-1]}" = write-failed ]
    [ ! -e "$src/file2" ]
}

@test "bind mount read-write: writes reach the host" {
    src=$(hostdir rw)
    cfg '.mounts += [{destination: "/mnt", type: "bind", source: $s, options: ["rbind", "rw"]}]' --arg s "$src"
    cmd 'echo from-container > /mnt/f'
    out
    [ "$status" -eq 0 ]
    [ "$(cat "$src/f")" = from-container ]
}

@test "bind mount of a single file" {
    echo filedata >"$BATS_TEST_TMPDIR/one"
    cfg '.mounts += [{destination: "/etc/hostname", type: "bind", source: $s, options: ["bind", "ro"]}]' \
        --arg s "$BATS_TEST_TMPDIR/one"
    cmd 'cat /etc/hostname'
    out
    [ "$output" = filedata ]
}

@test "bind mount destination is created when missing" {
    private_rootfs
    src=$(hostdir src)
    touch "$src/marker"
    cfg '.mounts += [{destination: "/data/deep/dir", type: "bind", source: $s, options: ["rbind"]}]' --arg s "$src"
    cmd 'ls /data/deep/dir'
    out
    [ "$status" -eq 0 ] && [ "$output" = marker ]
}

@test "mount propagation options are accepted (rprivate, rslave, shared)" {
    a=$(hostdir a)
    b=$(hostdir b)
    c=$(hostdir c)
    cfg '.mounts += [
        {destination: "/mnt", type: "bind", source: $a, options: ["rbind", "rprivate"]},
        {destination: "/home", type: "bind", source: $b, options: ["rbind", "rslave"]},
        {destination: "/var", type: "bind", source: $c, options: ["rbind", "private"]}]' \
        --arg a "$a" --arg b "$b" --arg c "$c"
    cmd 'grep -c -E " /(mnt|home|var) " /proc/self/mountinfo'
    out
    [ "$status" -eq 0 ] && [ "$output" = 3 ]
}

@test "rootfsPropagation private is accepted" {
    cfg '.linux.rootfsPropagation = "private"'
    cmd 'echo ok'
    out
    [ "$output" = ok ]
}

@test "nosuid/nodev/noexec mount flags reach the kernel" {
    cfg '.mounts += [{destination: "/mnt", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "noexec"]}]'
    cmd 'grep " /mnt " /proc/self/mountinfo | cut -d" " -f6'
    out
    [[ "$output" == *nosuid* && "$output" == *nodev* && "$output" == *noexec* ]]
}

@test "the mount namespace hides the container's mounts from the host" {
    cfg '.mounts += [{destination: "/mnt", type: "tmpfs", source: "tmpfs"}]'
    cmd 'sleep 100'
    run_detached
    refute grep -q "$TEMPLATE" /proc/self/mountinfo
    [ "$(readlink "/proc/$(pid_of)/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
}

# A masked file is /dev/null bound over it; a masked directory is an empty
# read-only tmpfs.  Checked by what the mask is, not by reading: /proc/kcore
# reads 0 bytes to a process without CAP_SYS_RAWIO whether masked or not.
@test "maskedPaths: every masked path this kernel has is /dev/null or an empty read-only tmpfs" {
    local paths p n=0
    paths=$(jq -r '.linux.maskedPaths[]' "$BUNDLE/config.json")
    for p in $paths; do [ -e "$p" ] && n=$((n + 1)); done
    [ "$n" -gt 0 ]
    cmd 'null=$(stat -c "%d:%i %t:%T" /dev/null)
         for p in '"$(echo $paths)"'; do
             [ -e $p ] || continue
             if [ -d $p ]; then
                 m=$(awk -v p=$p '"'"'$5 == p { split($6, o, ","); print $(NF - 2), o[1] }'"'"' /proc/self/mountinfo | tail -1)
                 echo "$p dir ${m:-unmounted} $(ls -A $p | wc -l)"
             elif [ "$(stat -c "%d:%i %t:%T" $p)" = "$null" ]; then
                 echo "$p null"
             else
                 echo "$p NOT-NULL $(stat -c "%d:%i %t:%T %F" $p)"
             fi
         done'
    out
    [ "$status" -eq 0 ]
    [ "${#lines[@]}" -eq "$n" ]
    for l in "${lines[@]}"; do
        case "$l" in
        *" null" | *" dir tmpfs ro 0") ;;
        *) echo "not masked: $l"; return 1 ;;
        esac
    done
}

@test "readonlyPaths: writing /proc/sys fails" {
    cmd 'echo x > /proc/sys/kernel/domainname && echo wrote'
    out
    [ "$status" -ne 0 ]
    [[ "$output" != *wrote* ]]
}

@test "readonlyPaths: /proc/sys and /proc/irq are read-only mounts" {
    cmd 'for p in /proc/sys /proc/irq; do grep " $p " /proc/self/mountinfo | cut -d" " -f6; done'
    out
    [[ "${lines[0]}" == ro* && "${lines[1]}" == ro* ]]
}

# lo's mtu is an attribute root with CAP_NET_ADMIN in the container's netns
# may write on a read-write sysfs (the first run proves it), so a refusal in
# the second run is the read-only mount, not a file sysfs never lets anyone
# create.
@test "/sys is a read-only mount: a writable attribute cannot be written" {
    cfg '.process.capabilities |= with_entries(.value += ["CAP_NET_ADMIN"])'
    cmd 'awk '"'"'$5 == "/sys" { split($6, o, ","); print o[1] }'"'"' /proc/self/mountinfo
         m=$(cat /sys/class/net/lo/mtu)
         echo $m > /sys/class/net/lo/mtu && echo wrote $m'
    cfg '(.mounts[] | select(.destination == "/sys") | .options) |= map(select(. != "ro"))'
    out
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = rw ]
    [[ "${lines[-1]}" == "wrote "* ]]

    cfg '(.mounts[] | select(.destination == "/sys") | .options) += ["ro"]'
    out
    [ "$status" -ne 0 ]
    [ "${lines[0]}" = ro ]
    [[ "$output" == *"Read-only file system"* ]]
    [[ "$output" != *wrote* ]]
}

# --- devices -----------------------------------------------------------------

@test "default device nodes exist with the right numbers" {
    cmd 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T" /dev/$d; done'
    out
    [ "$output" = "$(printf '%s\n' \
        '/dev/null character special file 1:3' \
        '/dev/zero character special file 1:5' \
        '/dev/full character special file 1:7' \
        '/dev/random character special file 1:8' \
        '/dev/urandom character special file 1:9' \
        '/dev/tty character special file 5:0')" ]
}

# bats test_tags=cgroupv2
@test "default devices work: null, zero, full, urandom" {
    cmd 'echo x > /dev/null && head -c 4 /dev/zero | od -An -tx1 && head -c 8 /dev/urandom | wc -c && (echo x > /dev/full) 2>&1'
    out
    [ "$(echo ${lines[0]})" = "00 00 00 00" ]
    [ "${lines[1]}" = 8 ]
    grep -qi 'no space' <<<"${lines[2]}"
}

# bats test_tags=cgroupv2
@test "/dev/ptmx, /dev/fd and stdio links" {
    cmd 'for l in ptmx fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done'
    out
    [ "$output" = "$(printf '%s\n' 'ptmx -> pts/ptmx' 'fd -> /proc/self/fd' \
        'stdin -> /proc/self/fd/0' 'stdout -> /proc/self/fd/1' 'stderr -> /proc/self/fd/2')" ]
}

@test "/dev/pts and /dev/shm and /dev/mqueue are mounted" {
    cmd 'for m in /dev/pts /dev/shm /dev/mqueue; do
            grep " $m " /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1; done'
    out
    [ "$output" = "$(printf 'devpts\ntmpfs\nmqueue')" ]
}

@test "host devices are not visible" {
    cmd 'ls /dev | grep -E "^(sd|vd|nvme|mem|kmsg|loop)" || echo none'
    out
    [ "$output" = none ]
}

# bats test_tags=cgroupv2
@test "linux.devices adds a node with fileMode, uid and gid" {
    cfg '.linux.devices = [{path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: 416, uid: 0, gid: 5}]'
    cmd 'stat -c "%F %t:%T %a %u %g" /dev/mynull; echo x > /dev/mynull && echo written'
    out
    [ "$output" = "$(printf 'character special file 1:3 640 0 5\nwritten')" ]
}

# bats test_tags=cgroupv2
@test "linux.devices: /dev/fuse 10:229" {
    cfg '.linux.devices = [{path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 438}]'
    cmd 'stat -c "%t:%T %a" /dev/fuse'
    out
    [ "$output" = "a:e5 666" ]
}

# The device policy proven on a node any root may open: /dev/kmsg (1:11)
# opens for writing with no capability (nothing is written), and it is none
# of the devices brig always allows, so only the rules decide.  mknod itself
# is allowed (the "m" default), the open is what the policy refuses.
@test "device cgroup: a node denied by rule cannot be opened, allowed by rule it can" {
    private_rootfs
    cfg '.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])'
    cmd 'rm -f /tmp/k; mknod /tmp/k c 1 11 && stat -c "node %t:%T" /tmp/k
         if (exec 3>/tmp/k) 2>/tmp/err; then echo opened; else cat /tmp/err; fi'
    cfg '.linux.resources.devices = [{allow: false, access: "rwm"}, {allow: false, type: "c", major: 1, minor: 11, access: "rwm"}]'
    out
    [ "${lines[0]}" = "node 1:b" ]
    [[ "${lines[1]}" == *"Operation not permitted"* ]]

    cfg '.linux.resources.devices = [{allow: false, access: "rwm"}, {allow: true, type: "c", major: 1, minor: 11, access: "w"}]'
    out
    [ "${lines[0]}" = "node 1:b" ]
    [ "${lines[1]}" = opened ]
}

# --- sysctl, namespaces, personality ------------------------------------------

@test "linux.sysctl net.ipv4.ip_forward in the container's netns" {
    host=$(cat /proc/sys/net/ipv4/ip_forward)
    cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
    cmd 'cat /proc/sys/net/ipv4/ip_forward'
    out
    [ "$output" = 1 ]
    [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host" ]
}

@test "linux.sysctl kernel.shmmax in the container's ipc ns" {
    cfg '.linux.sysctl = {"kernel.shmmax": "12345678"}'
    cmd 'cat /proc/sys/kernel/shmmax'
    out
    [ "$output" = 12345678 ]
}

@test "pid namespace: the process is pid 1" {
    cmd 'echo $$; ps -o pid,comm | wc -l'
    out
    [ "${lines[0]}" = 1 ]
    [ "${lines[1]}" -le 4 ]
}

# bats test_tags=cgroupv2
@test "uts, ipc, net, mnt, cgroup namespaces are new" {
    cmd 'sleep 100'
    run_detached
    pid=$(pid_of)
    for ns in uts ipc net mnt pid cgroup; do
        [ "$(readlink "/proc/$pid/ns/$ns")" != "$(readlink "/proc/self/ns/$ns")" ] || {
            echo "$ns shared with host"
            return 1
        }
    done
}

@test "without a network namespace entry the host netns is shared" {
    cfg '.linux.namespaces |= map(select(.type != "network"))'
    cmd 'readlink /proc/self/ns/net'
    out
    [ "$output" = "$(readlink /proc/self/ns/net)" ]
}

@test "a new network namespace has only lo, down" {
    cmd 'ls /sys/class/net'
    out
    [ "$output" = lo ]
}

# bats test_tags=cgroupv2
@test "cgroup namespace: the container sees itself at /" {
    cmd 'grep -E "^[0-9]+:[^:]*(pids|memory)[^:]*:" /proc/self/cgroup | cut -d: -f3 | sort -u; grep "^0::" /proc/self/cgroup | cut -d: -f3'
    out
    [ "$(echo $output)" = "/ /" ] || [ "$(echo $output)" = / ]
}

@test "joining an existing network namespace by path" {
    ns=bt-$ID
    ip netns add "$ns"
    TEARDOWN_EXTRA="ip netns del $ns"
    want=$(ip netns exec "$ns" readlink /proc/self/ns/net)
    cfg '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' --arg p "/var/run/netns/$ns"
    cmd 'readlink /proc/self/ns/net'
    out
    [ "$status" -eq 0 ]
    [ "$output" = "$want" ]
}

@test "joining the uts namespace of another container" {
    cfg '.hostname = "first"'
    cmd 'sleep 100'
    run_detached "$ID-a"
    cfg 'del(.hostname) | .linux.namespaces |= map(if .type == "uts" then .path = $p else . end)' \
        --arg p "/proc/$(pid_of "$ID-a")/ns/uts"
    cmd 'hostname'
    run runtime run "$ID-b" </dev/null
    [ "$output" = first ]
}

@test "user namespace with uid/gid mappings" {
    cfg '.linux.namespaces += [{type: "user"}] |
         .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] |
         .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
    cmd 'id -u; cat /proc/self/uid_map; cat /proc/self/gid_map; sleep 1'
    runtime run -d "$ID" </dev/null >"$BATS_TEST_TMPDIR/log" 2>&1
    pid=$(pid_of)
    # Seen from the host, the container's root is uid 100000.
    [ "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = 100000 ]
    wait_status stopped
    run cat "$BATS_TEST_TMPDIR/log"
    [ "${lines[0]}" = 0 ]
    [ "$(echo ${lines[1]})" = "0 100000 65536" ]
    [ "$(echo ${lines[2]})" = "0 100000 65536" ]
}

@test "user namespace: host root files appear as nobody" {
    cfg '.linux.namespaces += [{type: "user"}] |
         .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] |
         .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
    cmd 'stat -c %u /bin/busybox'
    out
    [ "$output" = 65534 ]
}

@test "brig: linux.personality LINUX32 makes uname -m report i686" {
    brig_only "runc 1.1 ignores linux.personality"
    cfg '.linux.personality = {domain: "LINUX32"}'
    cmd 'uname -m'
    out
    [ "$output" = i686 ]
}

@test "linux.personality LINUX keeps x86_64" {
    cfg '.linux.personality = {domain: "LINUX"}'
    cmd 'uname -m'
    out
    [ "$output" = "$(uname -m)" ]
}

# --- seccomp -----------------------------------------------------------------

@test "seccomp: a rule denying mkdir returns its errnoRet" {
    cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
         syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 13}]}'
    cmd 'grep ^Seccomp: /proc/self/status; mkdir /dev/shm/d 2>&1; ls /dev/shm'
    out
    [ "$(echo ${lines[0]})" = "Seccomp: 2" ]
    grep -q 'Permission denied' <<<"${lines[1]}"
    [ "${#lines[@]}" -eq 2 ]
}

@test "seccomp: SCMP_ACT_ERRNO without errnoRet is EPERM" {
    cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
         syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}'
    cmd 'mkdir /dev/shm/d'
    out
    [ "$status" -ne 0 ]
    grep -q 'Operation not permitted' <<<"$output"
}

@test "seccomp: an argument filter only matches that argument" {
    # personality(0xffffffff) queries; deny only personality(PER_LINUX32=8).
    cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
         syscalls: [{names: ["umask"], action: "SCMP_ACT_ERRNO", errnoRet: 1,
                     args: [{index: 0, value: 63, op: "SCMP_CMP_EQ"}]}]}'
    cmd 'umask 022 && echo ok1; umask 077 && echo ok2; umask'
    out
    grep -q ok1 <<<"$output"
    # busybox umask ignores the syscall result: the mask is unchanged.
    [ "${lines[-1]}" = 0022 ]
}

@test "seccomp: no filter without linux.seccomp" {
    cmd 'grep ^Seccomp: /proc/self/status'
    out
    [ "$(echo $output)" = "Seccomp: 0" ]
}

@test "seccomp: SCMP_ACT_KILL kills the process" {
    cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
         syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_KILL"}]}'
    cmd 'echo before; mkdir /dev/shm/d; echo "after $?"'
    out
    # The shell's "Bad system call" (stderr) may come before or after.
    [ "${lines[0]}" = before ]
    grep -qx "after 159" <<<"$output"
}

# --- hooks -------------------------------------------------------------------

# hook_script: a hook that appends its name to $H/order and saves its stdin
# (the state JSON) to $H/<name>.json.
hook_setup() {
    H=$(hostdir hooks)
    cat >"$H/hook.sh" <<EOF
#!/bin/sh
echo "\$1" >>"$H/order"
cat >"$H/\$1.json"
EOF
    chmod +x "$H/hook.sh"
}

hook() { # hook KIND NAME
    cfg ".hooks.$1 += [{path: \$p, args: [\"hook.sh\", \$n]}]" --arg p "$H/hook.sh" --arg n "$2"
}

@test "hooks: prestart and createRuntime run at create, with the state on stdin" {
    hook_setup
    hook prestart pre
    hook createRuntime cr
    cmd 'sleep 100'
    create_quiet
    [ "$(cat "$H/order")" = "$(printf 'pre\ncr')" ]
    jq -e --arg id "$ID" --arg b "$BUNDLE" --argjson p "$(pid_of)" \
        '.id == $id and .bundle == $b and .pid == $p' "$H/cr.json"
    jq -e --arg id "$ID" '.id == $id' "$H/pre.json"
}

@test "hooks: poststart runs after start, poststop at delete, in order" {
    hook_setup
    hook prestart pre
    hook createRuntime cr
    hook poststart post
    hook poststop stop
    cmd 'sleep 100'
    create_quiet
    runtime start "$ID"
    wait_for 100 grep -q post "$H/order"
    [ "$(cat "$H/order")" = "$(printf 'pre\ncr\npost')" ]
    jq -e --arg id "$ID" --argjson p "$(pid_of)" '.id == $id and .pid == $p' "$H/post.json"
    runtime delete --force "$ID"
    [ "$(cat "$H/order")" = "$(printf 'pre\ncr\npost\nstop')" ]
    jq -e --arg id "$ID" '.id == $id' "$H/stop.json"
}

@test "hooks: run runs every hook once" {
    hook_setup
    hook prestart pre
    hook createRuntime cr
    hook poststart post
    hook poststop stop
    cmd 'true'
    runtime run "$ID" </dev/null
    [ "$(cat "$H/order")" = "$(printf 'pre\ncr\npost\nstop')" ]
}

@test "hooks: args and env are passed" {
    H=$(hostdir hooks)
    cfg '.hooks.prestart = [{path: "/bin/sh", args: ["sh", "-c", "echo \"$0 $1 $HOOKVAR\" > \($f)", "a0", "a1"],
         env: ["HOOKVAR=hv"]}]' --arg f "$H/out"
    cmd 'true'
    runtime run "$ID" </dev/null
    [ "$(cat "$H/out")" = "a0 a1 hv" ]
}

@test "hooks: a failing prestart hook makes create fail and leaves nothing" {
    cfg '.hooks.prestart = [{path: "/bin/false"}]'
    cmd 'sleep 100'
    try runtime create "$ID"
    [ "$status" -ne 0 ]
    assert_nothing_left
}

@test "hooks: a hook that outlives its timeout fails create and is killed" {
    tok=10.$RANDOM
    cfg '.hooks.createRuntime = [{path: "/bin/sleep", args: ["sleep", $t], timeout: 1}]' --arg t "$tok"
    cmd 'sleep 100'
    try runtime create "$ID"
    [ "$status" -ne 0 ]
    assert_nothing_left
    # The hook was killed, not left running.
    refute pgrep -x -f "sleep $tok"
}

@test "hooks: a failing poststop hook does not stop delete" {
    cfg '.hooks.poststop = [{path: "/bin/false"}]'
    cmd 'sleep 100'
    create_quiet
    runtime delete --force "$ID" || true
    run ! runtime state "$ID"
}
