#!/usr/bin/env bats
# Real escape attempts from inside a container; each must fail.

load helpers

out() {
    run runtime run "$ID" </dev/null
    printf 'status %s, output:\n%s\n' "$status" "$output"
}

# The runtime binary: the attacks that try to overwrite brig-runtime from
# inside a container (through /proc/self/exe, /proc/PID/exe of a joining
# exec, an entrypoint of /proc/self/exe) are in escape-binary.bats.

# --- mount destinations through symlinks --------------------------------------

@test "a tmpfs on an absolute symlink to a host directory lands inside the rootfs" {
    private_rootfs
    hostdir=$BATS_TEST_TMPDIR/hostdir
    mkdir -p "$hostdir"
    touch "$hostdir/host-file"
    ln -s "$hostdir" "$BUNDLE/rootfs/mnt/evil"
    cfg '.mounts += [{destination: "/mnt/evil", type: "tmpfs", source: "tmpfs"}]'
    cmd 'echo inside > /mnt/evil/written; ls /mnt/evil'
    out
    [ "$(ls -A "$hostdir")" = host-file ]
    # The mount is where the symlink points *inside* the container.
    [ ! -e "$BUNDLE/rootfs$hostdir/written" ] || [ "$status" -ne 0 ]
    refute grep -qF "$hostdir" /proc/self/mountinfo
}

@test "a bind mount on a symlink escaping with .. stays inside the rootfs" {
    private_rootfs
    hostdir=$BATS_TEST_TMPDIR/hostdir
    src=$BATS_TEST_TMPDIR/src
    mkdir -p "$hostdir" "$src"
    touch "$hostdir/host-file"
    ln -s "../../../../../../../../../..$hostdir" "$BUNDLE/rootfs/mnt/evil"
    cfg '.mounts += [{destination: "/mnt/evil", type: "bind", source: $s, options: ["rbind", "rw"]}]' --arg s "$src"
    cmd 'echo inside > /mnt/evil/written'
    out
    # Either refused, or the bind went inside the rootfs: the host directory
    # is untouched and the write reached the bind's source.
    [ "$(ls -A "$hostdir")" = host-file ]
    if [ "$status" -eq 0 ]; then
        [ "$(cat "$src/written")" = inside ]
    fi
}

@test "a bind mount on an absolute symlink puts the source where the link points inside" {
    private_rootfs
    src=$BATS_TEST_TMPDIR/src
    mkdir -p "$src" "$BUNDLE/rootfs/target"
    # /etc on the host must never be the mount point.
    ln -s /target "$BUNDLE/rootfs/mnt/evil"
    cfg '.mounts += [{destination: "/mnt/evil", type: "bind", source: $s, options: ["rbind", "rw"]}]' --arg s "$src"
    cmd 'echo inside > /target/written; echo ok'
    out
    [ "$status" -eq 0 ]
    [ "$(cat "$src/written")" = inside ]
    [ ! -e "$BUNDLE/rootfs/target/written" ]
}

@test "a symlinked /proc in the rootfs does not mount proc outside" {
    private_rootfs
    hostdir=$BATS_TEST_TMPDIR/hostproc
    mkdir -p "$hostdir"
    rmdir "$BUNDLE/rootfs/proc"
    ln -s "$hostdir" "$BUNDLE/rootfs/proc"
    cmd 'true'
    out
    [ -z "$(ls -A "$hostdir")" ]
    refute grep -qF "$hostdir" /proc/self/mountinfo
}

# --- file descriptors ---------------------------------------------------------

@test "fds open in the caller do not leak into the container (run)" {
    cmd 'ls /proc/self/fd | tr "\n" " "'
    exec 7</etc/hostname 8>"$BATS_TEST_TMPDIR/w"
    run runtime run "$ID" </dev/null
    exec 7<&- 8>&-
    echo "$output"
    # 0 1 2, and 3 is ls's own directory fd.
    [ "$output" = "0 1 2 3 " ]
}

@test "fds open in the caller do not leak into an exec'd process" {
    cmd 'sleep 100'
    run_detached
    exec 7</etc/hostname
    run runtime exec "$ID" sh -c 'ls /proc/self/fd | tr "\n" " "'
    exec 7<&-
    echo "$output"
    [ "$output" = "0 1 2 3 " ]
}

@test "the container init holds no runtime fds" {
    cmd 'sleep 100'
    exec 7</etc/hostname
    run_detached
    exec 7<&-
    pid=$(pid_of)
    run ls "/proc/$pid/fd"
    echo "$output"
    [ "$(echo $output)" = "0 1 2" ]
}

@test "--preserve-fds 1 passes fd 3 and nothing else" {
    echo passed-content >"$BATS_TEST_TMPDIR/f3"
    cmd 'cat <&3; ls /proc/self/fd | tr "\n" " "'
    run timeout 60 "$BRIG_RUNTIME" --root "$ROOT" run --preserve-fds 1 "$ID" \
        3<"$BATS_TEST_TMPDIR/f3" 4</etc/hostname </dev/null
    echo "$output"
    [ "${lines[0]}" = passed-content ]
    [ "${lines[1]}" = "0 1 2 3 4 " ]
}

@test "exec --preserve-fds 1 passes fd 3" {
    cmd 'sleep 100'
    run_detached
    echo exec-content >"$BATS_TEST_TMPDIR/f3"
    run timeout 60 "$BRIG_RUNTIME" --root "$ROOT" exec --preserve-fds 1 "$ID" sh -c 'cat <&3' \
        3<"$BATS_TEST_TMPDIR/f3"
    [ "$output" = exec-content ]
}

# --- cwd ----------------------------------------------------------------------

@test "process.cwd through an absolute symlink to a host dir is contained" {
    private_rootfs
    outside=$BATS_TEST_TMPDIR/outside
    mkdir -p "$outside"
    touch "$outside/HOSTMARK"
    ln -s "$outside" "$BUNDLE/rootfs/link"
    cfg '.process.cwd = "/link"'
    cmd 'ls -A; echo "pwd=$(pwd)"'
    out
    refute grep -q HOSTMARK <<<"$output"
}

@test "process.cwd with .. cannot leave the rootfs" {
    cfg '.process.cwd = "/../../../../../../.."'
    cmd 'echo "pwd=$(pwd)"; ls -A . | tr "\n" " "'
    out
    # Refused, or clamped to the container's own root.
    if [ "$status" -eq 0 ]; then
        [ "${lines[0]}" = "pwd=/" ]
        [ "${lines[1]}" = "$(ls -A "$TEMPLATE" | tr '\n' ' ')" ]
    fi
}

# --- capabilities ---------------------------------------------------------------

@test "no inheritable or ambient capabilities by default" {
    cmd 'grep -E "^Cap(Inh|Amb):" /proc/self/status'
    out
    [ "$(echo $output)" = "CapInh: 0000000000000000 CapAmb: 0000000000000000" ]
}

@test "ambient and inheritable capabilities of the runtime's caller do not reach the container" {
    # setpriv (util-linux) raises them in the caller; the runtime inherits them.
    cmd 'grep -E "^Cap(Inh|Amb|Eff):" /proc/self/status'
    run setpriv --inh-caps +net_raw,+sys_admin --ambient-caps +net_raw,+sys_admin sh -c \
        "grep CapAmb /proc/self/status >&2; exec timeout 60 '$BRIG_RUNTIME' --root '$ROOT' run '$ID' </dev/null 3>&-"
    echo "$output"
    grep -q 'CapAmb:.*0000000000202000' <<<"$output"
    grep -q 'CapInh:.*0000000000000000' <<<"$output"
    grep -q 'CapAmb:.*0000000000000000' <<<"$output"
    grep -q 'CapEff:.*00000000800405fb' <<<"$output"
}

@test "exec'd processes get the container's capabilities, not the caller's" {
    cmd 'sleep 100'
    run_detached
    run setpriv --inh-caps +sys_admin --ambient-caps +sys_admin sh -c \
        "exec timeout 60 '$BRIG_RUNTIME' --root '$ROOT' exec '$ID' grep -E '^Cap(Inh|Eff|Amb):' /proc/self/status 3>&-"
    echo "$output"
    [ "$(echo $output)" = "CapInh: 0000000000000000 CapEff: 00000000800405fb CapAmb: 0000000000000000" ]
}

@test "root in the container cannot mount (no CAP_SYS_ADMIN)" {
    cmd 'mount -t tmpfs none /mnt && echo MOUNTED || echo refused'
    out
    [ "${lines[-1]}" = refused ]
}

@test "root in the container cannot mknod (no CAP_MKNOD)" {
    private_rootfs
    cmd 'mknod /tmp/sda b 8 0 && echo MADE || echo refused'
    out
    [ "${lines[-1]}" = refused ]
    [ ! -e "$BUNDLE/rootfs/tmp/sda" ]
}

# bats test_tags=cgroupv2
@test "the cgroup filesystem is read-only inside" {
    # Every cgroup mount (v1 hierarchies or the v2 one), not a tmpfs above them.
    cmd 'n=0
         for d in $(sed -n "s/^[^ ]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .* - cgroup2\{0,1\} .*/\1/p" /proc/self/mountinfo); do
             n=$((n+1)); mkdir $d/escape 2>/dev/null && echo "MADE $d"
         done
         echo "tried $n"'
    out
    [[ "$output" == "tried "* ]]
    [ "${output#tried }" -ge 1 ]
}

@test "the container cannot signal host processes" {
    sleep 100 &
    victim=$!
    cmd "kill -9 $victim 2>&1; kill -9 1 2>&1; echo done"
    out
    kill -0 "$victim"
    kill "$victim"
}

@test "host processes are invisible" {
    cmd 'ls -d /proc/[0-9]* | wc -l'
    out
    [ "$output" -le 3 ]
}

@test "a non-root user cannot write root-owned files" {
    private_rootfs
    cfg '.process.user = {uid: 1000, gid: 1000}'
    cmd '(echo x >> /etc/passwd) 2>/dev/null && echo WROTE || echo refused'
    out
    [ "$output" = refused ]
}

@test "a non-root user gains nothing from setuid binaries with noNewPrivileges" {
    private_rootfs
    mkdir "$BUNDLE/rootfs/suid"
    cp "$(readlink -f /bin/busybox)" "$BUNDLE/rootfs/suid/busybox"
    chmod 4755 "$BUNDLE/rootfs/suid/busybox"
    cfg '.process.user = {uid: 1000, gid: 1000} | .process.noNewPrivileges = true'
    cmd '/suid/busybox id -u; /suid/busybox grep ^Uid: /proc/self/status'
    out
    [ "${lines[0]}" = 1000 ]
    [ "$(echo ${lines[1]})" = "Uid: 1000 1000 1000 1000" ]
}

@test "the runtime's state root is not visible inside" {
    cmd "ls '$ROOT' 2>&1 || echo absent"
    out
    [ "${lines[-1]}" = absent ]
}

@test "the host's /dev is not reachable (no block devices)" {
    cmd 'find /dev -type b | wc -l'
    out
    [ "$output" = 0 ]
}
