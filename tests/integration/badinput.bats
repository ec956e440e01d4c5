#!/usr/bin/env bats
# Bad input: every case must exit non-zero, say what is wrong (brig: one line
# `brig-runtime: ...` naming the JSON path or the thing), and leave nothing
# behind: no state entry, no cgroup, no mount, no process.

load helpers

# create_fails: `create` must fail and leave nothing behind.
create_fails() {
    try runtime create "$ID"
    [ "$status" -ne 0 ]
    assert_nothing_left
    run ! runtime state "$ID"
}

# brig_says TEXT: brig's error for the last command is one line naming TEXT.
brig_says() {
    expect_error "$1"
}

@test "missing config.json" {
    rm "$BUNDLE/config.json"
    create_fails
}

@test "brig: missing config.json names the file" {
    brig_only "brig's error text"
    rm "$BUNDLE/config.json"
    create_fails
    brig_says "config.json"
}

@test "config.json is a directory" {
    rm "$BUNDLE/config.json"
    mkdir "$BUNDLE/config.json"
    create_fails
}

@test "malformed JSON" {
    printf '{"ociVersion": "1.0.2", "process": ' >"$BUNDLE/config.json"
    create_fails
}

@test "brig: malformed JSON says invalid JSON in config.json" {
    brig_only "brig's error text"
    printf '{"ociVersion": "1.0.2", "process": ' >"$BUNDLE/config.json"
    create_fails
    brig_says "config.json: invalid JSON"
}

@test "config.json that is not an object" {
    echo '[1, 2]' >"$BUNDLE/config.json"
    create_fails
}

@test "brig: empty process.args names process.args" {
    brig_only "runc accepts it at create and fails later"
    cfg '.process.args = []'
    create_fails
    brig_says "process.args: must be a non-empty array of strings"
}

@test "process.args of the wrong type" {
    cfg '.process.args = "sh"'
    create_fails
}

@test "missing process" {
    cfg 'del(.process)'
    create_fails
}

@test "missing rootfs" {
    cfg '.root.path = "/nonexistent/rootfs"'
    create_fails
}

@test "brig: missing rootfs names the path" {
    brig_only "brig's error text"
    cfg '.root.path = "/nonexistent/rootfs"'
    create_fails
    brig_says "/nonexistent/rootfs"
}

@test "rootfs that is a file" {
    touch "$BATS_TEST_TMPDIR/file"
    cfg '.root.path = $p' --arg p "$BATS_TEST_TMPDIR/file"
    create_fails
}

@test "unknown namespace type" {
    cfg '.linux.namespaces += [{type: "bogus"}]'
    create_fails
}

@test "brig: unknown namespace type names linux.namespaces[i].type" {
    brig_only "brig's error text"
    cfg '.linux.namespaces += [{type: "bogus"}]'
    n=$(jq '.linux.namespaces | length - 1' config.json)
    create_fails
    brig_says "linux.namespaces[$n].type: unknown namespace type \"bogus\""
}

@test "namespace path that does not exist" {
    cfg '.linux.namespaces |= map(if .type == "network" then .path = "/nonexistent/ns" else . end)'
    create_fails
}

@test "brig: unknown capability is refused, naming its JSON path" {
    brig_only "runc 1.1 only warns about unknown capabilities"
    cfg '.process.capabilities.bounding = ["CAP_BOGUS"]'
    create_fails
    brig_says "process.capabilities.bounding[0]: unknown capability \"CAP_BOGUS\""
}

@test "unknown rlimit type" {
    cfg '.process.rlimits = [{type: "RLIMIT_BOGUS", soft: 1, hard: 1}]'
    create_fails
}

@test "brig: rlimit soft above hard is refused" {
    brig_only "runc leaves it to setrlimit"
    cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 2048, hard: 1024}]'
    create_fails
    brig_says "process.rlimits[0]"
}

@test "relative cwd" {
    cfg '.process.cwd = "etc"'
    create_fails
}

@test "brig: relative mount destination is refused" {
    brig_only "runc 1.1 only warns about a relative destination"
    cfg '.mounts += [{destination: "mnt", type: "tmpfs", source: "tmpfs"}]'
    create_fails
    brig_says "mnt"
}

@test "bind mount whose source does not exist" {
    cfg '.mounts += [{destination: "/mnt", type: "bind", source: "/nonexistent/src", options: ["bind"]}]'
    create_fails
}

@test "unknown seccomp action" {
    cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_BOGUS"}'
    create_fails
}

@test "unknown seccomp syscall operator" {
    cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{names: ["read"], action: "SCMP_ACT_ERRNO", args: [{index: 0, value: 1, op: "SCMP_CMP_BOGUS"}]}]}'
    create_fails
}

@test "brig: unknown personality domain names linux.personality.domain" {
    brig_only "runc 1.1 ignores linux.personality"
    cfg '.linux.personality = {domain: "BOGUS"}'
    create_fails
    brig_says "linux.personality.domain"
}

@test "unknown device type" {
    cfg '.linux.devices = [{path: "/dev/x", type: "z", major: 1, minor: 3}]'
    create_fails
}

@test "executable not found" {
    cfg '.process.args = ["/no/such/binary"]'
    try runtime run "$ID"
    [ "$status" -ne 0 ]
    assert_nothing_left
}

@test "an executable that is not executable" {
    cfg '.process.args = ["/etc/passwd"]'
    try runtime run "$ID"
    [ "$status" -ne 0 ]
    assert_nothing_left
}

@test "a failing createRuntime hook" {
    cfg '.hooks.createRuntime = [{path: "/bin/false"}]'
    create_fails
}

@test "a prestart hook that does not exist" {
    cfg '.hooks.prestart = [{path: "/nonexistent/hook"}]'
    create_fails
}

@test "a hanging hook with a timeout" {
    cfg '.hooks.prestart = [{path: "/bin/sleep", args: ["sleep", "30"], timeout: 1}]'
    SECONDS=0
    create_fails
    [ "$SECONDS" -le 5 ]
}

@test "id containing a slash is refused" {
    try runtime create "a/b"
    [ "$status" -ne 0 ]
    [ ! -e "$ROOT/a" ]
    assert_nothing_left
}

@test "brig: id containing a slash: invalid character" {
    brig_only "brig's error text"
    try runtime create "a/b"
    brig_says 'container id `a/b`: invalid character `/`'
}

@test "id with .. is refused and nothing escapes the root" {
    try runtime create "../escape"
    [ "$status" -ne 0 ]
    [ ! -e "$BATS_TEST_TMPDIR/escape" ]
    try runtime create ".."
    [ "$status" -ne 0 ]
    assert_nothing_left
}

@test "brig: id with .. names the id" {
    brig_only "brig's error text"
    try runtime create "x..y"
    brig_says 'container id `x..y`'
}

@test "empty id is refused" {
    try runtime create ""
    [ "$status" -ne 0 ]
    assert_nothing_left
}

@test "duplicate id fails and leaves the first container intact" {
    cmd 'sleep 100'
    create_quiet
    pid=$(pid_of)
    try runtime create "$ID"
    [ "$status" -ne 0 ]
    [ "$(status_of)" = created ]
    [ "$(pid_of)" = "$pid" ]
}

@test "brig: duplicate id says already exists" {
    brig_only "brig's error text"
    cmd 'sleep 100'
    create_quiet
    try runtime create "$ID"
    brig_says "container \`$ID\` already exists"
}

@test "state of an unknown container" {
    run --separate-stderr runtime state nosuch
    [ "$status" -ne 0 ]
}

@test "brig: unknown container says does not exist" {
    brig_only "brig's error text"
    for verb in state start delete pause resume ps; do
        run --separate-stderr runtime "$verb" nosuch
        brig_says 'container `nosuch` does not exist'
    done
    run --separate-stderr runtime kill nosuch KILL
    brig_says 'container `nosuch` does not exist'
}

@test "start, kill, pause of an unknown container fail" {
    run ! runtime start nosuch
    run ! runtime kill nosuch KILL
    run ! runtime pause nosuch
    run ! runtime resume nosuch
    run ! runtime ps nosuch
}

@test "kill with an unknown signal fails and the container keeps running" {
    cmd 'sleep 100'
    run_detached
    run --separate-stderr runtime kill "$ID" SIGBOGUS
    [ "$status" -ne 0 ]
    run ! runtime kill "$ID" 99999
    [ "$(status_of)" = running ]
}

@test "brig: kill with an unknown signal names it" {
    brig_only "brig's error text"
    cmd 'sleep 100'
    run_detached
    run --separate-stderr runtime kill "$ID" SIGBOGUS
    brig_says "SIGBOGUS"
}

@test "exec with no command fails" {
    cmd 'sleep 100'
    run_detached
    run ! runtime exec "$ID"
}

@test "exec --process with malformed JSON fails" {
    cmd 'sleep 100'
    run_detached
    echo '{"args": [' >"$BATS_TEST_TMPDIR/p.json"
    run ! runtime exec --process "$BATS_TEST_TMPDIR/p.json" "$ID"
    [ "$(status_of)" = running ]
}

@test "exec of a missing binary fails with the container still running" {
    cmd 'sleep 100'
    run_detached
    run ! runtime exec "$ID" /no/such/binary
    [ "$(status_of)" = running ]
}

@test "unknown command-line flag fails" {
    try runtime create --no-such-flag "$ID"
    [ "$status" -ne 0 ]
    assert_nothing_left
}

@test "update with an invalid resources file fails" {
    cmd 'sleep 100'
    run_detached
    echo 'not json' >"$BATS_TEST_TMPDIR/r.json"
    run ! runtime update --resources "$BATS_TEST_TMPDIR/r.json" "$ID"
    [ "$(status_of)" = running ]
}

# The hook records the init's pid namespace while the init lives (the
# failure happens with the init made), then fails create; afterwards no
# process may be in that namespace, in the container's cgroup, or rooted in
# the bundle.
@test "a failed create leaves no process behind" {
    H=$BATS_TEST_TMPDIR/hooks; mkdir -p "$H"
    cfg '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c",
        "pid=$(jq -r .pid) && readlink /proc/$pid/ns/pid >\"$0/ns\"; exit 1", $h]}]' --arg h "$H"
    cmd 'sleep 100'
    try runtime create "$ID"
    [ "$status" -ne 0 ]
    ns=$(cat "$H/ns")
    [[ "$ns" == pid:* ]]
    [ "$ns" != "$(readlink /proc/self/ns/pid)" ]
    no_procs_of_test "$ns"
    assert_nothing_left
}
