#!/usr/bin/env bats
# CVE-2019-5736 against the engine: a container makes `brig exec`'s process
# re-execute brig inside the container (/bin/true replaced by
# `#!/proc/self/exe`), then reopens that process's /proc/PID/exe for writing
# once no process runs the binary any more: after an upgrade (the monitor
# runs the old binary) or a kill -9 of the monitor.  brig run/create/start/
# exec re-execute themselves from a read-only clone of their binary first
# (the monitor is forked from them), so the open fails with EROFS and the
# host binary stays as it was.
#
# The attack is tests/helpers/exe-attack.bash.  brig under attack is a
# private copy of $BRIG, so a successful attack never damages the build.
#
#   BRIG=$PWD/build/src/engine/brig bats tests/engine/escape-binary.bats

load engine-helpers
load ../helpers/exe-attack

setup_file() {
    engine_setup_file
}

teardown_file() {
    engine_teardown_file
}

eval "$(declare -f setup | sed '1s/^setup/helpers_setup/')"
eval "$(declare -f teardown | sed '1s/^teardown/helpers_teardown/')"

setup() {
    exe_attack_prepare "$BRIG" "$BATS_TEST_TMPDIR/shared" || return 1
    helpers_setup
    ORIG_BRIG=$BRIG
    BRIG=$BATS_TEST_TMPDIR/bin/brig
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    cp "$ORIG_BRIG" "$BRIG"
}

teardown() {
    # A successful attack leaves a shell script in the copy: clean up with
    # the build's brig.
    BRIG=${ORIG_BRIG:-$BRIG}
    helpers_teardown
}

esc_logs() { brig logs esc; }

# start_attacker: the container `esc` runs the attacker; returns once it has
# prepared its rootfs.
start_attacker() {
    ok run -d --name esc -v "$EXE_ATTACK_SHARED:/shared" busybox /shared/attacker /shared 30
    exe_attack_wait ready esc_logs
}

# exec_and_assert_safe: `brig exec esc /bin/true` re-executes brig in the
# container, which the attacker then tries to overwrite.
exec_and_assert_safe() {
    local sum_before
    sum_before=$(sha256sum <"$BRIG")
    b exec esc /bin/true
    exe_attack_assert_safe "$BRIG" "$sum_before" esc_logs
}

@test "escape: brig exec while the monitor runs: the write is refused as read-only, not busy" {
    start_attacker
    # The monitor keeps the binary busy (ETXTBSY) for as long as it runs;
    # the attacker waits that out, so only a read-only exe stops it.
    exec_and_assert_safe
}

@test "escape: brig exec after an upgrade cannot overwrite brig" {
    start_attacker
    # An upgrade replaces the file: the monitor keeps running the old inode,
    # `brig exec` runs the new one, and nothing else holds it busy.
    cp "$ORIG_BRIG" "$BRIG.new"
    mv "$BRIG.new" "$BRIG"
    exec_and_assert_safe
}

@test "escape: brig exec after kill -9 of the monitor cannot overwrite brig" {
    start_attacker
    local pid mon
    pid=$(pid_of esc)
    mon=$(awk '$1 == "PPid:" { print $2 }' "/proc/$pid/status")
    [ "$(cat "/proc/$mon/comm")" = brig-monitor ]
    # The monitor runs from the same file as `brig exec` will: once it is
    # gone, only the exec's own processes keep the binary busy.
    kill -9 "$mon"
    wait_for 600 test ! -e "/proc/$mon" || {
        echo "the monitor $mon did not die"
        return 1
    }
    exec_and_assert_safe
}
