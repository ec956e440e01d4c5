#!/usr/bin/env bats
# brig selinux status / denials / explain (issue 5, docs/selinux-tools.md),
# in the enforcing guest (tests/vm) with Debian's policy and brig's module.
#
# One container, `prober`, makes three real denials the kernel logs, one of
# each kind brig tells apart:
#   - type enforcement: it reads a var_log_t file (/var/log/brig-tools/test.log);
#   - MCS: it reads a brig_container_file_t file at another container's
#     pair (s0:c1022,c1023), which the type rules allow;
#   - a boolean: it reads a var_lib_t file, which a boolean of the test
#     module brig_tools_test (loaded here) allows when on.  Debian's policy
#     has no boolean a brig_container_t access hits: its only conditional
#     rules for `domain` (global_ssp: device_t, urandom) are also granted
#     unconditionally or by brig.cil, and allow_ptrace's is about sysadm_t.
#     Debian's own booleans are checked with an httpd_t record
#     (httpd_can_network_connect_db) through explain.
# explain must give those reasons for its kernel log lines, denials must
# list them for the container, and bad input must be refused in one line.
# Loading the test module costs about 45 s in the guest (TCG).
#
# Needs BRIG (the engine; guest-suite.sh sets it) and the busybox rootfs
# mkbundle.sh makes.  On a host without SELinux only the "disabled" test
# runs; the others are skipped with the reason (the guest fails instead).

bats_require_minimum_version 1.5.0

BRIG_TOP=${BRIG_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
BRIG=${BRIG:-$BRIG_TOP/build/src/engine/brig}
MKBUNDLE=${MKBUNDLE:-$BRIG_TOP/scripts/mkbundle.sh}
OTHER_LEVEL=s0:c1022,c1023

brig() {
    timeout -k 5 120 "$BRIG" "$@" 3>&-
}

selinux_on() {
    [ -e /sys/fs/selinux/enforce ]
}

# need_enforcing: the guest exists to run these; elsewhere skip.
need_enforcing() {
    local why=
    if ! selinux_on; then
        why="SELinux is not enabled"
    elif [ "$(cat /sys/fs/selinux/enforce)" != 1 ]; then
        why="SELinux is not enforcing"
    fi
    if [ -n "$why" ]; then
        [ -z "${BRIG_VM:-}" ] || { echo "$why in the test guest" >&2; return 1; }
        skip "$why on this host (tools.bats runs in the tests/vm guest)"
    fi
}

setup_file() {
    [ -x "$BRIG" ] || { echo "BRIG must name the brig binary (got \`$BRIG\`)" >&2; return 1; }
    TT=$(mktemp -d /tmp/brig-tools.XXXXXX)
    chmod 755 "$TT"
    # The engine's default store and run root, as users meet them.
    unset BRIG_STORAGE_ROOT BRIG_RUN_ROOT
    export TT STORE=/var/lib/brig RUNROOT=/run/brig BRIG_CONFIG=""
    selinux_on || return 0
    # The guest boots with only virtio and ext4 loaded; the engine's rootfs
    # is an overlay mounted with context= (its copy fallback keeps the
    # labels of the store's directory, which containers cannot exec).
    modprobe overlay 2>/dev/null || true
    "$MKBUNDLE" --rootfs-only "$TT/img" >&2
    tar --numeric-owner -C "$TT/img/rootfs" -cf "$TT/rootfs.tar" .
    "$BRIG" import "$TT/rootfs.tar" busybox >/dev/null 3>&-
    # The three targets.
    # Files are bind-mounted one by one, so no directory search is denied
    # before the access each target is for.
    mkdir -p /var/log/brig-tools /var/lib/brig-tools
    echo log-line >/var/log/brig-tools/test.log
    echo lib-data >/var/lib/brig-tools/data
    restorecon -R /var/log/brig-tools /var/lib/brig-tools
    echo other-secret >"$TT/secret"
    chcon -t brig_container_file_t -l "$OTHER_LEVEL" "$TT/secret"
    if ! semodule -l | grep -qx brig_tools_test; then
        printf '%s\n' '; tests/selinux/tools.bats: a boolean-guarded rule for brig_container_t' \
            '(boolean brig_tools_test false)' \
            '(booleanif brig_tools_test' \
            '    (true (allow brig_container_t var_lib_t (file (getattr open read)))))' \
            >"$TT/brig_tools_test.cil"
        semodule -i "$TT/brig_tools_test.cil"
    fi
    # The prober: one start, three attempts, then it exits.
    echo "tools-mark-$$-$RANDOM" >/dev/kmsg
    "$BRIG" run --name prober \
        -v /var/log/brig-tools/test.log:/mnt/test.log -v "$TT/secret:/mnt/secret" \
        -v /var/lib/brig-tools/data:/mnt/data \
        busybox sh -c 'cat /mnt/test.log; cat /mnt/secret; cat /mnt/data' \
        >"$TT/prober.out" 2>&1 3>&- || true
    # The avc records reach the kernel log asynchronously.
    local i
    for i in $(seq 60); do
        [ "$(dmesg | grep -c 'avc:  denied')" -ge 3 ] && break
        sleep 0.05
    done
}

teardown_file() {
    [ -n "${TT:-}" ] || return 0
    "$BRIG" rm -f prober never unlabelled >/dev/null 2>&1 3>&- || true
    rm -rf /var/log/brig-tools /var/lib/brig-tools
    # The guest's disk is a throw-away snapshot; a real host keeps nothing.
    if [ -z "${BRIG_VM:-}" ] && [ -e "$TT/brig_tools_test.cil" ]; then
        semodule -r brig_tools_test || true
    fi
    grep -F " $TT/" /proc/self/mountinfo | awk '{ print $5 }' | sort -r |
        xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$TT"
}

# prober_level: the MCS pair of prober's (last) start.
prober_level() {
    brig inspect --format '{{.ProcessLabel}}' prober | cut -d: -f4-
}

# prober_avc: the kernel's avc lines of prober's start.
prober_avc() {
    local level
    level=$(prober_level)
    [ -n "$level" ] || return 1
    dmesg | grep 'avc:  denied' | grep -F "scontext=system_u:system_r:brig_container_t:$level "
}

# one_error TEXT: the last `run --separate-stderr` failed with one
# `brig: ...TEXT...` line on stderr and nothing on stdout.
one_error() {
    echo "status $status, stdout: $output, stderr: $stderr"
    [ "$status" -ne 0 ]
    [ -z "$output" ]
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "$stderr" == "brig: "*"$1"* ]]
}

@test "status: enforcing, the policy, MCS, brig's types defined, its module, booleans, pairs" {
    need_enforcing
    run --separate-stderr brig selinux status
    echo "$output"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    [ "${lines[0]}" = "SELinux: enforcing" ]
    [[ "$output" == *" Policy: default"* ]]
    [[ "$output" == *" MLS/MCS: on"* ]]
    # Debian's lxc_contexts names container_t, which its policy lacks: the
    # types come from brig's module.
    [[ "$output" == *" Container types (from brig):"* ]]
    [[ "$output" == *"  process  brig_container_t (defined)"* ]]
    [[ "$output" == *"  file     brig_container_file_t (defined)"* ]]
    [[ "$output" == *"  ro_file  brig_container_ro_file_t (defined)"* ]]
    [[ "$output" == *" brig module: installed"* ]]
    [[ "$output" == *"  global_ssp: off"* ]]
    [[ "$output" == *" MCS pairs: "*" in use, "*" left"* ]]

    run --separate-stderr brig selinux status --format json
    [ "$status" -eq 0 ]
    [ "$(jq -r .Mode <<<"$output")" = enforcing ]
    [ "$(jq -r .Policy <<<"$output")" = default ]
    [ "$(jq -r .MLS <<<"$output")" = true ]
    [ "$(jq -r .ContainerTypes.Process.Type <<<"$output")" = brig_container_t ]
    [ "$(jq -r .ContainerTypes.Process.Defined <<<"$output")" = true ]
    [ "$(jq -r .BrigModule <<<"$output")" = true ]
    [ "$(jq -r .Booleans.global_ssp <<<"$output")" = false ]
    [ "$(jq '.MCSPairsInUse + .MCSPairsLeft' <<<"$output")" = 523776 ]
}

@test "status: a :Z volume used by two containers is a warning" {
    need_enforcing
    mkdir -p "$TT/shared"
    brig create --name z1 -v "$TT/shared:/s:Z" busybox true >/dev/null
    brig create --name z2 -v "$TT/shared:/s:Z" busybox true >/dev/null
    run --separate-stderr brig selinux status
    brig rm -f z1 z2 >/dev/null
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"WARNING: volume \`$TT/shared\` is shared with :Z by containers"*"\`z1\`"* ]]
}

@test "the prober was denied all three accesses" {
    need_enforcing
    cat "$TT/prober.out"
    [ "$(grep -c 'Permission denied' "$TT/prober.out")" -eq 3 ]
    prober_avc
    prober_avc | grep -q 'tcontext=system_u:object_r:var_log_t:s0 tclass=file'
    prober_avc | grep -q "tcontext=system_u:object_r:brig_container_file_t:$OTHER_LEVEL tclass=file"
    prober_avc | grep -q 'tcontext=system_u:object_r:var_lib_t:s0 tclass=file'
}

@test "explain: TE, MCS and boolean reasons for the prober's kernel log lines, with fixes" {
    need_enforcing
    local f=$BATS_TEST_TMPDIR/avc.txt
    prober_avc >"$f"
    run --separate-stderr brig selinux explain "$f"
    echo "$output"
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    [[ "$output" == *"type enforcement: no allow rule for brig_container_t -> var_log_t (file)"* ]]
    [[ "$output" == *"fix:     (allow brig_container_t var_log_t (file ("*"read"*")))"* ]]
    [[ "$output" == *"MCS: the target's level $OTHER_LEVEL is not one brig_container_t"* ]]
    [[ "$output" == *"fix:     MCS: the file's categories are not the container's: relabel it with :Z or use :z for shared content"* ]]
    [[ "$output" == *"a boolean is off: \`brig_tools_test=1\` would allow brig_container_t -> var_lib_t (file)"* ]]
    [[ "$output" == *"fix:     setsebool -P brig_tools_test 1"* ]]

    # the same from stdin, as JSON
    run --separate-stderr brig selinux explain --format json - <"$f"
    [ "$status" -eq 0 ]
    [ "$(jq -r '.Denials[] | select(.TargetType == "var_log_t") | .Reason' <<<"$output")" = te ]
    [ "$(jq -r '.Denials[] | select(.TargetType == "brig_container_file_t") | .Reason' <<<"$output")" = mcs ]
    [ "$(jq -r '.Denials[] | select(.TargetType == "var_lib_t") | .Reason' <<<"$output")" = boolean ]
    [ "$(jq -r '.Denials[] | select(.TargetType == "var_lib_t") | .Booleans[0]' <<<"$output")" = brig_tools_test=1 ]
}

@test "explain: a boolean of Debian's own policy (httpd_t connecting to postgresql)" {
    need_enforcing
    local line='type=AVC msg=audit(1700000000.5:8): avc:  denied  { name_connect } for  pid=900 comm="httpd" dest=5432 scontext=system_u:system_r:httpd_t:s0 tcontext=system_u:object_r:postgresql_port_t:s0 tclass=tcp_socket permissive=0'
    local f=$BATS_TEST_TMPDIR/httpd.txt
    printf '%s\n' "$line" >"$f"
    run --separate-stderr brig selinux explain --format json - <"$f"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(jq -r '.Denials[0].Reason' <<<"$output")" = boolean ]
    jq -e '.Denials[0].Booleans | index("httpd_can_network_connect_db=1")' <<<"$output"
    [[ "$(jq -r '.Denials[0].Fix' <<<"$output")" == "setsebool -P httpd_can_network_connect"* ]]
}

@test "the boolean really is the fix: on, explain says allowed and the container reads the file" {
    need_enforcing
    local f=$BATS_TEST_TMPDIR/avc.txt reason
    prober_avc | grep 'tcontext=system_u:object_r:var_lib_t:s0' >"$f"
    setsebool brig_tools_test 1
    run --separate-stderr brig selinux explain --format json "$f"
    reason=$(jq -r '.Denials[0].Reason' <<<"$output")
    run --separate-stderr brig run --name fixed -v /var/lib/brig-tools/data:/mnt/data busybox cat /mnt/data
    setsebool brig_tools_test 0
    brig rm -f fixed >/dev/null
    echo "reason $reason; $output"
    [ "$reason" = allowed ]
    [ "$status" -eq 0 ]
    [ "$output" = lib-data ]
}

@test "denials CONTAINER: the prober's denials grouped, with reasons and fixes" {
    need_enforcing
    run --separate-stderr brig selinux denials prober
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "Container prober ("*") ran as system_u:system_r:brig_container_t:s0:c"* ]]
    [[ "$output" == *"Not in check mode: brig_container_t was enforcing"* ]]
    [[ "$output" == *"Source: /dev/kmsg, "* ]]
    printf '%s\n' "$output" | grep -E '^1 +var_log_t +file +.*read.* +type enforcement +\(allow brig_container_t var_log_t \(file \('
    printf '%s\n' "$output" | grep -E '^1 +brig_container_file_t +file +read +MCS categories +MCS: '
    printf '%s\n' "$output" | grep -E '^1 +var_lib_t +file +read +boolean brig_tools_test=1 +setsebool -P brig_tools_test 1$'

    run --separate-stderr brig selinux denials --format json prober
    [ "$status" -eq 0 ]
    [ "$(jq -r .CheckMode <<<"$output")" = false ]
    [ "$(jq -r .Level <<<"$output")" = "$(prober_level)" ]
    [ "$(jq '.Denials | length' <<<"$output")" = 3 ]
    [ "$(jq -r '[.Denials[].Reason] | sort | join(",")' <<<"$output")" = boolean,mcs,te ]
}

@test "denials: another container's records are not listed" {
    need_enforcing
    brig run --name quiet busybox true >/dev/null
    run --separate-stderr brig selinux denials --format json quiet
    brig rm -f quiet >/dev/null
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(jq '.Denials | length' <<<"$output")" = 0 ]
}

@test "denials: no such container, one that never ran, one without a label" {
    need_enforcing
    run --separate-stderr brig selinux denials nosuch
    one_error "nosuch"
    [[ "$stderr" == *"no such container"* ]]

    brig create --name never busybox true >/dev/null
    run --separate-stderr brig selinux denials never
    one_error "container \`never\` never ran"

    brig run --name unlabelled --security-opt label=disable busybox true >/dev/null
    run --separate-stderr brig selinux denials unlabelled
    echo "$output"
    # label=disable runs it as brig_spc_t at s0: no pair of its own
    one_error "container \`unlabelled\`"
    [[ "$stderr" == *"cannot be told apart"* ]]

    run --separate-stderr brig selinux denials
    one_error "exactly one CONTAINER"
}

@test "explain: malformed lines are skipped and counted; only malformed is an error" {
    need_enforcing
    local f=$BATS_TEST_TMPDIR/mixed.txt
    {
        echo 'avc:  denied  { read } for scontext=system_u:system_r:brig_container_t:s0:c1,c2'
        echo 'avc:  denied  { read for pid=1'
        echo 'not an avc line at all'
        echo 'avc:  denied  { read } for pid=1 scontext=system_u:system_r:brig_container_t:s0:c1,c2 tcontext=system_u:object_r:shadow_t:s0 tclass=file permissive=0'
        head -c 3000 /dev/urandom | tr -d '\0'
        echo
    } >"$f"
    run --separate-stderr brig selinux explain "$f"
    echo "$output"
    echo "stderr: $stderr"
    [ "$status" -eq 0 ]
    [[ "$output" == *"no allow rule for brig_container_t -> shadow_t (file)"* ]]
    [[ "$stderr" =~ ^[0-9]+\ malformed\ lines?\ skipped$ ]]
    [ "${stderr%% *}" -ge 2 ]

    printf 'avc:  denied  { read\navc:  denied  {}\n' >"$f"
    run --separate-stderr brig selinux explain "$f"
    one_error "no avc records in $f (2 malformed lines skipped)"

    run --separate-stderr brig selinux explain "$TT/nonexistent"
    one_error "read \`$TT/nonexistent\`: No such file or directory"

    run --separate-stderr brig selinux explain --policy "$TT/nonexistent" "$f"
    one_error "read policy \`$TT/nonexistent\`"

    run --separate-stderr brig selinux frobnicate
    one_error "not a selinux command"
}

@test "no SELinux: status, denials and explain say so, exit non-zero, print nothing" {
    if selinux_on; then
        skip "SELinux is enabled here (this is the build host's test)"
    fi
    run --separate-stderr brig selinux status
    one_error "SELinux is disabled on this host"
    run --separate-stderr brig selinux status --format json
    one_error "SELinux is disabled on this host"
    run --separate-stderr brig selinux denials anything
    one_error "SELinux is disabled on this host"
    run --separate-stderr brig selinux explain - </dev/null
    one_error "SELinux is disabled on this host"
}
