#!/usr/bin/env bats
# What decides an exec'd process's privileges comes from the host, never from
# files the container can write; sysctls land only in namespaces the
# container owns; user strings cannot forge lines in errors; a config
# without /proc still runs.  Each attack below worked against brig before
# the defence it names (see docs/threat-model.md).
#
#   BRIG_RUNTIME=$PWD/build/src/runtime/brig-runtime bats tests/integration/escape-exec.bats

load helpers

# The default set of mkbundle's config (CHOWN DAC_OVERRIDE FOWNER FSETID
# KILL NET_BIND_SERVICE SETFCAP SETGID SETPCAP SETUID SYS_CHROOT) plus
# CAP_SYS_ADMIN (bit 21), which the attacks need to mount.
SYSADMIN_SET=00000000802405fb

# with_sys_admin: the container process gets CAP_SYS_ADMIN in every set.
with_sys_admin() {
    cfg '.process.capabilities |= with_entries(if .key == "ambient" then . else .value += ["CAP_SYS_ADMIN"] end)'
}

# fake_cap_last_cap: from inside, a tmpfs over /proc/sys/kernel whose
# cap_last_cap says 5 (the real one is 40 or more).
fake_cap_last_cap() {
    runtime exec "$ID" sh -c 'mount -t tmpfs none /proc/sys/kernel && echo 5 >/proc/sys/kernel/cap_last_cap'
}

# status_of_exec OUTPUT KEY: the hex mask of KEY in a /proc/self/status dump.
mask_in() {
    awk -v k="$2:" '$1 == k { print $2 }' <<<"$1"
}

# --- capabilities: the last cap comes from the kernel --------------------------

@test "exec under a fake cap_last_cap gets exactly the container's capabilities" {
    with_sys_admin
    cmd 'sleep 1000'
    run_detached
    fake_cap_last_cap
    try runtime exec "$ID" sh -c 'cat /proc/sys/kernel/cap_last_cap; cat /proc/self/status'
    [ "$status" -eq 0 ]
    # The attack reached its target: the exec'd process saw the fake file.
    [ "${lines[0]}" = 5 ]
    [ "$(mask_in "$output" CapBnd)" = "$SYSADMIN_SET" ]
    [ "$(mask_in "$output" CapEff)" = "$SYSADMIN_SET" ]
    [ "$(mask_in "$output" CapPrm)" = "$SYSADMIN_SET" ]
    # And it cannot use what it was not given: CAP_MKNOD (27) is not there.
    try runtime exec "$ID" sh -c 'mknod /tmp/sda b 8 0 && echo MADE || echo refused'
    [ "${lines[-1]}" = refused ]
}

@test "exec -p with bounding [CAP_KILL] under a fake cap_last_cap keeps only CAP_KILL" {
    with_sys_admin
    cmd 'sleep 1000'
    run_detached
    fake_cap_last_cap
    cat >"$BATS_TEST_TMPDIR/p.json" <<'EOF'
{"args": ["sh", "-c", "cat /proc/sys/kernel/cap_last_cap; cat /proc/self/status"],
 "cwd": "/", "env": ["PATH=/bin:/usr/bin:/sbin:/usr/sbin"], "user": {"uid": 0, "gid": 0},
 "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
                  "permitted": ["CAP_KILL"]}}
EOF
    try runtime exec -p "$BATS_TEST_TMPDIR/p.json" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 5 ]
    [ "$(mask_in "$output" CapBnd)" = 0000000000000020 ]
    [ "$(mask_in "$output" CapEff)" = 0000000000000020 ]
    [ "$(mask_in "$output" CapPrm)" = 0000000000000020 ]
}

# --- setgroups: decided from the host's /proc -------------------------------

@test "exec -u 1000:1000 under a fake /proc/self/setgroups keeps none of the caller's groups" {
    with_sys_admin
    cmd 'sleep 1000'
    run_detached
    # A tmpfs over the container's /proc whose self/setgroups says "deny".
    runtime exec "$ID" sh -c 'mount -t tmpfs none /proc && mkdir /proc/self && echo deny >/proc/self/setgroups'
    # The caller (the runtime) has supplementary groups 6 and 26.
    [ "$(setpriv --groups 6,26 id -G)" = "0 6 26" ]
    try setpriv --groups 6,26 -- timeout -k 5 60 "$BRIG_RUNTIME" --root "$ROOT" \
        exec -u 1000:1000 "$ID" sh -c 'cat /proc/self/setgroups; id -G'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = deny ]
    [ "${lines[1]}" = 1000 ]
}

# --- sysctls: only in namespaces the container owns ---------------------------

# refused_sysctl KEY VALUE WANT-IN-ERROR: create fails naming the key, the
# host's value is unchanged and nothing is left behind.
refused_sysctl() {
    local key=$1 value=$2 want=$3 file before
    file=/proc/sys/${key//.//}
    before=$(cat "$file")
    # Should the check be gone, the host gets its value back.
    TEARDOWN_EXTRA="printf '%s\\n' '$before' >$file"
    cfg '.linux.sysctl = {($k): $v}' --arg k "$key" --arg v "$value"
    cmd 'true'
    try runtime create "$ID"
    [ "$status" -ne 0 ]
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "$stderr" == *"linux.sysctl: \"$key\" $want"* ]]
    [ "$(cat "$file")" = "$before" ]
    [ ! -e "$ROOT/$ID" ]
    assert_nothing_left
}

@test "sysctl fs.mqueue.queues_max is refused with the host's IPC namespace" {
    brig_only "the sysctl namespace check"
    cfg '.linux.namespaces |= map(select(.type != "ipc"))'
    refused_sysctl fs.mqueue.queues_max "$(($(cat /proc/sys/fs/mqueue/queues_max) + 1))" \
        "needs the container's own IPC namespace"
}

@test "sysctl kernel.shmmni is refused when the joined IPC namespace is the host's" {
    brig_only "the sysctl namespace check"
    # This shell's namespace is the host's (pid 1's may be out of reach).
    cfg '.linux.namespaces |= map(if .type == "ipc" then .path = $p else . end)' --arg p /proc/$$/ns/ipc
    refused_sysctl kernel.shmmni "$(($(cat /proc/sys/kernel/shmmni) - 1))" \
        "needs the container's own IPC namespace (\`/proc/$$/ns/ipc\` is the host's)"
}

@test "sysctl net.ipv4.ping_group_range is refused with the host's network namespace" {
    brig_only "the sysctl namespace check"
    cfg '.linux.namespaces |= map(select(.type != "network"))'
    refused_sysctl net.ipv4.ping_group_range "0 1" "needs the container's own network namespace"
}

@test "sysctl net.* is refused when the joined network namespace is the host's" {
    brig_only "the sysctl namespace check"
    cfg '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' --arg p /proc/$$/ns/net
    refused_sysctl net.ipv4.ip_forward "$((1 - $(cat /proc/sys/net/ipv4/ip_forward)))" \
        "needs the container's own network namespace (\`/proc/$$/ns/net\` is the host's)"
}

@test "sysctl kernel.domainname is refused with the host's UTS namespace" {
    brig_only "the sysctl namespace check"
    cfg 'del(.hostname) | .linux.namespaces |= map(select(.type != "uts"))'
    refused_sysctl kernel.domainname "forged.$RANDOM" "needs the container's own UTS namespace"
}

@test "a sysctl that is not namespaced is refused even with every namespace of its own" {
    brig_only "the sysctl namespace check"
    refused_sysctl kernel.pid_max "$(($(cat /proc/sys/kernel/pid_max) - 1))" "is not namespaced"
    refused_sysctl vm.swappiness "$((($(cat /proc/sys/vm/swappiness) + 1) % 100))" "is not namespaced"
}

@test "IPC, network and UTS sysctls apply in the container's own namespaces" {
    host_q=$(cat /proc/sys/fs/mqueue/queues_max)
    host_shm=$(cat /proc/sys/kernel/shmmni)
    host_ping=$(cat /proc/sys/net/ipv4/ping_group_range)
    host_dom=$(cat /proc/sys/kernel/domainname)
    cfg '.linux.sysctl = {"fs.mqueue.queues_max": "77", "kernel.shmmni": "1234",
                          "net.ipv4.ping_group_range": "0 7", "kernel.domainname": "brig.test"}'
    cmd 'cat /proc/sys/fs/mqueue/queues_max /proc/sys/kernel/shmmni /proc/sys/net/ipv4/ping_group_range /proc/sys/kernel/domainname'
    try runtime run "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 77 ]
    [ "${lines[1]}" = 1234 ]
    [ "$(echo ${lines[2]})" = "0 7" ]
    [ "${lines[3]}" = brig.test ]
    [ "$(cat /proc/sys/fs/mqueue/queues_max)" = "$host_q" ]
    [ "$(cat /proc/sys/kernel/shmmni)" = "$host_shm" ]
    [ "$(cat /proc/sys/net/ipv4/ping_group_range)" = "$host_ping" ]
    [ "$(cat /proc/sys/kernel/domainname)" = "$host_dom" ]
}

# --- errors: one line whatever the user typed -----------------------------------

@test "an id with a newline gives a one-line error" {
    brig_only "escaped error text"
    try runtime state $'bad\nid\e[2J'
    [ "$status" -ne 0 ]
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "$stderr" == *'`bad\nid\x1b[2J`'* ]]
    try runtime delete $'x\nbrig-runtime: forged line'
    [ "$status" -ne 0 ]
    [ "${#stderr_lines[@]}" -eq 1 ]
}

@test "an exec arg, a sysctl key and a bundle path with a newline give one-line errors" {
    brig_only "escaped error text"
    cmd 'sleep 1000'
    run_detached
    try runtime exec "$ID" $'no\nsuch'
    [ "$status" -ne 0 ]
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "$stderr" == *'`no\nsuch`'* ]]
    try runtime create --bundle $'/nonexistent\nforged' "$ID-b"
    [ "$status" -ne 0 ]
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "$stderr" == *'/nonexistent\nforged'* ]]
    cfg '.linux.sysctl = {"net.ipv4.ip_forward\nforged": "1"}'
    try runtime create "$ID-c"
    [ "$status" -ne 0 ]
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "$stderr" == *'"net.ipv4.ip_forward\nforged" is not a valid sysctl name'* ]]
}

# --- the exec fifo: no /proc needed inside ---------------------------------------

@test "a config without a /proc mount runs true and exits 0" {
    cfg '.mounts |= map(select(.destination != "/proc"))'
    cfg '.process.args = ["sh", "-c", "[ ! -e /proc/self ] && echo no-proc"]'
    runtime create "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1
    # create returned before start: the process has not run yet.
    [ "$(status_of)" = created ]
    [ ! -s "$BATS_TEST_TMPDIR/out" ]
    runtime start "$ID"
    wait_status stopped
    [ "$(cat "$BATS_TEST_TMPDIR/out")" = no-proc ]
    runtime delete "$ID"
    cfg '.process.args = ["true"]'
    try runtime run "$ID"
    [ "$status" -eq 0 ]
}
