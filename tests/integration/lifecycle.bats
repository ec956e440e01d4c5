#!/usr/bin/env bats
# The OCI lifecycle driven as containerd or podman would: create, start,
# state, kill, delete, run, exec, ps, list, pause/resume, update, and the
# stateless verbs spec, features and --version.

load helpers

# out_mount: bind the host directory $OUT at /mnt in the container so a
# container on the read-only shared rootfs can leave files for the test.
out_mount() {
    OUT=$BATS_TEST_TMPDIR/out
    mkdir -p "$OUT"
    cfg '.mounts += [{destination: "/mnt", type: "bind", source: $s, options: ["rbind", "rw"]}]' \
        --arg s "$OUT"
}

@test "create leaves the container created with an init pid" {
    cmd 'echo started; sleep 100'
    create_quiet
    run -0 runtime state "$ID"
    [ "$(jq -r .status <<<"$output")" = created ]
    pid=$(jq -r .pid <<<"$output")
    [ "$pid" -gt 0 ]
    [ -d "/proc/$pid" ]
}

@test "state JSON has ociVersion, id, status, pid, bundle and annotations" {
    cfg '.annotations["org.brig.test"] = "yes"'
    cmd 'sleep 100'
    create_quiet
    run -0 runtime state "$ID"
    jq -e --arg id "$ID" --arg b "$BUNDLE" '
        (.ociVersion | type == "string") and .id == $id and .status == "created" and
        (.pid | type == "number") and .bundle == $b and
        .annotations["org.brig.test"] == "yes"' <<<"$output"
}

@test "the process does not run before start" {
    out_mount
    cmd 'echo ran > /mnt/ran'
    create_quiet
    # The created init is still the runtime waiting for start, not the
    # container's shell: nothing of the process has run.
    [ "$(tr '\0' '\n' <"/proc/$(pid_of)/cmdline" | head -1)" = "$BRIG_RUNTIME" ]
    [ ! -e "$OUT/ran" ]
    runtime start "$ID"
    wait_for 100 test -e "$OUT/ran"
    [ "$(cat "$OUT/ran")" = ran ]
}

@test "status goes created -> running -> stopped" {
    out_mount
    cmd 'while [ ! -e /mnt/go ]; do sleep 0.05; done'
    create_quiet
    [ "$(status_of)" = created ]
    runtime start "$ID"
    [ "$(status_of)" = running ]
    touch "$OUT/go"
    wait_status stopped
}

@test "start of a running container fails" {
    cmd 'sleep 100'
    create_quiet
    runtime start "$ID"
    run ! runtime start "$ID"
    [ "$(status_of)" = running ]
}

@test "create --pid-file writes the init pid" {
    cmd 'sleep 100'
    create_quiet "$ID" --pid-file "$BATS_TEST_TMPDIR/pid"
    [ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$(pid_of)" ]
}

@test "create --bundle works from another directory" {
    cmd 'sleep 100'
    cd /
    runtime create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
    run -0 runtime state "$ID"
    [ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
}

@test "the init pid in state is the host pid of the container process" {
    cmd 'sleep 100'
    run_detached
    pid=$(pid_of)
    [ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 100 " ]
}

@test "kill with no signal sends SIGTERM" {
    cmd 'trap "exit 42" TERM; while :; do sleep 0.05; done'
    run_detached
    runtime kill "$ID"
    wait_status stopped
}

@test "kill by name KILL" {
    cmd 'sleep 100'
    run_detached
    runtime kill "$ID" KILL
    wait_status stopped
}

@test "kill by name SIGKILL" {
    cmd 'sleep 100'
    run_detached
    runtime kill "$ID" SIGKILL
    wait_status stopped
}

@test "kill by number 9" {
    cmd 'sleep 100'
    run_detached
    runtime kill "$ID" 9
    wait_status stopped
}

@test "kill a trapped signal is delivered to the init (USR1)" {
    out_mount
    cmd 'trap "echo usr1 > /mnt/got" USR1; touch /mnt/trapped; while :; do sleep 0.05; done'
    run_detached
    wait_for 200 test -e "$OUT/trapped"
    runtime kill "$ID" USR1
    wait_for 100 test -s "$OUT/got"
    [ "$(status_of)" = running ]
}

# bats test_tags=cgroupv2
@test "kill --all kills every process of the container" {
    cmd 'sleep 100 & sleep 101 & wait'
    run_detached
    pid=$(pid_of)
    wait_for 100 eval '[ $(runtime ps -f json "$ID" | jq length) -ge 3 ]'
    runtime kill --all "$ID" KILL
    wait_status stopped
    refute pgrep -f 'sleep 10[01]$' -P "$pid"
}

@test "kill of a stopped container fails" {
    cmd 'true'
    runtime run --keep "$ID" </dev/null
    [ "$(status_of)" = stopped ]
    run ! runtime kill "$ID" KILL
}

@test "delete removes a stopped container" {
    cmd 'true'
    run_detached
    wait_status stopped
    runtime delete "$ID"
    run ! runtime state "$ID"
    [ -z "$(ls -A "$ROOT")" ]
}

@test "delete of a running container without --force fails and leaves it running" {
    cmd 'sleep 100'
    run_detached
    run ! runtime delete "$ID"
    [ "$(status_of)" = running ]
}

# bats test_tags=cgroupv2
@test "delete --force kills and removes a running container" {
    cmd 'sleep 100'
    run_detached
    pid=$(pid_of)
    runtime delete --force "$ID"
    run ! runtime state "$ID"
    wait_for 100 eval '! [ -d /proc/'"$pid"' ] || grep -q "^State:.*Z" /proc/'"$pid"'/status'
}

@test "delete of a created container removes its init" {
    cmd 'sleep 100'
    create_quiet
    pid=$(pid_of)
    runtime delete "$ID"
    run ! runtime state "$ID"
    wait_for 100 eval '! [ -d /proc/'"$pid"' ] || grep -q "^State:.*Z" /proc/'"$pid"'/status'
}

@test "delete of an unknown container fails" {
    run ! runtime delete nosuch
}

@test "run prints the process output and exits 0" {
    cmd 'echo hello from $(hostname)'
    run -0 runtime run "$ID" </dev/null
    [ "$output" = "hello from brig" ]
}

@test "run propagates the exit status (3)" {
    cmd 'exit 3'
    run -3 runtime run "$ID" </dev/null
}

@test "run propagates a large exit status (255)" {
    cmd 'exit 255'
    run -255 runtime run "$ID" </dev/null
}

@test "run reports death by signal as 128+n (SIGKILL -> 137)" {
    cmd 'sleep 100'
    runtime run "$ID" </dev/null >/dev/null 2>&1 &
    bg=$!
    wait_status running
    runtime kill "$ID" KILL
    rc=0
    wait $bg || rc=$?
    [ "$rc" -eq 137 ]
}

@test "run reports death by SIGTERM as 143" {
    cfg '.linux.namespaces |= map(select(.type != "pid"))'
    cmd 'kill -TERM $$; sleep 5'
    run -143 runtime run "$ID" </dev/null
}

@test "run passes stdin to the process" {
    cmd 'read line; echo "got $line"'
    run -0 runtime run "$ID" <<<"ping"
    [ "$output" = "got ping" ]
}

@test "run separates stdout and stderr" {
    cmd 'echo out; echo err >&2'
    run -0 --separate-stderr runtime run "$ID" </dev/null
    [ "$output" = out ]
    [ "$stderr" = err ]
}

@test "run removes the container after it exits" {
    cmd 'true'
    runtime run "$ID" </dev/null
    run ! runtime state "$ID"
    [ -z "$(ls -A "$ROOT")" ]
}

@test "run --keep keeps the stopped container's state" {
    cmd 'exit 0'
    runtime run --keep "$ID" </dev/null
    [ "$(status_of)" = stopped ]
    runtime delete "$ID"
    run ! runtime state "$ID"
}

@test "run --detach returns at once with the container running" {
    cmd 'sleep 100'
    SECONDS=0
    run_detached
    [ "$SECONDS" -lt 5 ]
    [ "$(status_of)" = running ]
}

@test "run --detach --pid-file writes the init pid" {
    cmd 'sleep 100'
    runtime run -d --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" </dev/null >/dev/null 2>&1
    [ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$(pid_of)" ]
    [ "$(tr '\0' ' ' <"/proc/$(cat "$BATS_TEST_TMPDIR/pid")/cmdline")" = "sleep 100 " ]
}

@test "two containers run side by side under one root" {
    cmd 'sleep 100'
    run_detached "$ID-a"
    run_detached "$ID-b"
    [ "$(status_of "$ID-a")" = running ]
    [ "$(status_of "$ID-b")" = running ]
    [ "$(pid_of "$ID-a")" != "$(pid_of "$ID-b")" ]
}

@test "list shows a table with the container" {
    cmd 'sleep 100'
    run_detached
    run -0 runtime list
    [[ "${lines[0]}" == ID*PID*STATUS*BUNDLE*CREATED*OWNER* ]]
    read -r id pid st bundle _ <<<"$(grep "^$ID " <<<"$output")"
    [ "$id" = "$ID" ]
    [ "$pid" = "$(pid_of)" ]
    [ "$st" = running ]
    [ "$bundle" = "$BUNDLE" ]
}

@test "list --format json lists every container" {
    cmd 'sleep 100'
    run_detached "$ID-a"
    create_quiet "$ID-b"
    run -0 runtime list --format json
    jq -e --arg a "$ID-a" --arg b "$ID-b" '
        length == 2 and
        (map(select(.id == $a))[0].status == "running") and
        (map(select(.id == $b))[0].status == "created")' <<<"$output"
}

@test "list -q prints only ids" {
    cmd 'sleep 100'
    create_quiet "$ID-a"
    create_quiet "$ID-b"
    run -0 runtime list -q
    [ "$output" = "$(printf '%s\n%s' "$ID-a" "$ID-b")" ]
}

# bats test_tags=cgroupv2
@test "ps --format json lists the container's pids" {
    cmd 'sleep 100 & wait'
    run_detached
    pid=$(pid_of)
    wait_for 100 eval '[ $(runtime ps -f json "$ID" | jq length) -eq 2 ]'
    run -0 runtime ps --format json "$ID"
    jq -e --argjson p "$pid" 'index($p) != null and all(.[]; type == "number")' <<<"$output"
}

@test "ps table shows the processes" {
    cmd 'sleep 100'
    run_detached
    run -0 runtime ps "$ID"
    [[ "${lines[0]}" == *PID* ]]
    grep -q "sleep 100" <<<"$output"
}

# bats test_tags=cgroupv2
@test "pause freezes the container and resume thaws it" {
    cmd 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.02; done'
    run_detached
    log=$BATS_TEST_TMPDIR/$ID.log
    wait_for 100 test -s "$log"
    runtime pause "$ID"
    [ "$(status_of)" = paused ]
    # Frozen as the kernel reports it, for the container's cgroup: every
    # task stopped, not a guess from output that happened to pause.
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        grep -qx 'frozen 1' "$(cgroup_dir "$(pid_of)" freezer)/cgroup.events"
    else
        [ "$(cgroup_read "$(pid_of)" freezer freezer.state freezer.state)" = FROZEN ]
    fi
    a=$(wc -l <"$log")
    [ "$(status_of)" = paused ]
    b=$(wc -l <"$log")
    [ "$a" -eq "$b" ]
    runtime resume "$ID"
    [ "$(status_of)" = running ]
    wait_for 100 eval '[ $(wc -l <"$log") -gt '"$b"' ]'
}

@test "pause of a stopped container fails" {
    cmd 'true'
    runtime run --keep "$ID" </dev/null
    run ! runtime pause "$ID"
    [ "$(status_of)" = stopped ]
}

# bats test_tags=cgroupv2
@test "delete --force removes a paused container" {
    cmd 'sleep 100'
    run_detached
    runtime pause "$ID"
    runtime delete --force "$ID"
    run ! runtime state "$ID"
}

@test "exec runs a command with its arguments" {
    cmd 'sleep 100'
    run_detached
    run -0 runtime exec "$ID" sh -c 'echo "$0 $1"' a b
    [ "$output" = "a b" ]
}

@test "exec propagates the exit status" {
    cmd 'sleep 100'
    run_detached
    run -7 runtime exec "$ID" sh -c 'exit 7'
}

@test "exec runs in the container's namespaces (pid 1 is the init)" {
    cmd 'sleep 100'
    run_detached
    run -0 runtime exec "$ID" sh -c 'tr "\0" " " </proc/1/cmdline'
    [ "$output" = "sleep 100 " ]
    [ "$(readlink "/proc/$(pid_of)/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
}

@test "exec --env sets the environment" {
    cmd 'sleep 100'
    run_detached
    run -0 runtime exec --env FOO=bar --env X=1 "$ID" sh -c 'echo $FOO$X'
    [ "$output" = bar1 ]
}

@test "exec inherits the config's environment" {
    cfg '.process.env += ["FROMCFG=yes"]'
    cmd 'sleep 100'
    run_detached
    run -0 runtime exec "$ID" sh -c 'echo $FROMCFG'
    [ "$output" = yes ]
}

@test "exec --cwd sets the working directory" {
    cmd 'sleep 100'
    run_detached
    run -0 runtime exec --cwd /etc "$ID" pwd
    [ "$output" = /etc ]
}

@test "exec --user 1000:1000 runs as that user" {
    cmd 'sleep 100'
    run_detached
    run -0 runtime exec --user 1000:1000 "$ID" sh -c 'id -u; id -g'
    [ "$output" = "$(printf '1000\n1000')" ]
}

@test "exec --process FILE runs that process" {
    cmd 'sleep 100'
    run_detached
    jq -n '{terminal: false, user: {uid: 1000, gid: 1000}, args: ["sh", "-c", "echo $P $(id -u) $(pwd)"],
            env: ["P=proc", "PATH=/bin"], cwd: "/tmp"}' >"$BATS_TEST_TMPDIR/process.json"
    run -0 runtime exec --process "$BATS_TEST_TMPDIR/process.json" "$ID"
    [ "$output" = "proc 1000 /tmp" ]
}

@test "exec --detach --pid-file runs in the background" {
    cmd 'sleep 100'
    run_detached
    runtime exec --detach --pid-file "$BATS_TEST_TMPDIR/epid" "$ID" sleep 77 </dev/null >/dev/null 2>&1
    epid=$(cat "$BATS_TEST_TMPDIR/epid")
    [ "$(tr '\0' ' ' <"/proc/$epid/cmdline")" = "sleep 77 " ]
    [ "$(readlink "/proc/$epid/ns/pid")" = "$(readlink "/proc/$(pid_of)/ns/pid")" ]
    [ "$(readlink "/proc/$epid/ns/mnt")" = "$(readlink "/proc/$(pid_of)/ns/mnt")" ]
}

@test "exec into a stopped container fails" {
    cmd 'true'
    runtime run --keep "$ID" </dev/null
    run ! runtime exec "$ID" true
}

@test "exec into an unknown container fails" {
    run ! runtime exec nosuch true
}

# bats test_tags=cgroupv2
@test "exec'd processes join the container's cgroup" {
    cmd 'sleep 100'
    run_detached
    runtime exec --detach --pid-file "$BATS_TEST_TMPDIR/epid" "$ID" sleep 77 </dev/null >/dev/null 2>&1
    epid=$(cat "$BATS_TEST_TMPDIR/epid")
    [ "$(cgroup_dir "$epid" pids)" = "$(cgroup_dir "$(pid_of)" pids)" ]
}

# bats test_tags=cgroupv2
@test "update --memory changes the container's memory limit" {
    cmd 'sleep 100'
    run_detached
    pid=$(pid_of)
    runtime update --memory 67108864 "$ID"
    [ "$(cgroup_read "$pid" memory memory.limit_in_bytes memory.max)" = 67108864 ]
}

# bats test_tags=cgroupv2
@test "update --pids-limit changes the container's pids limit" {
    cmd 'sleep 100'
    run_detached
    pid=$(pid_of)
    runtime update --pids-limit 42 "$ID"
    [ "$(cgroup_read "$pid" pids pids.max pids.max)" = 42 ]
}

# bats test_tags=cgroupv2
@test "the pids limit is enforced inside the container" {
    cfg '.linux.resources.pids = {limit: 5}'
    cmd 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait; echo done'
    run ! runtime run "$ID" </dev/null
    grep -q "can't fork" <<<"$output"
    refute grep -q 'done' <<<"$output"
}

# bats test_tags=cgroupv2
@test "update --resources - reads the JSON from stdin" {
    cmd 'sleep 100'
    run_detached
    pid=$(pid_of)
    echo '{"pids": {"limit": 33}}' | runtime update --resources - "$ID"
    [ "$(cgroup_read "$pid" pids pids.max pids.max)" = 33 ]
}

# bats test_tags=cgroupv2
@test "linux.resources.memory.limit from config.json is applied" {
    cfg '.linux.resources.memory = {limit: 100663296}'
    cmd 'sleep 100'
    run_detached
    [ "$(cgroup_read "$(pid_of)" memory memory.limit_in_bytes memory.max)" = 100663296 ]
}

# bats test_tags=cgroupv2
@test "linux.cgroupsPath places the container in that cgroup" {
    cfg '.linux.cgroupsPath = $p' --arg p "/$ID-cg"
    cmd 'sleep 100'
    run_detached
    dir=$(cgroup_dir "$(pid_of)" pids)
    [ "$(basename "$dir")" = "$ID-cg" ]
}

@test "spec writes config.json" {
    cd "$BATS_TEST_TMPDIR" && mkdir s && cd s
    runtime spec
    jq -e '.ociVersion and (.process.args | length > 0) and .root.path == "rootfs" and
           (.linux.namespaces | map(.type) | index("mount") != null)' config.json
}

@test "spec refuses to overwrite an existing config.json" {
    cd "$BATS_TEST_TMPDIR" && mkdir s && cd s
    echo '{"mine": true}' >config.json
    run ! runtime spec
    [ "$(cat config.json)" = '{"mine": true}' ]
}

@test "spec --bundle writes into that directory" {
    mkdir "$BATS_TEST_TMPDIR/s"
    runtime spec --bundle "$BATS_TEST_TMPDIR/s"
    jq -e .ociVersion "$BATS_TEST_TMPDIR/s/config.json"
}

@test "spec --rootless adds a user namespace with mappings" {
    cd "$BATS_TEST_TMPDIR" && mkdir s && cd s
    runtime spec --rootless
    jq -e '(.linux.namespaces | map(.type) | index("user") != null) and
           (.linux.uidMappings | length > 0) and (.linux.gidMappings | length > 0)' config.json
}

@test "features prints JSON with ociVersionMin and ociVersionMax" {
    run -0 runtime features
    jq -e '(.ociVersionMin | test("^1\\.")) and (.ociVersionMax | test("^1\\."))' <<<"$output"
}

@test "features lists namespaces and hooks it supports" {
    run -0 runtime features
    jq -e '(.linux.namespaces | index("pid") != null) and (.hooks | index("prestart") != null)' <<<"$output"
}

@test "--version prints the runtime and spec versions" {
    run -0 "$BRIG_RUNTIME" --version
    grep -qi 'version' <<<"$output"
    grep -q 'spec: 1\.' <<<"$output"
}

@test "brig: --version names brig-runtime" {
    brig_only "brig's own --version text"
    run -0 "$BRIG_RUNTIME" --version
    [[ "${lines[0]}" == "brig-runtime version "* ]]
}
