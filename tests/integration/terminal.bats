#!/usr/bin/env bats
# process.terminal: the pty master goes to --console-socket (runc's
# protocol, which podman's conmon and containerd's shim speak), or, for an
# attached `run`, the runtime relays it on its own stdio.

load helpers

# The console-socket peer is tests/helpers/recvtty.c, built with brig.
need_recvtty() {
    RECVTTY=${BRIG_RECVTTY:-$BRIG_TOP/build/tests/helpers/recvtty}
    [ -x "$RECVTTY" ] || {
        echo "recvtty helper not found at \`$RECVTTY\` (set BRIG_RECVTTY)"
        return 1
    }
}

# start_recvtty SOCK [INPUT]: listen in the background; sets RPID.
start_recvtty() {
    "$RECVTTY" "$@" >"$BATS_TEST_TMPDIR/tty.out" 2>"$BATS_TEST_TMPDIR/tty.err" 3>&- &
    RPID=$!
    for _ in $(seq 100); do
        [ -S "$1" ] && return 0
        sleep 0.05
    done
    echo "recvtty did not start: $(cat "$BATS_TEST_TMPDIR/tty.err")"
    return 1
}

tty_output() {
    timeout 20 tail --pid="$RPID" -f /dev/null
    tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out"
}

@test "terminal: run -d --console-socket gives the container a pty as stdio" {
    need_recvtty
    cmd 'tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo "stdio is a terminal"; stty size'
    cfg '.process.terminal = true | .process.consoleSize = {height: 40, width: 132}'
    start_recvtty "$BATS_TEST_TMPDIR/tty.sock"
    runtime run -d --console-socket "$BATS_TEST_TMPDIR/tty.sock" "$ID" </dev/null
    out=$(tty_output)
    echo "$out"
    [[ "$out" == *"/dev/pts/0"* ]]
    [[ "$out" == *"stdio is a terminal"* ]]
    [[ "$out" == *"40 132"* ]]
}

@test "terminal: input written to the master reaches the container" {
    need_recvtty
    cmd 'read line; echo "got:$line"'
    cfg '.process.terminal = true'
    start_recvtty "$BATS_TEST_TMPDIR/tty.sock" $'hello\n'
    runtime run -d --console-socket "$BATS_TEST_TMPDIR/tty.sock" "$ID" </dev/null
    out=$(tty_output)
    echo "$out"
    [[ "$out" == *"got:hello"* ]]
}

@test "terminal: create + start with --console-socket, the container is a session leader" {
    need_recvtty
    cmd 'cat /proc/self/stat | cut -d" " -f6,8 ; echo sid-done'
    cfg '.process.terminal = true'
    start_recvtty "$BATS_TEST_TMPDIR/tty.sock"
    runtime create --console-socket "$BATS_TEST_TMPDIR/tty.sock" "$ID" </dev/null
    [ "$(status_of)" = created ]
    runtime start "$ID"
    out=$(tty_output)
    echo "$out"
    [[ "$out" == *"sid-done"* ]]
    # session id 1 (pid 1 is its own session), a foreground process group
    [[ "$out" == "1 "* ]]
}

@test "terminal: exec --tty --console-socket runs the process on a new pty" {
    need_recvtty
    cmd 'sleep 30'
    run_detached
    start_recvtty "$BATS_TEST_TMPDIR/tty.sock"
    runtime exec --tty --console-socket "$BATS_TEST_TMPDIR/tty.sock" --detach "$ID" \
        sh -c 'tty; echo exec-on-tty' </dev/null
    out=$(tty_output)
    echo "$out"
    [[ "$out" == *"/dev/pts/"* ]]
    [[ "$out" == *"exec-on-tty"* ]]
}

@test "terminal: attached run without a console socket relays the pty on stdio" {
    brig_only "runc wants a terminal on its own stdin for this"
    cmd 'tty; echo relayed'
    cfg '.process.terminal = true'
    try runtime run "$ID"
    [ "$status" -eq 0 ]
    [[ "$output" == *"/dev/pts/0"* ]]
    [[ "$output" == *"relayed"* ]]
}

@test "terminal: create with a terminal but no console socket is refused" {
    brig_only "the error text"
    cfg '.process.terminal = true'
    try runtime create "$ID"
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"process.terminal"*"--console-socket"* ]]
    [ ! -e "$ROOT/$ID" ]
}
