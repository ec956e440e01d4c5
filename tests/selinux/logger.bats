#!/usr/bin/env bats
# shellcheck disable=SC2016,SC2034,SC2154 # sh -c strings are single-quoted; bats sets output
# Seed 002's logger, end to end under enforcing SELinux (the tests/vm
# guest): a busybox "logger" container that appends to /var/log/test.log
# and rotates it, with the host's /var/log bound in as it is (no :z/:Z,
# which would lock logrotate and the host's log readers out; no
# label=disable).
#   1. under the default type it is denied (var_log_t);
#   2. under --security-opt label=check it runs, its denials are logged
#      with permissive=1 and `brig selinux denials` lists them with reasons;
#   3. `brig policy generate --install` gives it a type under which it works
#      in enforcing mode...
#   4. ...and still cannot read /etc/shadow, another container's files, or
#      write outside /var/log;
#   5. nothing on the host was relabelled;
#   6. the bad inputs of `brig policy generate` and check mode.
# Each step is one test; later ones use the module an earlier one
# installed (module brig_lc, type brig_lc_t).  Timing lines ("# bench:")
# go to the TAP stream (TCG in the guest: slow, see the numbers' caveat
# in docs/selinux-check-and-policy.md).
#
# Run in the guest:  BUILD=build tests/vm/guest-tests.sh --no-smoke selinux/logger.bats

load ../integration/helpers
load svirt-helpers
load engine-helpers

# ROOT/@seccomp is brig-runtime's cache of compiled seccomp programs
# (kept on purpose), not a leak: until engine-helpers' leak check knows it,
# leave it out here.
eval "helpers_$(declare -f engine_leaks)"
engine_leaks() { helpers_engine_leaks | grep -v ' /.*/run/@seccomp$' || true; }

# Loading a policy module rebuilds the whole policy: 45-60 s in the TCG
# guest.  brig's calls here may take that long; a hung one still fails.
export BRIG_TEST_TIMEOUT=300

LOGGER=logger
TYPE=brig_lc_t
RUN_LOGGER='/bin/logger-run'

setup_file() {
    # The engine as users meet it: its default store and run root, brig's
    # shipped policy; STORE and RUNROOT only tell the checks where to look.
    unset BRIG_STORAGE_ROOT BRIG_RUN_ROOT
    export STORE=/var/lib/brig RUNROOT=/run/brig
    export BRIG_CONFIG=
    [ -e /sys/fs/selinux/enforce ] && [ -x "$BRIG" ] || return 0
    # The rootfs is an overlay mounted with context= (a module in Debian's
    # kernel: nothing loads it in the guest).
    modprobe overlay 2>/dev/null || true
    # The logger image: static busybox, and a command that does what a log
    # shipper and logrotate do: append, rename, create anew.
    local r=$BATS_FILE_TMPDIR/rootfs a
    mkdir -p "$r"/{bin,etc,proc,sys,dev,tmp,var/log}
    cp /bin/busybox "$r/bin/busybox"
    for a in sh cat echo mv rm ls touch date tr sleep id mkdir head; do
        ln -s busybox "$r/bin/$a"
    done
    echo 'root:x:0:0:root:/:/bin/sh' >"$r/etc/passwd"
    echo 'root:x:0:' >"$r/etc/group"
    cat >"$r/bin/logger-run" <<'EOF'
#!/bin/sh
set -e
echo "$(date) a line from $(tr -d '\000' </proc/self/attr/current)" >>/var/log/test.log
mv /var/log/test.log /var/log/test.log.1
echo "a new log" >/var/log/test.log
echo logger-done
EOF
    chmod 755 "$r/bin/logger-run"
    tar -C "$r" --numeric-owner -cf "$BATS_FILE_TMPDIR/logger.tar" .
    brig import "$BATS_FILE_TMPDIR/logger.tar" "$LOGGER" >&2
    rm -rf "$r"
    # /var/log as the host has it, before any test (step 5 compares).
    labels_of /var/log | grep -v '/var/log/test\.log' >"$BATS_FILE_TMPDIR/varlog.before"
    rm -f /var/log/test.log /var/log/test.log.1
}

bench() { echo "# bench: $*" >&3; }
now() { date +%s.%N; }
secs() { echo "$1 $2" | awk '{ printf "%.1f", $2 - $1 }'; }

@test "logger: under the default type, /var/log (var_log_t) is denied" {
    kmark
    run brig run --name "$N" -v /var/log:/var/log "$LOGGER" $RUN_LOGGER
    echo "$output"
    [ "$status" != 0 ]
    [[ "$output" == *"Permission denied"* ]]
    [[ "$output" != *logger-done* ]]
    expect_avc "scontext=$PROC_T:s0:c" "tcontext=system_u:object_r:var_log_t:s0 " "permissive=0"
    [ ! -e /var/log/test.log.1 ]
}

@test "logger: label=check runs it, denials listed; policy generate --install; works enforcing" {
    local t0 t1 t2 t3 t4 lc=lc out dir=$BATS_FILE_TMPDIR/policy level
    mkdir -p "$dir"
    [ "$(cat /sys/fs/selinux/enforce)" = 1 ]
    kmark
    t0=$(now)
    run brig run --name $lc --security-opt label=check -v /var/log:/var/log "$LOGGER" $RUN_LOGGER
    t1=$(now)
    echo "$output"
    [ "$status" = 0 ]
    [[ "$output" == *logger-done* ]]
    bench "check-mode run (first: loads module brig_check): $(secs "$t0" "$t1") s"
    # It ran under the permissive check type at its own pair, and the
    # record says so.
    level=$(level_of "$(plabel $lc)")
    is_pair "$level"
    [ "$(plabel $lc)" = "system_u:system_r:brig_check_t:$level" ]
    [ "$(ins $lc '.SELinuxCheck.Levels[0]')" = "$level" ]
    [ "$(ins $lc '.SELinuxCheck.Type')" = brig_check_t ]
    # The host stays enforcing; the denials were only logged.
    [ "$(cat /sys/fs/selinux/enforce)" = 1 ]
    expect_avc "scontext=system_u:system_r:brig_check_t:$level " "var_log_t" "permissive=1"
    [ -f /var/log/test.log.1 ] && [ -f /var/log/test.log ]
    # brig selinux denials: grouped, each with its reason.
    run brig selinux denials --format json $lc
    echo "$output"
    [ "$status" = 0 ]
    out=$output
    [ "$(jq -r '.CheckMode' <<<"$out")" = true ]
    jq -e '[.Denials[] | select(.TargetType == "var_log_t" and .Reason == "te")] | length > 0' <<<"$out"
    run brig selinux denials $lc
    echo "$output"
    [[ "$output" == *var_log_t*"type enforcement"* ]]

    # generate + install, timed.
    t2=$(now)
    run brig policy generate $lc --install -o "$dir"
    t3=$(now)
    echo "$output"
    [ "$status" = 0 ]
    [ -f "$dir/brig_lc.cil" ]
    cat "$dir/brig_lc.cil"
    [[ "$output" == *"Wrote $dir/brig_lc.cil"* ]]
    [[ "$output" == *"Installed policy module brig_lc"* ]]
    [[ "$output" == *"brig run --security-opt label=type:$TYPE -v /var/log:/var/log $LOGGER $RUN_LOGGER"* ]]
    bench "policy generate --install: $(secs "$t2" "$t3") s ($(grep -o '[0-9]* allow rules' <<<"$output"))"
    grep -q "^(allow $TYPE var_log_t (file (create" "$dir/brig_lc.cil"
    grep -q "^(typeattributeset mcs_constrained_type ($TYPE))" "$dir/brig_lc.cil"
    ! grep -q typepermissive "$dir/brig_lc.cil"
    semodule -l | grep -qx brig_lc
    context_valid "system_u:system_r:$TYPE:s0"

    # What the check run left on the host stays at s0 (not its pair), so
    # the confined run, at another pair, can append to it.
    [ "$(stat -c %C /var/log/test.log)" = system_u:object_r:var_log_t:s0 ]
    [ "$(stat -c %C /var/log/test.log.1)" = system_u:object_r:var_log_t:s0 ]
    grep -q "^(rangetransition $TYPE var_log_t file ((s0) (s0)))" "$dir/brig_lc.cil"

    # The printed line, run as printed, in enforcing mode.
    kmark
    run brig run --name "$N" --security-opt label=type:$TYPE -v /var/log:/var/log "$LOGGER" $RUN_LOGGER
    t4=$(now)
    echo "$output"
    [ "$status" = 0 ]
    [[ "$output" == *logger-done* ]]
    [ "$(cat /var/log/test.log)" = "a new log" ]
    # it appended to the check run's log, then rotated it
    [ "$(head -n1 /var/log/test.log.1)" = "a new log" ]
    grep -q ":$TYPE:s0:c" /var/log/test.log.1
    [ "$(stat -c %C /var/log/test.log)" = system_u:object_r:var_log_t:s0 ]
    [ "$(cat /sys/fs/selinux/enforce)" = 1 ]
    bench "confined run under $TYPE: $(secs "$t3" "$t4") s"
    bench "check run -> generate+install -> confined run: $(secs "$t0" "$t4") s (TCG)"
    if [ -n "${BRIG_VM_RESULTS:-}" ]; then
        cp "$dir/brig_lc.cil" "$BRIG_VM_RESULTS/"
    fi
}

@test "logger: $TYPE still cannot read /etc/shadow, another container's files, or write outside /var/log" {
    semodule -l | grep -qx brig_lc || { echo "brig_lc is not installed (previous test)"; return 1; }
    local other=o$BATS_SUITE_TEST_NUMBER mo lo hostdir=/etc/brig-logger-test
    mkdir -p $hostdir
    # Another container (default type, its own pair) with a file of its own.
    run_d "$other" "$LOGGER" sh -c 'echo secret >/secret; exec sleep 600'
    wait_in "$other" /secret
    mo=$(merged_of "$other")
    lo=$(level_of "$(plabel "$other")")
    kmark
    run brig run --name "$N" --security-opt label=type:$TYPE -v /var/log:/var/log \
        -v /etc/shadow:/shadow:ro -v "$mo:/other:ro" -v $hostdir:/etcdir "$LOGGER" sh -c "$ATTEMPT_SH"'
        attempt shadow head -c1 /shadow
        attempt other cat /other/secret
        attempt etcw touch /etcdir/x
        attempt varlog sh -c "echo hi >>/var/log/test.log && echo ok"
        attempt own sh -c "echo mine >/tmp/mine && cat /tmp/mine"'
    echo "$output"
    denied shadow
    denied other
    denied etcw
    allowed varlog ok
    allowed own mine
    expect_avc "scontext=system_u:system_r:$TYPE:s0:c" "tcontext=system_u:object_r:shadow_t:s0 "
    expect_avc "scontext=system_u:system_r:$TYPE:s0:c" "tcontext=$FILE_T:$lo "
    expect_avc "scontext=system_u:system_r:$TYPE:s0:c" "tcontext=system_u:object_r:etc_t:s0 "
    [ ! -e $hostdir/x ]
    rmdir $hostdir
}

@test "logger: nothing was relabelled; the host still reads /var/log" {
    local after=$BATS_TEST_TMPDIR/varlog.after
    labels_of /var/log | grep -v '/var/log/test\.log' >"$after"
    diff "$BATS_FILE_TMPDIR/varlog.before" "$after"
    [ "$(stat -c %C /var/log)" = system_u:object_r:var_log_t:s0 ]
    [ "$(stat -c %C /var/log/test.log)" = system_u:object_r:var_log_t:s0 ]
    [ "$(stat -c %C /var/log/test.log.1)" = system_u:object_r:var_log_t:s0 ]
    # A confined host log reader (logrotate's domain) reads and rotates.
    run runcon system_u:system_r:logrotate_t:s0 sh -c 'cat /var/log/test.log.1 >/dev/null && echo read'
    echo "$output"
    if [ "$status" = 0 ]; then
        [ "$output" = read ]
    else
        # the guest's kernel_t may not enter logrotate_t: the label is the proof
        cat /var/log/test.log.1 >/dev/null
    fi
}

@test "policy generate: bad inputs" {
    local dir=$BATS_TEST_TMPDIR/p before after
    mkdir -p "$dir"
    run brig policy generate nosuch -o "$dir"
    echo "$output"
    [ "$status" = 1 ]
    [[ "$output" == "brig: "*nosuch*"no such container"* ]]
    [ -z "$(ls "$dir")" ]

    # Never ran in check mode: the module covers its mounts; it says so.
    brig create --name "$N" -v /var/log:/var/log:ro "$LOGGER" $RUN_LOGGER >/dev/null
    run brig policy generate "$N" -o "$dir" --name brig_never
    echo "$output"
    [ "$status" = 0 ]
    [[ "$output" == *"never ran with --security-opt label=check"* ]]
    grep -q "^(allow brig_never_t var_log_t (file (getattr open read lock ioctl map)))" "$dir/brig_never.cil"
    ! grep -q "var_log_t (file (create" "$dir/brig_never.cil"
    grep -q "never ran with --security-opt label=check" "$dir/brig_never.cil"

    # Name clashes: an installed module, a type the policy has.
    run brig policy generate "$N" -o "$dir" --name brig_lc
    echo "$output"
    [ "$status" = 1 ]
    [[ "$output" == *"module named \`brig_lc\` is already installed"* ]]
    run brig policy generate "$N" -o "$dir" --name brig_container --install
    echo "$output"
    [ "$status" = 1 ]
    [[ "$output" == *"type \`brig_container_t\` is already defined"* ]]
    run brig policy generate "$N" -o "$dir" --name 'bad-name'
    [ "$status" = 1 ]
    [[ "$output" == *"not a policy identifier"* ]]
    [ ! -e "$dir/brig_lc.cil" ] && [ ! -e "$dir/brig_container.cil" ]

    # libsemanage fails (a read-only store): its message, the store as it was.
    before=$(semodule -l)
    mount --bind /var/lib/selinux /var/lib/selinux
    mount -o remount,bind,ro /var/lib/selinux
    TEARDOWN_EXTRA='umount /var/lib/selinux 2>/dev/null || true'
    run brig policy generate "$N" -o "$dir" --name brig_rostore --install
    umount /var/lib/selinux
    echo "$output"
    [ "$status" = 1 ]
    [[ "$output" == "brig: "* ]]
    [[ "$output" == *"install policy module \`brig_rostore\`"* ]]
    after=$(semodule -l)
    [ "$before" = "$after" ]
    ! context_valid "system_u:system_r:brig_rostore_t:s0"

    # label=check does not mix with a type or label=disable.
    run brig run --name "c$N" --security-opt label=check --security-opt label=type:$TYPE "$LOGGER" true
    echo "$output"
    [ "$status" = 125 ]
    [[ "$output" == *"label=check: cannot be combined"* ]]
}
