#!/usr/bin/env bats
# SVirt, proven with brig-runtime under enforcing SELinux (the tests/vm
# guest): every container gets its own MCS category pair, its files carry
# it, and one container cannot touch another's files or processes, nor the
# host's secrets.  Each proof is a real access attempt from inside a
# container; each denial is also shown by an `avc:  denied` record in the
# kernel log that names the container's context.
#
# Labels: containers run as brig_container_t (brig's policy module: Debian's
# policy has no container types) at s0:cX,cY; label options are the
# annotations io.brig.selinux.{disable,type,level,user,role,filetype,auto}.
# brig_test_container_t is a second container type, written as a user's
# custom type is (it joins brig_container_base; policy/test/brig_test.cil),
# for the type option.
#
# Run in the guest (about 4 minutes under TCG):
#     BUILD=build tests/vm/guest-tests.sh --no-smoke selinux/svirt.bats
# Elsewhere (no SELinux) every test is skipped with the reason.

load ../integration/helpers
load svirt-helpers

# run_logged ID DIR: create ID from bundle DIR, note its labels (LABEL,
# MLABEL, LEVEL), start it, wait until it stops, and put what it printed
# in $output.
run_logged() {
    local id=$1 dir=$2 log=$BATS_TEST_TMPDIR/$1.log
    : >"$log"
    shared_with_containers "$log"
    runtime create --bundle "$dir" "$id" </dev/null >>"$log" 2>&1 || { cat "$log"; return 1; }
    LABEL=$(proc_label "$id")
    MLABEL=$(mount_label "$id")
    LEVEL=$(level_of "$LABEL")
    runtime start "$id"
    wait_status stopped "$id"
    output=$(tr -d '\0' <"$log")
    mapfile -t lines <<<"$output"
    printf 'label %s, mount label %s, output:\n%s\n' "$LABEL" "$MLABEL" "$output"
}

# start_victim: container $ID-b on its own writable rootfs with a `Z`
# volume ($VOLZ at /vol).  It writes a secret into its rootfs and its
# volume, copies busybox into its rootfs (an executable at its level) and
# sleeps as pid 1.  Sets B (bundle), B_ID, B_LABEL, B_LEVEL, B_PID.
start_victim() {
    new_bundle b rw
    B=$BATS_TEST_TMPDIR/b B_ID=$ID-b VOLZ=$BATS_TEST_TMPDIR/volZ
    mkdir -p "$VOLZ" "$B/rootfs/vol"
    bind "$B" "$VOLZ" /vol Z
    bcmd "$B" 'echo b-secret >/tmp/secret && echo z-secret >/vol/secret &&
               cp /bin/busybox /tmp/bb && touch /tmp/ready && exec sleep 1000'
    runtime run -d --bundle "$B" "$B_ID" </dev/null >"$BATS_TEST_TMPDIR/b.log" 2>&1 ||
        { cat "$BATS_TEST_TMPDIR/b.log"; return 1; }
    wait_file "$B/rootfs/tmp/ready" || { cat "$BATS_TEST_TMPDIR/b.log"; return 1; }
    B_LABEL=$(proc_label "$B_ID")
    B_LEVEL=$(level_of "$B_LABEL")
    B_PID=$(pid_of "$B_ID")
    echo "victim $B_ID: pid $B_PID, label $B_LABEL"
    is_pair "$B_LEVEL"
}

# --- labels of one container ----------------------------------------------

@test "a container runs as brig_container_t at its own pair; state, /proc and its mounts agree" {
    cmd 'tr -d "\000" </proc/self/attr/current >/dev/shm/label && exec sleep 1000'
    run_detached
    local pid label mlabel level m
    pid=$(pid_of)
    label=$(proc_label "$ID")
    mlabel=$(mount_label "$ID")
    level=$(level_of "$label")
    echo "pid $pid, label $label, mount label $mlabel"
    is_pair "$level"
    [ "$label" = "$PROC_T:$level" ]
    [ "$mlabel" = "$FILE_T:$level" ]
    # The kernel's view of the process, from outside and from inside.
    [ "$(tr -d '\0' </proc/"$pid"/attr/current)" = "$label" ]
    wait_file "/proc/$pid/root/dev/shm/label"
    [ "$(cat "/proc/$pid/root/dev/shm/label")" = "$label" ]
    # What the container created carries its label.
    [ "$(file_label "/proc/$pid/root/dev/shm/label")" = "$mlabel" ]
    # tmpfs and devpts are mounted with context=<mount label>.
    for m in /dev /dev/pts /dev/shm; do
        echo "$m: $(file_label "/proc/$pid/root$m")"
        [ "$(file_label "/proc/$pid/root$m")" = "$mlabel" ]
    done
    # The pair is reserved for this container, under the runtime root.
    [ "$(mcs_owned_by "$ID")" = "$(pair_file "$level")" ]
}

@test "a confined container can create and remove a POSIX message queue in its /dev/mqueue" {
    # The kernel refuses context= on mqueue (the superblock exists with the
    # ipc namespace) and mqueue takes no xattr: its files keep the policy's
    # genfscon label, so the policy must let the container use that.
    cmd 'tr -d "\000" </proc/self/attr/current; echo
         : >/dev/mqueue/brigq && cat /dev/mqueue/brigq && rm /dev/mqueue/brigq && echo mq-ok'
    kmark
    try runtime run "$ID"
    echo "avc: $(avc_since_mark)"
    is_pair "$(level_of "${lines[0]}")"
    [ "$status" = 0 ]
    [[ "$output" == *QSIZE:*mq-ok ]]
}

@test "two containers get different pairs, each reserved for its owner" {
    cmd 'true'
    create_quiet "$ID-1"
    create_quiet "$ID-2"
    local l1 l2
    l1=$(level_of "$(proc_label "$ID-1")")
    l2=$(level_of "$(proc_label "$ID-2")")
    echo "$ID-1: $l1, $ID-2: $l2"
    is_pair "$l1"
    is_pair "$l2"
    [ "$l1" != "$l2" ]
    [ "$(mcs_owned_by "$ID-1")" = "$(pair_file "$l1")" ]
    [ "$(mcs_owned_by "$ID-2")" = "$(pair_file "$l2")" ]
}

# The allocator's race itself is proven by test_mcs (5,000 allocations from
# 4 processes, where an unlocked allocator collides about 24 times); this
# drives it through concurrent `create`s under enforcing SELinux, sized for
# the TCG guest (200 took four and a half minutes there).
@test "40 containers created concurrently (8 workers x 5) get 40 distinct pairs" {
    cmd 'true'
    local w pids=() ids states n
    for w in 1 2 3 4 5 6 7 8; do
        (
            for i in $(seq 5); do
                timeout -k 5 120 "$BRIG_RUNTIME" --root "$ROOT" create --bundle "$BUNDLE" "$ID-$w-$i" \
                    </dev/null >/dev/null 2>>"$BATS_TEST_TMPDIR/create-$w.err" ||
                    echo "$ID-$w-$i" >>"$BATS_TEST_TMPDIR/failed"
            done
        ) 3>&- &
        pids+=($!)
    done
    wait "${pids[@]}"
    if [ -s "$BATS_TEST_TMPDIR/failed" ]; then
        echo "failed creates: $(wc -l <"$BATS_TEST_TMPDIR/failed")"
        cat "$BATS_TEST_TMPDIR"/create-*.err | sort | uniq -c | head
        return 1
    fi
    ids=$(runtime list -q | sort)
    [ "$(printf '%s\n' "$ids" | grep -c .)" = 40 ]
    # "ID LEVEL" of each, as `state` reports it.
    states=$(printf '%s\n' "$ids" | xargs -P 4 -I{} sh -c \
        '"$0" --root "$1" state "$2" | jq -r "\"\(.id) \(.selinuxProcessLabel // \"none\")\""' \
        "$BRIG_RUNTIME" "$ROOT" {} 3>&- | awk '{ split($2, a, ":"); print $1, a[4] ":" a[5] }' | sort)
    [ "$(printf '%s\n' "$states" | grep -c .)" = 40 ]
    [ -z "$(printf '%s\n' "$states" | awk '{ print $2 }' | grep -vE "$PAIR_RE")" ]
    n=$(printf '%s\n' "$states" | awk '{ print $2 }' | sort -u | wc -l)
    echo "distinct pairs: $n"
    [ "$n" = 40 ]
    # The reservations are exactly those pairs, each owned by its container.
    [ "$(mcs_reservations | sort)" = "$(printf '%s\n' "$states" | awk '{ sub(/^s0:/, "", $2); print $2 "=" $1 }' | sort)" ]
    # Deleting them all (concurrently too) frees every pair.
    printf '%s\n' "$ids" | xargs -P 8 -I{} "$BRIG_RUNTIME" --root "$ROOT" delete -f {} 3>&-
    [ -z "$(runtime list -q)" ]
    [ -z "$(mcs_reservations)" ]
}

@test "delete releases the pair; creating the same id again gives a new pair" {
    cmd 'true'
    local l1 l2
    create_quiet
    l1=$(level_of "$(proc_label "$ID")")
    is_pair "$l1"
    [ "$(mcs_owned_by "$ID")" = "$(pair_file "$l1")" ]
    runtime delete "$ID"
    [ -z "$(mcs_reservations)" ]
    create_quiet
    l2=$(level_of "$(proc_label "$ID")")
    echo "first $l1, then $l2"
    is_pair "$l2"
    [ "$l1" != "$l2" ]
    [ "$(mcs_reservations)" = "$(pair_file "$l2")=$ID" ]
}

@test "kill -9 of the runtime mid-create: delete -f and list leave nothing reserved for it" {
    local hook=$BATS_TEST_TMPDIR/hook.pid rt
    # The createRuntime hook records its pid and waits: the runtime is then
    # past allocation and mounts, before saving the state.
    cfg '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "echo $$ >\"$0\"; exec sleep 60", $f]}]' \
        --arg f "$hook"
    TEARDOWN_EXTRA="[ -s $hook ] && kill -9 \$(cat $hook) 2>/dev/null; true"
    "$BRIG_RUNTIME" --root "$ROOT" create "$ID" </dev/null >"$BATS_TEST_TMPDIR/create.log" 2>&1 3>&- &
    rt=$!
    wait_file "$hook" 600 || { cat "$BATS_TEST_TMPDIR/create.log"; false; }
    sleep 0.1
    echo "mid-create reservations: $(mcs_reservations)"
    [ -n "$(mcs_owned_by "$ID")" ]
    kill -9 "$rt"
    wait "$rt" || true
    kill -9 "$(cat "$hook")"
    runtime delete -f "$ID" || true
    runtime list
    echo "after delete -f and list: $(mcs_reservations)"
    [ -z "$(mcs_owned_by "$ID")" ]
    [ ! -e "$ROOT/$ID" ]
}

@test "list frees the reservation of a container whose state directory is gone" {
    cmd 'true'
    create_quiet
    local pid
    pid=$(pid_of)
    [ -n "$(mcs_owned_by "$ID")" ]
    # As after a crash that lost the state: the container and its state
    # directory are gone, its reservation is not.
    kill -9 "$pid"
    rm -rf "${ROOT:?}/$ID"
    reap_cgroups
    [ -n "$(mcs_owned_by "$ID")" ]
    runtime list
    [ -z "$(mcs_owned_by "$ID")" ]
}

# --- rootfs and volumes ---------------------------------------------------

@test "rootfs: a read-only rootfs is relabelled to the shared level, a writable one to the container's pair" {
    cmd 'true'
    create_quiet "$ID"
    echo "read-only rootfs: $(file_label "$TEMPLATE"), busybox $(file_label "$TEMPLATE/bin/sh")"
    [ "$(file_label "$TEMPLATE")" = "$FILE_T:s0" ]
    [ "$(file_label "$TEMPLATE/etc/passwd")" = "$FILE_T:s0" ]
    new_bundle rw rw
    bcmd "$BATS_TEST_TMPDIR/rw" 'true'
    runtime create --bundle "$BATS_TEST_TMPDIR/rw" "$ID-rw" </dev/null >/dev/null 2>&1
    local level
    level=$(level_of "$(proc_label "$ID-rw")")
    is_pair "$level"
    echo "writable rootfs: $(file_label "$BATS_TEST_TMPDIR/rw/rootfs")"
    [ "$(file_label "$BATS_TEST_TMPDIR/rw/rootfs")" = "$FILE_T:$level" ]
    [ "$(file_label "$BATS_TEST_TMPDIR/rw/rootfs/etc/passwd")" = "$FILE_T:$level" ]
    [ "$(file_label "$BATS_TEST_TMPDIR/rw/rootfs/tmp")" = "$FILE_T:$level" ]
}

@test "a Z volume is relabelled to its container's pair and is usable by it; what it creates carries its label" {
    start_victim
    echo "volume: $(file_label "$VOLZ"), secret: $(file_label "$VOLZ/secret")"
    [ "$(file_label "$VOLZ")" = "$FILE_T:$B_LEVEL" ]
    [ "$(cat "$VOLZ/secret")" = z-secret ]
    [ "$(file_label "$VOLZ/secret")" = "$FILE_T:$B_LEVEL" ]
    [ "$(file_label "$B/rootfs/tmp/secret")" = "$FILE_T:$B_LEVEL" ]
    [ "$(file_label "$B/rootfs/tmp/bb")" = "$FILE_T:$B_LEVEL" ]
    try runtime exec "$B_ID" sh -c 'cat /vol/secret && echo more >>/vol/secret && ls /vol'
    [ "$status" = 0 ]
    [ "$output" = "$(printf 'z-secret\nsecret')" ]
    [ "$(cat "$VOLZ/secret")" = "$(printf 'z-secret\nmore')" ]
}

@test "a z volume is relabelled to the shared level and is read and written by two containers" {
    local vol=$BATS_TEST_TMPDIR/volz a_level b_level
    mkdir -p "$vol"
    echo shared >"$vol/shared"
    new_bundle a
    new_bundle b
    bind "$BATS_TEST_TMPDIR/a" "$vol" /mnt z
    bind "$BATS_TEST_TMPDIR/b" "$vol" /mnt z
    bcmd "$BATS_TEST_TMPDIR/a" 'tr -d "\000" </proc/self/attr/current; echo
        cat /mnt/shared && echo a >>/mnt/shared && echo a-new >/mnt/a-file && ls /mnt'
    bcmd "$BATS_TEST_TMPDIR/b" 'tr -d "\000" </proc/self/attr/current; echo
        cat /mnt/shared && echo b >>/mnt/shared && echo b-new >/mnt/b-file && ls /mnt'
    try runtime run --bundle "$BATS_TEST_TMPDIR/a" "$ID-a"
    [ "$status" = 0 ]
    a_level=$(level_of "${lines[0]}")
    [ "${lines[1]}" = shared ]
    try runtime run --bundle "$BATS_TEST_TMPDIR/b" "$ID-b"
    [ "$status" = 0 ]
    b_level=$(level_of "${lines[0]}")
    [ "${lines[1]}" = shared ]
    [ "${lines[2]}" = a ]
    is_pair "$a_level"
    is_pair "$b_level"
    [ "$a_level" != "$b_level" ]
    [ "$(cat "$vol/shared")" = "$(printf 'shared\na\nb')" ]
    echo "volume $(file_label "$vol"); shared $(file_label "$vol/shared"); a-file $(file_label "$vol/a-file"); b-file $(file_label "$vol/b-file")"
    [ "$(file_label "$vol")" = "$FILE_T:s0" ]
    [ "$(file_label "$vol/shared")" = "$FILE_T:s0" ]
    # A new file gets its creator's level.
    [ "$(file_label "$vol/a-file")" = "$FILE_T:$a_level" ]
    [ "$(file_label "$vol/b-file")" = "$FILE_T:$b_level" ]
}

@test "z and Z on /, /usr, /etc, /var/log, /home are refused at create, naming the path; their labels stay" {
    local src opt before
    for src in / /usr /etc /var/log /home; do
        before=$(file_label "$src")
        for opt in z Z; do
            new_bundle "r$opt${src//\//_}"
            bind "$BATS_TEST_TMPDIR/r$opt${src//\//_}" "$src" /mnt "$opt"
            try runtime create --bundle "$BATS_TEST_TMPDIR/r$opt${src//\//_}" "$ID"
            expect_error "\`$src\`"
            [ ! -e "$ROOT/$ID" ]
            [ -z "$(mcs_reservations)" ]
        done
        [ "$(file_label "$src")" = "$before" ]
    done
    assert_nothing_left
}

# --- isolation: another container's files and processes, the host's files --

@test "container A cannot read, write, list or execute B's files or B's Z volume, nor host secrets" {
    start_victim
    local varlog=/var/log/brig-svirt-$ID.log a=$BATS_TEST_TMPDIR/a
    echo host-log >"$varlog"
    TEARDOWN_EXTRA="rm -f $varlog"
    [[ "$(file_label "$varlog")" == *:var_log_t:* ]] || chcon -t var_log_t "$varlog"
    new_bundle a
    # Plain binds (no z/Z: nothing relabelled) of B's files onto A's paths.
    bind "$a" "$B/rootfs/tmp/secret" /etc/hosts
    bind "$a" "$B/rootfs/tmp/bb" /etc/resolv.conf
    bind "$a" "$B/rootfs/etc" /mnt
    bind "$a" "$VOLZ" /home/user
    bind "$a" /etc /root ro
    bind "$a" "$varlog" /etc/hostname
    bcmd "$a" "$ATTEMPT_SH"'
        tr -d "\000" </proc/self/attr/current; echo
        attempt own-read cat /etc/passwd
        attempt read-b-file cat /etc/hosts
        attempt write-b-file sh -c "echo x >>/etc/hosts"
        attempt exec-b-file /etc/resolv.conf true
        attempt list-b-dir ls /mnt
        attempt list-b-volume ls /home/user
        attempt read-b-volume cat /home/user/secret
        attempt write-b-volume sh -c "echo x >/home/user/new"
        attempt read-shadow cat /root/shadow
        attempt read-var-log cat /etc/hostname'
    kmark
    try runtime run --bundle "$a" "$ID-a"
    [ "$status" = 0 ]
    local A=${lines[0]}
    is_pair "$(level_of "$A")"
    [ "$A" != "$B_LABEL" ]
    allowed own-read
    denied read-b-file
    expect_avc "{ read }" "scontext=$A " "tcontext=$FILE_T:$B_LEVEL " "tclass=file"
    denied write-b-file
    expect_avc "{ append }" "scontext=$A " "tcontext=$FILE_T:$B_LEVEL " "tclass=file"
    denied exec-b-file
    expect_avc "{ execute }" "scontext=$A " "tcontext=$FILE_T:$B_LEVEL " "tclass=file"
    denied list-b-dir
    denied list-b-volume
    expect_avc "{ read }" "scontext=$A " "tcontext=$FILE_T:$B_LEVEL " "tclass=dir"
    denied read-b-volume
    denied write-b-volume
    expect_avc "{ search }" "scontext=$A " "tcontext=$FILE_T:$B_LEVEL " "tclass=dir"
    denied read-shadow
    expect_avc "scontext=$A " ":shadow_t:" "tclass=file"
    denied read-var-log
    expect_avc "scontext=$A " ":var_log_t:" "tclass=file"
    # B's files are intact and B still runs.
    [ "$(cat "$B/rootfs/tmp/secret")" = b-secret ]
    [ ! -e "$VOLZ/new" ]
    [ "$(status_of "$B_ID")" = running ]
}

@test "container A (in B's pid namespace) cannot signal or ptrace B's processes" {
    start_victim
    local a=$BATS_TEST_TMPDIR/a
    new_bundle a
    bcfg "$a" '.linux.namespaces |= map(if .type == "pid" then .path = $p else . end)' \
        --arg p "/proc/$B_PID/ns/pid"
    # B's pid 1 is its sleep: visible to A, but at another level.
    bcmd "$a" "$ATTEMPT_SH"'
        tr -d "\000" </proc/self/attr/current; echo
        attempt see-b sh -c "ls /proc 2>/dev/null | grep -x 1"
        attempt kill-b kill -TERM 1
        attempt kill9-b kill -KILL 1
        attempt environ-b cat /proc/1/environ
        attempt mem-b dd if=/proc/1/mem bs=1 count=1
        attempt fds-b ls /proc/1/fd'
    kmark
    try runtime run --bundle "$a" "$ID-a"
    [ "$status" = 0 ]
    local A=${lines[0]}
    is_pair "$(level_of "$A")"
    allowed see-b 1
    denied kill-b
    expect_avc "{ signal }" "scontext=$A " "tcontext=$B_LABEL " "tclass=process"
    denied kill9-b
    expect_avc "{ sigkill }" "scontext=$A " "tcontext=$B_LABEL " "tclass=process"
    # (kill -0, signull, is not MCS-constrained in Debian's policy: it only
    # tells that pid 1 exists, which the shared /proc shows anyway.)
    denied environ-b
    denied mem-b
    denied fds-b
    expect_avc "scontext=$A " "tcontext=$B_LABEL " "tclass=dir"
    [ "$(status_of "$B_ID")" = running ]
}

@test "permissive mode: the same cross-container read succeeds and is logged with permissive=1" {
    start_victim
    local a=$BATS_TEST_TMPDIR/a
    new_bundle a
    bind "$a" "$B/rootfs/tmp/secret" /etc/hosts
    bcmd "$a" "$ATTEMPT_SH"'
        tr -d "\000" </proc/self/attr/current; echo
        attempt read-b-file cat /etc/hosts'
    kmark
    SVIRT_RESTORE_ENFORCE=1
    setenforce 0
    try runtime run --bundle "$a" "$ID-a"
    setenforce 1
    unset SVIRT_RESTORE_ENFORCE
    [ "$(getenforce)" = Enforcing ]
    [ "$status" = 0 ]
    local A=${lines[0]}
    is_pair "$(level_of "$A")"
    allowed read-b-file b-secret
    expect_avc "scontext=$A " "tcontext=$FILE_T:$B_LEVEL " "tclass=file" "permissive=1"
}

# --- exec ------------------------------------------------------------------

@test "exec'd processes get the container's label, or exec --process-label's" {
    cmd 'exec sleep 1000'
    run_detached
    local label
    label=$(proc_label "$ID")
    is_pair "$(level_of "$label")"
    try runtime exec "$ID" sh -c 'tr -d "\000" </proc/self/attr/current'
    [ "$status" = 0 ]
    [ "$output" = "$label" ]
    try runtime exec --process-label "$SPC_T:s0" "$ID" sh -c 'tr -d "\000" </proc/self/attr/current'
    [ "$status" = 0 ]
    [ "$output" = "$SPC_T:s0" ]
}

# --- label options (annotations), config.json labels ---------------------

@test "io.brig.selinux.disable runs the container as brig_spc_t:s0, which reads what a confined one cannot" {
    start_victim
    local a=$BATS_TEST_TMPDIR/a
    new_bundle a
    annotate "$a" io.brig.selinux.disable true
    bind "$a" "$B/rootfs/tmp/secret" /etc/hosts
    bind "$a" "$VOLZ" /home/user
    bcmd "$a" "$ATTEMPT_SH"'
        tr -d "\000" </proc/self/attr/current; echo
        attempt read-b-file cat /etc/hosts
        attempt read-b-volume cat /home/user/secret'
    run_logged "$ID-a" "$a"
    [ "$LABEL" = "$SPC_T:s0" ]
    [ "${lines[0]}" = "$SPC_T:s0" ]
    allowed read-b-file b-secret
    allowed read-b-volume z-secret
    [ -z "$(mcs_owned_by "$ID-a")" ]
}

@test "io.brig.selinux.type and .level give exactly that type and level (brig_test_container_t, s0:c5,c6)" {
    annotate "$BUNDLE" io.brig.selinux.type brig_test_container_t
    annotate "$BUNDLE" io.brig.selinux.level s0:c5,c6
    cmd 'tr -d "\000" </proc/self/attr/current'
    run_logged "$ID" "$BUNDLE"
    [ "$LABEL" = system_u:system_r:brig_test_container_t:s0:c5,c6 ]
    [ "$MLABEL" = "$FILE_T:s0:c5,c6" ]
    [ "$output" = system_u:system_r:brig_test_container_t:s0:c5,c6 ]
    [ "$(mcs_owned_by "$ID")" = c5,c6 ]
    # The level is taken: another container may not have it.
    new_bundle other
    annotate "$BATS_TEST_TMPDIR/other" io.brig.selinux.level s0:c5,c6
    try runtime create --bundle "$BATS_TEST_TMPDIR/other" "$ID-other"
    expect_error "s0:c5,c6"
    [ ! -e "$ROOT/$ID-other" ]
    [ "$(mcs_reservations)" = "c5,c6=$ID" ]
}

@test "io.brig.selinux.user and .role set the process label's user and role" {
    annotate "$BUNDLE" io.brig.selinux.user unconfined_u
    annotate "$BUNDLE" io.brig.selinux.role unconfined_r
    cmd 'tr -d "\000" </proc/self/attr/current'
    run_logged "$ID" "$BUNDLE"
    [[ "$LABEL" == unconfined_u:unconfined_r:brig_container_t:s0:c* ]]
    is_pair "$LEVEL"
    [ "$output" = "$LABEL" ]
}

@test "io.brig.selinux.filetype sets the mount label's type" {
    annotate "$BUNDLE" io.brig.selinux.filetype brig_container_ro_file_t
    cmd 'exec sleep 1000'
    run_detached
    local label mlabel pid
    label=$(proc_label "$ID")
    mlabel=$(mount_label "$ID")
    pid=$(pid_of)
    echo "label $label, mount label $mlabel, /dev/shm $(file_label "/proc/$pid/root/dev/shm")"
    is_pair "$(level_of "$label")"
    [ "$mlabel" = "system_u:object_r:brig_container_ro_file_t:$(level_of "$label")" ]
    [ "$(file_label "/proc/$pid/root/dev/shm")" = "$mlabel" ]
}

@test "io.brig.selinux.auto=false: no labelling at all, as runc" {
    annotate "$BUNDLE" io.brig.selinux.auto false
    cmd 'tr -d "\000" </proc/self/attr/current'
    run_logged "$ID" "$BUNDLE"
    [ -z "$LABEL" ]
    [ -z "$MLABEL" ]
    # The init keeps the runtime's own context (the caller's here).
    [ "$output" = "$(tr -d '\0' </proc/self/attr/current)" ]
    [[ "$output" != *brig_container_t* ]]
    [ -z "$(mcs_reservations)" ]
}

@test "process.selinuxLabel and linux.mountLabel from config.json are used as given and their level is reserved" {
    cfg '.process.selinuxLabel = $p | .linux.mountLabel = $m' \
        --arg p "$PROC_T:s0:c7,c8" --arg m "$FILE_T:s0:c7,c8"
    cmd 'tr -d "\000" </proc/self/attr/current'
    run_logged "$ID" "$BUNDLE"
    [ "$LABEL" = "$PROC_T:s0:c7,c8" ]
    [ "$MLABEL" = "$FILE_T:s0:c7,c8" ]
    [ "$output" = "$PROC_T:s0:c7,c8" ]
    [ "$(mcs_owned_by "$ID")" = c7,c8 ]
    try runtime create "$ID-2"
    expect_error "s0:c7,c8"
    [ ! -e "$ROOT/$ID-2" ]
    [ "$(mcs_reservations)" = "c7,c8=$ID" ]
}

# --- bad options -------------------------------------------------------------

@test "a malformed or out-of-range level annotation fails create with one line, leaving nothing" {
    local level
    cmd 'true'
    for level in s0:c99999 s0:c1024 's0:c1,' nonsense; do
        annotate "$BUNDLE" io.brig.selinux.level "$level"
        try runtime create "$ID"
        expect_error "$level"
        [ ! -e "$ROOT/$ID" ]
        [ -z "$(mcs_reservations)" ]
    done
    assert_nothing_left
}

@test "an unknown type annotation fails create with one line, leaving nothing" {
    cmd 'true'
    annotate "$BUNDLE" io.brig.selinux.type brig_no_such_t
    try runtime create "$ID"
    expect_error brig_no_such_t
    [ ! -e "$ROOT/$ID" ]
    [ -z "$(mcs_reservations)" ]
    assert_nothing_left
}
