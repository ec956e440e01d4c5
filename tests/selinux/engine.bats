#!/usr/bin/env bats
# shellcheck disable=SC2016,SC2012,SC2034,SC2154 # eval strings are single-quoted; ls -Z is shown to the reader; TEARDOWN_EXTRA is read by teardown
# The `brig` engine's SVirt, proven under enforcing SELinux (the tests/vm
# guest) with the commands the seeds' users type, `brig` in place of
# `docker`: every `brig run` gets a fresh MCS pair (seed 003: "If you start
# the same container twice, it will get a new category"), its rootfs is
# mounted with its private file label, one container cannot touch
# another's files nor the host's (seed 001), volumes are relabelled with
# :z/:Z but never /var/log (seed 002: it would lock the host's log tools
# out; a custom type is the way), and the label options docker and podman
# spell `label=...` (and the seeds `label:...`) do what they say.
#
# Every denial is a real access attempt from inside a container that fails
# with EACCES, and an `avc:  denied` record in the kernel log naming the
# container's context (svirt-helpers.bash: kmark, expect_avc, attempt).
#
# Run in the guest (BUILD: the meson build holding src/engine/brig):
#     BUILD=build tests/vm/guest-tests.sh --no-smoke selinux/engine.bats
# Elsewhere (no SELinux) every test is skipped with the reason.

load ../integration/helpers
load svirt-helpers
load engine-helpers

setup_file() {
    engine_setup_file
}

# ctr_check NAME: NAME runs confined at its own pair; inspect, the kernel
# (/proc/PID/attr/current from the host), the container's own view (/label,
# written by its command) and the labels of its rootfs's files agree; the
# pair is reserved for it.  Sets LABEL, MLABEL, LEVEL, MERGED.
ctr_check() {
    local name=$1 pid id f
    LABEL=$(plabel "$name")
    MLABEL=$(mlabel "$name")
    LEVEL=$(level_of "$LABEL")
    MERGED=$(merged_of "$name")
    pid=$(pid_of_ctr "$name")
    id=$(id_of "$name")
    echo "$name: pid $pid, ProcessLabel $LABEL, MountLabel $MLABEL"
    is_pair "$LEVEL"
    [ "$LABEL" = "$PROC_T:$LEVEL" ]
    [ "$MLABEL" = "$FILE_T:$LEVEL" ]
    [ "$(tr -d '\0' <"/proc/$pid/attr/current")" = "$LABEL" ]
    # The rootfs is an overlay mounted with context=<MountLabel>.
    [ "$(ins "$name" .GraphDriver.Name)" = overlay ]
    local m
    m=$(awk -v d="$MERGED" '$5 == d' /proc/self/mountinfo)
    echo "  mount: $m"
    [[ "$m" == *" - overlay overlay "*context=*"$MLABEL"* ]]
    wait_in "$name" /label
    [ "$(cat "$MERGED/label")" = "$LABEL" ]
    # The overlay is mounted with context=<MountLabel>: the image's files
    # and what the container wrote carry the container's private label.
    for f in "" /etc/passwd /bin/sh /tmp /label; do
        echo "  $f: $(file_label "$MERGED$f")"
        [ "$(file_label "$MERGED$f")" = "$MLABEL" ]
    done
    [ "$(mcs_owned_by "$id")" = "$(pair_file "$LEVEL")" ]
}

LABEL_SH='tr -d "\000" </proc/self/attr/current >/label'

# --- a fresh pair per start --------------------------------------------------

@test "two brig run of one image get different pairs; inspect, /proc, exec and the rootfs's labels agree" {
    run_d "$N-a" "$IMG" sh -c "$LABEL_SH; exec sleep 1000"
    run_d "$N-b" "$IMG" sh -c "$LABEL_SH; exec sleep 1000"
    ctr_check "$N-a"
    local a_level=$LEVEL a_label=$LABEL
    ctr_check "$N-b"
    echo "levels: $a_level, $LEVEL"
    [ "$a_level" != "$LEVEL" ]
    # A process exec'd into a container gets that container's label.
    try brig exec "$N-a" sh -c 'tr -d "\000" </proc/self/attr/current'
    [ "$status" = 0 ]
    [ "$output" = "$a_label" ]
    brig rm -f "$N-a" "$N-b"
    assert_engine_clean
}

@test "brig stop + brig start gives a new pair, frees the old one, and the container still owns its files" {
    run_d "$N" "$IMG" sh -c "$LABEL_SH; echo run >>/data; exec sleep 1000"
    ctr_check "$N"
    local l1=$LEVEL id
    id=$(id_of "$N")
    wait_for 200 grep -q run "$MERGED/data"
    brig stop -t 1 "$N"
    [ "$(ins "$N" .State.Status)" = exited ]
    echo "after stop: reservations [$(mcs_reservations)]"
    [ -z "$(mcs_owned_by "$id")" ]
    brig start "$N"
    # The second start appends a second line to what the first one wrote
    # under its old pair: the writable layer follows the container.
    wait_for 200 eval '[ "$(grep -c run "'"$MERGED"'/data" 2>/dev/null)" = 2 ]'
    ctr_check "$N"
    echo "first start $l1, second $LEVEL"
    [ "$l1" != "$LEVEL" ]
    [ "$(file_label "$MERGED/data")" = "$MLABEL" ]
    [ "$(mcs_reservations)" = "$(pair_file "$LEVEL")=$id" ]
    brig rm -f "$N"
    assert_engine_clean
}

# --- isolation (seed 001) --------------------------------------------------------

@test "container A cannot read, list or write B's rootfs, read /etc/shadow, or write a host dir bound without :z" {
    local host=/srv/brig-host-$N b_merged b_mlabel host_label
    run_d "$N-b" "$IMG" sh -c 'echo b-secret >/secret; exec sleep 1000'
    wait_in "$N-b" /secret
    b_merged=$(merged_of "$N-b")
    b_mlabel=$(mlabel "$N-b")
    is_pair "$(level_of "$b_mlabel")"
    [ "$(file_label "$b_merged/secret")" = "$b_mlabel" ]
    mkdir -p "$host"
    TEARDOWN_EXTRA="rm -rf $host"
    host_label=$(file_label "$host")
    echo "B's rootfs $b_merged ($b_mlabel); host dir $host ($host_label)"
    kmark
    # Plain -v (no z/Z): nothing is relabelled, A sees B's and the host's
    # files with their own labels.
    # B's rootfs as a whole and one of its files (opening a file under /b
    # is already stopped at the directory's search check).
    try brig run --name "$N-a" -v "$b_merged:/b" -v "$b_merged/secret:/b-secret" \
        -v /etc/shadow:/shadow:ro -v "$host:/host" \
        "$IMG" sh -c "$ATTEMPT_SH"'
        tr -d "\000" </proc/self/attr/current; echo
        attempt own-read head -n1 /etc/passwd
        attempt own-write sh -c "echo a >/own && cat /own"
        attempt read-b cat /b-secret
        attempt list-b ls /b
        attempt enter-b cat /b/secret
        attempt append-b sh -c "echo x >>/b-secret"
        attempt read-shadow cat /shadow
        attempt write-host sh -c "echo x >/host/new"'
    [ "$status" = 0 ]
    local A=${lines[0]}
    is_pair "$(level_of "$A")"
    [ "$A" != "$(plabel "$N-b")" ]
    allowed own-read root:x:0:0:root:/root:/bin/sh
    allowed own-write a
    denied read-b
    expect_avc "{ read }" "scontext=$A " "tcontext=$b_mlabel " "tclass=file"
    denied list-b
    expect_avc "{ read }" "scontext=$A " "tcontext=$b_mlabel " "tclass=dir"
    denied enter-b
    expect_avc "{ search }" "scontext=$A " "tcontext=$b_mlabel " "tclass=dir"
    denied append-b
    expect_avc "{ append }" "scontext=$A " "tcontext=$b_mlabel " "tclass=file"
    denied read-shadow
    expect_avc "scontext=$A " ":shadow_t:" "tclass=file"
    denied write-host
    expect_avc "scontext=$A " "tcontext=$host_label " "tclass=dir"
    # B's file is intact, the host dir empty, B still runs.
    [ "$(cat "$b_merged/secret")" = b-secret ]
    [ -z "$(ls -A "$host")" ]
    [ "$(ins "$N-b" .State.Status)" = running ]
    brig rm -f "$N-a" "$N-b"
    assert_engine_clean
}

# --- volumes -----------------------------------------------------------------------

@test "volume -v /srv/logs:/logs:Z gives the dir the container's private level; it writes there, a second container is denied" {
    local dir=/srv/logs a_level
    rm -rf "$dir"
    mkdir -p "$dir"
    echo host-line >"$dir/old.log"
    TEARDOWN_EXTRA="rm -rf $dir"
    echo "before: $(ls -Zd "$dir") / $(ls -Z "$dir")"
    run_d "$N-a" -v /srv/logs:/logs:Z "$IMG" sh -c \
        'echo from-a >>/logs/old.log && echo a >/logs/a.log && touch /logs/ready; exec sleep 1000'
    wait_for 200 test -e "$dir/ready" || { brig logs "$N-a"; false; }
    a_level=$(level_of "$(plabel "$N-a")")
    is_pair "$a_level"
    echo "after: $(ls -Zd "$dir") / $(ls -Z "$dir" | tr '\n' ' ')"
    [ "$(file_label "$dir")" = "$FILE_T:$a_level" ]
    [ "$(file_label "$dir/old.log")" = "$FILE_T:$a_level" ]
    [ "$(file_label "$dir/a.log")" = "$FILE_T:$a_level" ]
    [ "$(cat "$dir/old.log")" = "$(printf 'host-line\nfrom-a')" ]
    # The same dir, bound into another container without relabelling.
    kmark
    try brig run --name "$N-b" -v /srv/logs:/logs "$IMG" sh -c "$ATTEMPT_SH"'
        tr -d "\000" </proc/self/attr/current; echo
        attempt list ls /logs
        attempt read cat /logs/a.log
        attempt append sh -c "echo from-b >>/logs/old.log"'
    [ "$status" = 0 ]
    local B=${lines[0]}
    is_pair "$(level_of "$B")"
    [ "$(level_of "$B")" != "$a_level" ]
    denied list
    denied read
    denied append
    expect_avc "scontext=$B " "tcontext=$FILE_T:$a_level " "tclass=dir"
    [ "$(cat "$dir/old.log")" = "$(printf 'host-line\nfrom-a')" ]
    brig rm -f "$N-a" "$N-b"
    assert_engine_clean
}

@test "volume -v DIR:DIR:z is shared: two running containers read and write it, at the shared level s0" {
    local dir=/srv/shared-$N c_level d_level
    mkdir -p "$dir"
    echo host >"$dir/log"
    TEARDOWN_EXTRA="rm -rf $dir"
    run_d "$N-c" -v "$dir:/shared:z" "$IMG" sh -c \
        "$LABEL_SH"'; cat /shared/log >/seen && echo c >>/shared/log && echo c >/shared/c-file && exec sleep 1000'
    wait_for 200 test -e "$dir/c-file" || { brig logs "$N-c"; false; }
    c_level=$(level_of "$(plabel "$N-c")")
    try brig run --name "$N-d" -v "$dir:/shared:z" "$IMG" sh -c \
        'tr -d "\000" </proc/self/attr/current; echo
         cat /shared/log && echo d >>/shared/log && echo d >/shared/d-file'
    [ "$status" = 0 ]
    d_level=$(level_of "${lines[0]}")
    is_pair "$c_level"
    is_pair "$d_level"
    [ "$c_level" != "$d_level" ]
    # d read what the host and c wrote in the shared file (c still
    # running).  A file each creates carries its creator's level, as any
    # file a container creates: sharing is of what the volume held.
    [ "${lines[1]}" = host ]
    [ "${lines[2]}" = c ]
    [ "$(cat "$dir/log")" = "$(printf 'host\nc\nd')" ]
    echo "$(ls -Zd "$dir") / $(ls -Z "$dir" | tr '\n' ' ')"
    [ "$(file_label "$dir")" = "$FILE_T:s0" ]
    [ "$(file_label "$dir/log")" = "$FILE_T:s0" ]
    [ "$(file_label "$dir/c-file")" = "$FILE_T:$c_level" ]
    [ "$(file_label "$dir/d-file")" = "$FILE_T:$d_level" ]
    [ "$(ins "$N-c" .State.Status)" = running ]
    brig rm -f "$N-c" "$N-d"
    assert_engine_clean
}

# --- seed 002: /var/log ------------------------------------------------------------

# refused_var_log ARGS...: `brig run ARGS... IMG sleep 1000` is refused
# because of /var/log (why, and the way out), and changes nothing.
refused_var_log() {
    local before
    before=$(labels_of /var/log)
    try brig run "$@" "$IMG" sleep 1000
    one_line_error
    [[ "$stderr" == *"/var/log"* ]] || { echo "the error does not name /var/log"; return 1; }
    grep -qi relabel <<<"$stderr" || { echo "the error does not say it refuses a relabel"; return 1; }
    grep -qiE 'logrotate|log scanner|log tools' <<<"$stderr" ||
        { echo "the error does not say the host's log tools would be locked out"; return 1; }
    grep -qi 'custom type' <<<"$stderr" || { echo "the error does not point to a custom type"; return 1; }
    [ "$(labels_of /var/log)" = "$before" ] || { echo "/var/log was relabelled"; return 1; }
    assert_engine_clean
}

@test "seed 002 as typed: brig run -d -v /var/log:/var/log:Z --security-opt label:type:container_logger_t is refused, saying why" {
    refused_var_log -d -v /var/log:/var/log:Z --security-opt label:type:container_logger_t
}

@test "seed 002: -v /var/log:/var/log:Z (and :z, and with a type the policy has) is refused; /var/log keeps its labels" {
    refused_var_log -d -v /var/log:/var/log:Z
    refused_var_log -d -v /var/log:/var/log:z
    refused_var_log -d -v /var/log:/var/log:Z --security-opt label=type:brig_test_container_t
}

# --- label options ------------------------------------------------------------------

@test "label options: --security-opt label:disable and label=disable run unconfined (spc), with no pair; --privileged implies it" {
    local spc opt i=0
    spc=$(spc_label)
    echo "the policy's unconfined container label: $spc"
    for opt in "--security-opt label:disable" "--security-opt label=disable" --privileged; do
        i=$((i + 1))
        # shellcheck disable=SC2086 # the option and its value are two words
        try brig run --name "$N-$i" $opt -v /etc/shadow:/shadow:ro "$IMG" sh -c "$ATTEMPT_SH"'
            tr -d "\000" </proc/self/attr/current; echo
            attempt read-shadow sh -c "head -c5 /shadow"'
        [ "$status" = 0 ]
        [ "${lines[0]}" = "$spc" ]
        [ "$(plabel "$N-$i")" = "$spc" ]
        # Unconfined: what a confined container is denied, it may read.
        allowed read-shadow root:
        [ -z "$(mcs_owned_by "$(id_of "$N-$i")")" ]
    done
    brig rm -f "$N-1" "$N-2" "$N-3"
    assert_engine_clean
}

@test "brig.conf label_process_type and label_file_type: containers run with those types; label = false turns labelling off" {
    export BRIG_CONFIG=$BATS_TEST_TMPDIR/brig.conf
    printf '%s\n' 'label_process_type = "brig_test_container_t"' \
        'label_file_type = "brig_container_file_t"' >"$BRIG_CONFIG"
    try brig run --name "$N-conf" "$IMG" sh -c 'tr -d "\000" </proc/self/attr/current'
    [ "$status" = 0 ]
    [[ "$output" == system_u:system_r:brig_test_container_t:* ]]
    is_pair "$(level_of "$output")"
    [ "$(mlabel "$N-conf")" = "system_u:object_r:brig_container_file_t:$(level_of "$output")" ]
    printf 'label = false\n' >"$BRIG_CONFIG"
    try brig run --name "$N-off" "$IMG" sh -c 'tr -d "\000" </proc/self/attr/current'
    [ "$status" = 0 ]
    [[ "$output" != *":s0:c"* ]]
    brig rm -f "$N-conf" "$N-off"
    assert_engine_clean
}

@test "label options: --security-opt label:type:T and label=type:T run as T (brig_test_container_t), each at its own pair" {
    local opt i=0 levels=()
    for opt in label:type:brig_test_container_t label=type:brig_test_container_t; do
        i=$((i + 1))
        try brig run --name "$N-$i" --security-opt "$opt" "$IMG" sh -c 'tr -d "\000" </proc/self/attr/current'
        [ "$status" = 0 ]
        [[ "$output" == system_u:system_r:brig_test_container_t:* ]]
        is_pair "$(level_of "$output")"
        [ "$(plabel "$N-$i")" = "$output" ]
        [ "$(mlabel "$N-$i")" = "$FILE_T:$(level_of "$output")" ]
        levels+=("$(level_of "$output")")
    done
    [ "${levels[0]}" != "${levels[1]}" ]
    brig rm -f "$N-1" "$N-2"
    assert_engine_clean
}

@test "a label type the policy lacks (seed 002's container_logger_t, not installed here) is refused in one line, leaving nothing" {
    local opt before
    before=$(labels_of /var/log)
    # Seed 002's final command, as typed (its -n is today's --name).
    for opt in label:type:container_logger_t label=type:brig_no_such_t; do
        try brig run -d -v /var/log:/var/log --security-opt "$opt" --name logger "$IMG" sleep 1000
        one_line_error
        [[ "$stderr" == *"${opt#label?type:}"* ]]
        assert_engine_clean
    done
    [ "$(labels_of /var/log)" = "$before" ]
}

@test "label=level:s0:c1,c2 gives exactly that level; a second container asking for it is refused (in use)" {
    local id
    run_d "$N-a" --security-opt label=level:s0:c1,c2 "$IMG" sh -c "$LABEL_SH; exec sleep 1000"
    ctr_check "$N-a"
    [ "$LABEL" = "$PROC_T:s0:c1,c2" ]
    id=$(id_of "$N-a")
    try brig run -d --name "$N-b" --security-opt label:level:s0:c1,c2 "$IMG" sleep 1000
    one_line_error
    [[ "$stderr" == *s0:c1,c2* ]]
    [[ "$stderr" == *"in use"* ]]
    # Nothing of the refused one; the first keeps running with its level.
    [ "$(brig ps -aq --no-trunc)" = "$id" ]
    [ "$(mcs_reservations)" = "c1,c2=$id" ]
    [ "$(ins "$N-a" .State.Status)" = running ]
    brig rm -f "$N-a"
    assert_engine_clean
}

# --- brig killed ---------------------------------------------------------------------

@test "kill -9 of an attached brig run: the container lives on, ps and inspect tell the truth, rm -f frees its pair" {
    local bpid id
    "$BRIG" run --name "$N" "$IMG" sh -c "$LABEL_SH; exec sleep 1000" </dev/null >/dev/null 2>&1 3>&- &
    bpid=$!
    # (Polling the store's files: a brig inspect per try is slow under TCG.)
    wait_for 400 eval 'compgen -G "$STORE/containers/*/bundle/rootfs/label" >/dev/null' ||
        { kill -9 "$bpid"; false; }
    kill -9 "$bpid"
    wait "$bpid" || true
    try brig ps --format json
    [ "$status" = 0 ]
    [ "$(jq -r --arg n "/$N" '.[] | select(.Names[0] == $n) | .State' <<<"$output")" = running ]
    ctr_check "$N"
    id=$(id_of "$N")
    brig rm -f "$N"
    [ -z "$(mcs_owned_by "$id")" ]
    assert_engine_clean
}

@test "kill -9 of brig run -d at points through the run: the next ps reports every container, rm -f leaves nothing" {
    local d i=0 pid
    for d in 0 0.02 0.05 0.1 0.2 0.4 0.8; do
        i=$((i + 1))
        "$BRIG" run -d --name "$N-$i" "$IMG" sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
        pid=$!
        sleep "$d"
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" || true
        # The store reads after every kill: each container brig made is
        # listed (whatever its state), and can be inspected.
        try brig ps -a --format json
        [ "$status" = 0 ]
        echo "killed after ${d}s: $(jq -c '[.[] | {n: .Names[0], s: .State}]' <<<"$output")"
    done
    local listed on_disk
    listed=$(brig ps -aq --no-trunc | sort)
    on_disk=$(ls "$STORE/containers" | sort)
    echo "listed: [$listed]; in the store: [$on_disk]"
    for d in $(comm -13 <(echo "$listed") <(echo "$on_disk")); do
        echo "not listed: $d: $(ls -A "$STORE/containers/$d" | tr '\n' ' ')"
    done
    ls -l "$STORE/names"
    [ "$listed" = "$on_disk" ]
    # shellcheck disable=SC2086
    [ -z "$listed" ] || brig rm -f $listed
    assert_engine_clean
    # Every name is free again.
    run_d "$N-1" "$IMG" sleep 1000
    brig rm -f "$N-1"
    assert_engine_clean
}
