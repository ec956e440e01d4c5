#!/usr/bin/env bats
# The engine's per-container monitor (src/engine/monitor.h), driven through
# tests/helpers/monitor_tool on busybox bundles from scripts/mkbundle.sh:
# detached and attached starts, the starter killed with SIGKILL, logs,
# exit.json, signals, stdin, a terminal, OOM, and a bad process leaving
# nothing behind.
#
#   BRIG_MONITOR_TOOL=build/tests/helpers/monitor_tool bats tests/engine/monitor.bats
# (or BRIG=build/src/engine/brig: the tool is taken from the same build)

bats_require_minimum_version 1.5.0

BRIG_TOP=${BRIG_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
MKBUNDLE=$BRIG_TOP/scripts/mkbundle.sh
# The tool of the same build as the brig under test (run-all.sh sets BRIG).
if [ -n "${BRIG:-}" ]; then
    TOOL=${BRIG_MONITOR_TOOL:-$(dirname "$BRIG")/../../tests/helpers/monitor_tool}
else
    TOOL=${BRIG_MONITOR_TOOL:-$BRIG_TOP/build/tests/helpers/monitor_tool}
fi

if [ ! -x "$TOOL" ]; then
    echo "BRIG_MONITOR_TOOL must name the monitor_tool binary (got \`$TOOL\`)" >&2
    exit 1
fi

template_rootfs() {
    TEMPLATE=$BATS_RUN_TMPDIR/template/rootfs
    [ -x "$TEMPLATE/bin/busybox" ] && return 0
    (
        flock 9
        if [ ! -x "$TEMPLATE/bin/busybox" ]; then
            rm -rf "$BATS_RUN_TMPDIR/template"
            "$MKBUNDLE" --rootfs-only "$BATS_RUN_TMPDIR/template" >&2
        fi
    ) 9>"$BATS_RUN_TMPDIR/template.lock"
}

setup() {
    template_rootfs
    ROOT=$BATS_TEST_TMPDIR/run
    BUNDLE=$BATS_TEST_TMPDIR/bundle
    CTR=$BATS_TEST_TMPDIR/ctr
    ID=mt$$-${BATS_SUITE_TEST_NUMBER}-$RANDOM
    mkdir -p "$ROOT" "$CTR"
    "$MKBUNDLE" --shared-rootfs "$TEMPLATE" "$BUNDLE"
}

teardown() {
    local pid
    pid=$("$TOOL" pid "$CTR" 2>/dev/null || echo 0)
    [ "$pid" = 0 ] || kill -9 "$pid" 2>/dev/null || true
    if [ -n "${BRIG_RUNTIME:-}" ] && [ -d "$ROOT/$ID" ]; then
        "$BRIG_RUNTIME" --root "$ROOT" delete -f "$ID" 2>/dev/null || true
    fi
    leaks=$(no_leaks 2>&1) || true
    [ -z "$leaks" ] || {
        echo "$leaks"
        return 1
    }
}

# no_leaks: nothing of the container left: no state, no cgroup, no monitor.
no_leaks() {
    local e bad=0
    for e in "$ROOT"/*; do
        [ -e "$e" ] || continue
        case "$(basename "$e")" in @mcs) compgen -G "$e/c*" >/dev/null || continue ;; esac
        echo "state entry left: $e"
        bad=1
    done
    if find /sys/fs/cgroup -maxdepth 8 -type d -name "$ID*" 2>/dev/null | grep .; then
        echo "cgroup left"
        bad=1
    fi
    [ "$("$TOOL" pid "$CTR")" = 0 ] || {
        echo "monitor still running"
        bad=1
    }
    return $bad
}

cfg() {
    local filter=$1
    shift
    jq "$@" "$filter" "$BUNDLE/config.json" >"$BUNDLE/config.json.new" &&
        mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

cmd() {
    cfg '.process.args = ["sh", "-c", $s]' --arg s "$1"
}

# mon ARGS...: monitor_tool start with this test's root, id, bundle, dir.
mon() {
    timeout -k 5 60 "$TOOL" start "$@" "$ROOT" "$ID" "$BUNDLE" "$CTR" 3>&-
}

# mon_bg OUT ARGS...: the tool itself in the background ($! is its pid, so
# a signal reaches the starter and not a wrapper shell).
mon_bg() {
    local out=$1
    shift
    "$TOOL" start "$@" "$ROOT" "$ID" "$BUNDLE" "$CTR" 3>&- </dev/null >"$out" 2>&1 &
}

# gone: no process of this test's container tool is left (starter, monitor).
gone() { ! pgrep -f -- " $ID " >/dev/null; }

wait_for() {
    local n=$1
    shift
    while [ "$n" -gt 0 ]; do
        "$@" && return 0
        sleep 0.05
        n=$((n - 1))
    done
    "$@"
}

done_() { "$TOOL" wait "$CTR" 20000; }

exit_code() { "$TOOL" exit "$CTR" | cut -d' ' -f1; }

log_has() { grep -qs "$1" "$CTR/ctr.log"; }

@test "attached: output reaches the caller and the log, exit code and exit.json recorded, cleanup ran" {
    cmd 'echo hello; echo oops >&2; exit 3'
    status=0
    mon </dev/null >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" || status=$?
    [ "$status" -eq 3 ]
    [ "$(cat "$BATS_TEST_TMPDIR/out")" = hello ]
    [ "$(cat "$BATS_TEST_TMPDIR/err")" = oops ]
    grep -qE '^\{"log":"hello\\n","stream":"stdout","time":"[0-9-]{10}T[0-9:]{8}\.[0-9]{9}Z"\}$' "$CTR/ctr.log"
    grep -qE '^\{"log":"oops\\n","stream":"stderr","time":"' "$CTR/ctr.log"
    jq -e '.ExitCode == 3 and .OOMKilled == false and
           (.FinishedAt | test("^[0-9-]{10}T[0-9:]{8}\\.[0-9]{9}Z$"))' "$CTR/exit.json"
    [ "$(cat "$CTR/cleanup.code")" = 3 ]
    [ ! -e "$CTR/monitor.pid" ]
    no_leaks
}

@test "detached: returns at once, the monitor is no child of the caller, output is logged" {
    cmd 'echo started; sleep 0.5; echo later; exit 4'
    mon -d </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1
    [ ! -s "$BATS_TEST_TMPDIR/out" ]
    pid=$("$TOOL" pid "$CTR")
    [ "$pid" != 0 ]
    # Double fork: a session of its own, not its leader (so it can never
    # get a controlling terminal), named for ps.
    [ "$(awk '{print $6}' "/proc/$pid/stat")" != "$(awk '{print $6}' /proc/self/stat)" ]
    [ "$(awk '{print $6}' "/proc/$pid/stat")" != "$pid" ]
    [ "$(cat "/proc/$pid/comm")" = brig-monitor ]
    run "$TOOL" wait "$CTR" 50
    [ "$status" -eq 1 ] # still running: timeout
    done_
    [ "$(exit_code)" = 4 ]
    log_has '"log":"started\\n"'
    log_has '"log":"later\\n"'
    [ "$("$TOOL" pid "$CTR")" = 0 ]
    no_leaks
}

@test "the starter killed with SIGKILL mid-run: the container and its logging go on" {
    cmd 'i=0; while [ $i -lt 10 ]; do echo tick $i; i=$((i+1)); sleep 0.1; done; exit 6'
    mon_bg "$BATS_TEST_TMPDIR/out"
    starter=$!
    wait_for 100 log_has '"tick 1\\n"'
    kill -9 "$starter"
    wait "$starter" || true
    [ "$("$TOOL" pid "$CTR")" != 0 ]
    done_
    [ "$(exit_code)" = 6 ]
    log_has '"tick 9\\n"'
    [ "$(cat "$CTR/cleanup.code")" = 6 ]
    no_leaks
}

@test "the starter killed with SIGKILL during start: the container still runs to its end" {
    cmd 'echo up; exit 9'
    # Kill the starter as soon as it exists, many times: whatever the point
    # reached, either nothing started or the container ran to exit.json.
    for i in 1 2 3 4 5; do
        rm -rf "$CTR" && mkdir -p "$CTR"
        mon_bg /dev/null
        starter=$!
        sleep 0.00$i
        kill -9 "$starter" 2>/dev/null || true
        wait "$starter" || true
        wait_for 200 gone
        if [ -e "$CTR/exit.json" ]; then
            [ "$(exit_code)" = 9 ]
            log_has '"up\\n"'
        fi
        no_leaks
    done
}

@test "exit by SIGKILL is recorded as 137" {
    cmd 'echo $$ >/dev/null; sleep 100'
    mon -d </dev/null >/dev/null 2>&1
    # The container's init: the monitor's only child.
    mpid=$("$TOOL" pid "$CTR")
    init=$(cat "/proc/$mpid/task/$mpid/children" | awk '{print $1}')
    [ -n "$init" ]
    kill -9 "$init"
    done_
    [ "$(exit_code)" = 137 ]
    jq -e '.OOMKilled == false' "$CTR/exit.json"
    no_leaks
}

@test "attached: SIGTERM to the caller is proxied to the container" {
    cmd 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.05; done'
    mon_bg "$BATS_TEST_TMPDIR/out"
    starter=$!
    wait_for 100 log_has '"ready\\n"'
    kill -TERM "$starter"
    status=0
    wait "$starter" || status=$?
    [ "$status" -eq 42 ]
    grep -q got-term "$BATS_TEST_TMPDIR/out"
    no_leaks
}

@test "stdin is forwarded with -i, and its EOF closes the container's stdin" {
    cmd 'cat; echo eof-seen'
    status=0
    printf 'line1\nline2\n' | mon -i >"$BATS_TEST_TMPDIR/out" 2>&1 || status=$?
    [ "$status" -eq 0 ]
    [ "$(cat "$BATS_TEST_TMPDIR/out")" = "$(printf 'line1\nline2\neof-seen')" ]
    log_has '"line2\\n"'
    no_leaks
}

@test "without -i the container's stdin is /dev/null" {
    cmd 'cat; echo after-cat'
    status=0
    echo "not for you" | mon >"$BATS_TEST_TMPDIR/out" 2>&1 || status=$?
    [ "$status" -eq 0 ]
    [ "$(cat "$BATS_TEST_TMPDIR/out")" = after-cat ]
}

@test "the caller's stdout closed early (EPIPE): logging goes on to the end" {
    cmd 'i=0; while [ $i -lt 2000 ]; do echo line $i; i=$((i+1)); done; exit 5'
    status=0
    mon </dev/null 2>/dev/null | head -1 >"$BATS_TEST_TMPDIR/out" || true
    done_
    [ "$(cat "$BATS_TEST_TMPDIR/out")" = "line 0" ]
    [ "$(exit_code)" = 5 ]
    log_has '"line 1999\\n"'
    no_leaks
}

@test "tty: the container gets a terminal with the caller's size; input and exit code pass" {
    cfg '.process.terminal = true'
    cmd 'tty; stty size; read x; echo got-$x; exit 5'
    out=$( (sleep 0.5; echo hi) | script -qec "stty rows 33 cols 99; timeout --foreground 20 $TOOL start -t -i $ROOT $ID $BUNDLE $CTR; echo rc=\$?" /dev/null)
    echo "$out"
    echo "$out" | grep -q '^/dev/pts/'
    echo "$out" | grep -q '^33 99'
    echo "$out" | grep -q 'got-hi'
    echo "$out" | grep -q 'rc=5'
    log_has '"log":"got-hi\\r\\n","stream":"stdout"'
    no_leaks
}

@test "tty detached: output is logged from the pty" {
    cfg '.process.terminal = true'
    cmd 'echo on-a-tty; tty'
    mon -d -t </dev/null >/dev/null 2>&1
    done_
    [ "$(exit_code)" = 0 ]
    log_has '"on-a-tty\\r\\n"'
    log_has '"/dev/pts/0\\r\\n"'
    no_leaks
}

@test "logs: rotation keeps the files small and tail/follow read across them" {
    cmd 'i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done; sleep 0.3; echo final'
    mon -d --max-size 4096 --max-files 3 </dev/null >/dev/null 2>&1
    run "$TOOL" logs -f "$CTR"
    [ "$status" -eq 0 ]
    [ "${lines[-1]}" = final ]
    done_
    [ -e "$CTR/ctr.log.1" ]
    [ -e "$CTR/ctr.log.2" ]
    [ ! -e "$CTR/ctr.log.3" ]
    for f in "$CTR"/ctr.log*; do [ "$(stat -c %s "$f")" -le 4096 ]; done
    run "$TOOL" logs --tail 3 "$CTR"
    [ "$output" = "$(printf 'line-298\nline-299\nfinal')" ]
    run "$TOOL" logs -t --tail 1 "$CTR"
    [[ "$output" =~ ^[0-9-]{10}T[0-9:]{8}\.[0-9]{9}Z\ final$ ]]
}

@test "OOM kill is recorded in exit.json" {
    cfg '.linux.resources.memory = {limit: 16777216, swap: 16777216}'
    cmd 'a=$(head -c 100000000 /dev/zero | tr "\0" a); echo ${#a}'
    status=0
    mon </dev/null >/dev/null 2>&1 || status=$?
    [ "$status" -eq 137 ]
    jq -e '.ExitCode == 137 and .OOMKilled == true' "$CTR/exit.json"
    no_leaks
}

@test "a bad process reports the library's error and leaves nothing behind" {
    cfg '.process.args = ["/bin/nosuch"]'
    run -125 --separate-stderr mon -d
    [ "$stderr" = "monitor_tool: create container \`$ID\`: exec \`/bin/nosuch\`: No such file or directory" ]
    [ ! -e "$CTR/exit.json" ]
    [ ! -e "$CTR/cleanup.code" ]
    no_leaks
    # Attached, the same.
    run -125 --separate-stderr mon
    [[ "$stderr" == *"exec \`/bin/nosuch\`"* ]]
    no_leaks
}

@test "a missing bundle or container directory is a one-line error" {
    run -125 --separate-stderr "$TOOL" start "$ROOT" "$ID" "$BATS_TEST_TMPDIR/nobundle" "$CTR"
    [[ "$stderr" == *"bundle \`$BATS_TEST_TMPDIR/nobundle\`: No such file or directory" ]]
    run -125 --separate-stderr "$TOOL" start "$ROOT" "$ID" "$BUNDLE" "$BATS_TEST_TMPDIR/noctr"
    [[ "$stderr" == *"\`$BATS_TEST_TMPDIR/noctr\`: No such file or directory" ]]
    [ "${#stderr_lines[@]}" -eq 1 ]
    no_leaks
}

@test "monitor.pid names a live monitor only: a recycled pid is not believed" {
    echo "$$ 1" >"$CTR/monitor.pid" # our pid, wrong start time
    [ "$("$TOOL" pid "$CTR")" = 0 ]
    "$TOOL" wait "$CTR" 10
    echo "999999999 1" >"$CTR/monitor.pid"
    [ "$("$TOOL" pid "$CTR")" = 0 ]
    rm "$CTR/monitor.pid"
    run "$TOOL" exit "$CTR"
    [ "$status" -eq 1 ] # no record yet
    echo garbage >"$CTR/exit.json"
    run -125 --separate-stderr "$TOOL" exit "$CTR"
    [[ "$stderr" == *"not an exit record"* ]]
    "$TOOL" clear "$CTR"
    [ ! -e "$CTR/exit.json" ]
}

@test "the container inherits no ignored signal from the caller or the monitor" {
    # A child of sh (busybox's sh as pid 1 ignores SIGINT itself, and would
    # exec a last command in its own place).
    cmd 'grep SigIgn /proc/self/status; true'
    status=0
    (trap '' HUP PIPE INT; mon </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1) || status=$?
    [ "$status" -eq 0 ]
    cat "$BATS_TEST_TMPDIR/out"
    grep -q "^SigIgn:[[:space:]]*0000000000000000$" "$BATS_TEST_TMPDIR/out"
}

@test "tty: a SIGWINCH to the attached caller resizes the container's terminal" {
    cfg '.process.terminal = true'
    cmd 'stty size; sleep 1.5; stty size'
    # Inside script's terminal: start attached in the background (same
    # process group: no job control in `sh -c`), resize, tell it.
    out=$(script -qec "stty rows 20 cols 70; $TOOL start -t $ROOT $ID $BUNDLE $CTR & p=\$!; sleep 0.7; stty rows 44 cols 132; kill -WINCH \$p; wait \$p; echo rc=\$?" /dev/null </dev/null)
    echo "$out"
    echo "$out" | grep -q '^20 70'
    echo "$out" | grep -q '^44 132'
    echo "$out" | grep -q 'rc=0'
}
