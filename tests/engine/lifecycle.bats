#!/usr/bin/env bats
# brig's lifecycle verbs as a user types them (issue 4, sections 2 and 3):
# run -d, create/start (-a), ps (-a, -q), stop (-t), kill (-s), rm (-f),
# exec (-u, -w, -e, -d, -i, -t), logs (-f, --tail, -t, --since), wait,
# pause/unpause, top, stats --no-stream, rename, port, --rm when detached,
# and the monitor's promise: a container outlives a killed `brig`, and `ps`
# tells the truth after its monitor is killed.
#
#   BRIG=build/src/engine/brig bats tests/engine/lifecycle.bats

load engine-helpers

setup_file() {
    engine_setup_file
}

teardown_file() {
    engine_teardown_file
}

@test "run -d prints the full id; ps shows it running, ps -q the short id" {
    ok run -d --name web busybox sleep 1000
    [[ "$output" =~ ^[0-9a-f]{64}$ ]]
    id=$output
    [ "$(state_of web)" = running ]
    ok ps
    [[ "${lines[0]}" == "CONTAINER ID"*NAMES ]]
    line=$(grep ' web$' <<<"$output")
    [[ "$line" == "${id:0:12} "* ]]
    [[ "$line" == *busybox* ]]
    [[ "$line" == *"Up "* ]]
    ok ps -q
    [ "$output" = "${id:0:12}" ]
    ok ps -q --no-trunc
    [ "$output" = "$id" ]
}

@test "ps hides exited containers; ps -a and ps -a -q show them" {
    ok run -d --name up busybox sleep 1000
    up=${output:0:12}
    b run --name down busybox sh -c 'exit 2'
    [ "$status" -eq 2 ]
    down=$(brig inspect -f '{{.Id}}' down 3>&-)
    ok ps -q
    [ "$output" = "$up" ]
    ok ps -a -q
    [ "${#lines[@]}" -eq 2 ]
    grep -qx "$up" <<<"$output"
    grep -qx "${down:0:12}" <<<"$output"
    ok ps -a
    grep ' down$' <<<"$output" | grep -q 'Exited (2)'
}

@test "create then start; start -a attaches and returns the exit code" {
    ok create --name c1 busybox sh -c 'echo started; exit 6'
    [[ "$output" =~ ^[0-9a-f]{64}$ ]]
    [ "$(state_of c1)" = created ]
    ok ps -a
    grep ' c1$' <<<"$output" | grep -q Created
    b start -a c1
    [ "$status" -eq 6 ]
    [ "$output" = started ]
    [ "$(state_of c1)" = exited ]
    # start without -a: detached, prints the name
    ok create --name c2 busybox sleep 1000
    ok start c2
    [ "$output" = c2 ]
    [ "$(state_of c2)" = running ]
    # starting a running container is a no-op, as docker
    ok start c2
    [ "$(state_of c2)" = running ]
}

@test "an exited container starts again" {
    b run --name again busybox sh -c 'echo run; exit 1'
    [ "$status" -eq 1 ]
    b start -a again
    [ "$status" -eq 1 ]
    [ "$output" = run ]
    ok logs again
    [ "$output" = "$(printf 'run\nrun')" ]
}

@test "stop: SIGTERM first; a process that handles it exits with its own code" {
    ok run -d --name term busybox sh -c 'trap "echo got-term; exit 7" TERM; while :; do sleep 0.1; done'
    wait_for 40 eval '[ -n "$(brig top term 3>&- 2>/dev/null | grep "sleep")" ]'
    start=$(date +%s%N)
    ok stop term
    [ "$output" = term ]
    elapsed=$((($(date +%s%N) - start) / 1000000))
    echo "stop took ${elapsed}ms"
    [ "$elapsed" -lt 5000 ]
    [ "$(state_of term)" = exited ]
    ok inspect -f '{{.State.ExitCode}}' term
    [ "$output" = 7 ]
    ok logs term
    [ "$output" = got-term ]
}

@test "stop -t N: SIGKILL after N seconds when SIGTERM is ignored" {
    ok run -d --name stubborn busybox sh -c 'trap "" TERM; touch /tmp/trapped; while :; do sleep 0.1; done'
    wait_for 200 brig exec stubborn test -e /tmp/trapped
    ok stop -t 1 stubborn
    [ "$(state_of stubborn)" = exited ]
    ok inspect -f '{{.State.ExitCode}}' stubborn
    [ "$output" = 137 ]
    # a stopped container's FinishedAt is set
    ok inspect -f '{{.State.FinishedAt}}' stubborn
    [ "$output" != "0001-01-01T00:00:00Z" ]
}

@test "kill: SIGKILL by default, -s sends another signal" {
    ok run -d --name k busybox sh -c 'trap "echo usr1" USR1; touch /tmp/trapped; while :; do sleep 0.1; done'
    wait_for 200 brig exec k test -e /tmp/trapped
    ok kill -s USR1 k
    [ "$output" = k ]
    wait_for 40 eval '[ "$(brig logs k 3>&- 2>/dev/null)" = usr1 ]'
    [ "$(state_of k)" = running ]
    ok kill --signal SIGUSR1 k
    wait_for 40 eval '[ "$(brig logs k 3>&- 2>/dev/null | grep -c usr1)" = 2 ]'
    ok kill k
    wait_state k exited
    ok inspect -f '{{.State.ExitCode}}' k
    [ "$output" = 137 ]
}

# bats test_tags=cgroupv2
@test "rm removes an exited container; rm -f a running one, with its mount and cgroup" {
    b run --name gone busybox true
    ok rm gone
    [ "$output" = gone ]
    b inspect gone
    [ "$status" -ne 0 ]
    ok run -d --name busy busybox sleep 1000
    id=$output
    pid=$(pid_of busy)
    cg=$(cgroup_dir "$pid" pids)
    [ -d "$cg" ]
    ok rm -f busy
    [ ! -d "$BRIG_STORAGE_ROOT/containers/$id" ]
    [ ! -e "$BRIG_STORAGE_ROOT/names/busy" ]
    refute kill -0 "$pid" 2>/dev/null
    [ ! -d "$cg" ]
    refute grep -q "$id" /proc/self/mountinfo
    # the name is free again
    ok run -d --name busy busybox sleep 1000
    ok rm -f -v busy
}

@test "run -d --rm: the container removes itself when it exits" {
    ok run -d --rm --name selfrm busybox sh -c 'sleep 0.3'
    id=$output
    wait_for 100 eval '[ ! -d "$BRIG_STORAGE_ROOT/containers/'"$id"'" ]'
    ok ps -a -q
    [ -z "$output" ]
    [ ! -e "$BRIG_STORAGE_ROOT/names/selfrm" ]
}

@test "exec: a command in the running container, exit code passed back" {
    ok run -d --name ex busybox sh -c 'echo ctr >/tmp/mark; sleep 1000'
    wait_for 40 eval 'brig exec ex test -f /tmp/mark 3>&- 2>/dev/null'
    ok exec ex cat /tmp/mark
    [ "$output" = ctr ]
    b exec ex sh -c 'exit 9'
    [ "$status" -eq 9 ]
    # the same namespaces as the container's process
    pid=$(pid_of ex)
    ok exec ex sh -c 'for n in pid mnt net; do readlink /proc/self/ns/$n; done'
    [ "${lines[0]}" = "$(readlink /proc/$pid/ns/pid)" ]
    [ "${lines[1]}" = "$(readlink /proc/$pid/ns/mnt)" ]
    [ "${lines[2]}" = "$(readlink /proc/$pid/ns/net)" ]
}

@test "exec -u, -w, -e" {
    ok run -d --name ex busybox sleep 1000
    ok exec -u 1000:1000 ex sh -c 'id -u; id -g'
    [ "${lines[0]}" = 1000 ]
    [ "${lines[1]}" = 1000 ]
    ok exec --user app ex id -G
    [[ " $output " == *" 1500 "* ]]
    ok exec -w /tmp ex pwd
    [ "$output" = /tmp ]
    ok exec -e FOO=bar --env BAZ=qux ex sh -c 'echo $FOO $BAZ'
    [ "$output" = "bar qux" ]
}

@test "exec -d returns at once, the command runs on" {
    ok run -d --name ex busybox sleep 1000
    # The command waits for /tmp/go, which only appears after exec -d has
    # returned: an exec -d that waited for its command would never return.
    ok exec -d ex sh -c 'while [ ! -e /tmp/go ]; do sleep 0.1; done; echo done >/tmp/late'
    ok exec ex sh -c 'test ! -e /tmp/late && touch /tmp/go'
    wait_for 60 eval 'brig exec ex test -f /tmp/late 3>&- 2>/dev/null'
    ok exec ex cat /tmp/late
    [ "$output" = done ]
}

@test "exec -i with stdin piped; exec -t gets a terminal" {
    ok run -d --name ex busybox sleep 1000
    echo piped >"$BATS_TEST_TMPDIR/in"
    TRY_STDIN=$BATS_TEST_TMPDIR/in try brig exec -i ex cat
    [ "$status" -eq 0 ]
    [ "$output" = piped ]
    run script -qec "$BRIG exec -t ex sh -c 'tty; test -t 1 && echo isatty'" /dev/null
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"/dev/pts/"* ]]
    [[ "$output" == *isatty* ]]
}

@test "logs: stdout and stderr, --tail, -t, --since" {
    # apart in time: stdout and stderr are two pipes, read in either order
    ok run -d --name lg busybox sh -c 'echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three; sleep 1000'
    wait_for 200 eval '[ "$(brig logs lg 3>&- 2>&1 | wc -l)" -ge 3 ]'
    ok logs lg
    # stdout lines on stdout, stderr lines on stderr, as docker
    [ "$output" = "$(printf 'one\nthree')" ]
    [ "$stderr" = two ]
    ok logs --tail 1 lg
    [ "$output$stderr" = three ]
    ok logs --tail 2 lg
    [ "$(printf '%s\n%s\n' "$output" "$stderr" | grep -c .)" -eq 2 ]
    ok logs -t lg
    [[ "${lines[0]}" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\ one$ ]]
    ok logs --since 1h lg
    [ "$output" = "$(printf 'one\nthree')" ]
    # --since a time after the lines: nothing
    ok logs --since "$(($(date +%s) + 60))" lg
    [ -z "$output$stderr" ]
}

@test "logs -f follows until the container exits" {
    ok run -d --name fl busybox sh -c 'for i in 1 2 3 4 5; do echo tick$i; sleep 0.2; done'
    try brig logs -f fl
    [ "$status" -eq 0 ]
    [ "$output" = "$(printf 'tick1\ntick2\ntick3\ntick4\ntick5')" ]
    [ "$(state_of fl)" = exited ]
}

@test "wait blocks until the container exits and prints its exit code" {
    ok run -d --name w busybox sh -c 'sleep 0.5; exit 5'
    start=$(date +%s%N)
    ok wait w
    elapsed=$((($(date +%s%N) - start) / 1000000))
    [ "$output" = 5 ]
    [ "$elapsed" -ge 200 ]
    # an exited container: at once
    ok wait w
    [ "$output" = 5 ]
}

# bats test_tags=cgroupv2
@test "pause freezes the processes, unpause thaws them" {
    ok run -d --name p busybox sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/n; sleep 0.05; done'
    wait_for 40 eval 'brig exec p test -s /tmp/n 3>&- 2>/dev/null'
    pid=$(pid_of p)
    ok pause p
    [ "$output" = p ]
    [ "$(state_of p)" = paused ]
    ok inspect -f '{{.State.Paused}}' p
    [ "$output" = true ]
    ok ps
    grep ' p$' <<<"$output" | grep -q '(Paused)'
    # the process is frozen: its state is stopped in the freezer
    cg=$(cgroup_dir "$pid" freezer)
    if cgroup_v2; then
        [ "$(cat "$cg/cgroup.freeze")" = 1 ]
    else
        [ "$(cat "$cg/freezer.state")" = FROZEN ]
    fi
    up=$BRIG_STORAGE_ROOT/containers/$(brig inspect -f '{{.Id}}' p 3>&-)/upper/tmp/n
    n2=$(cat "$up")
    ok unpause p
    [ "$output" = p ]
    [ "$(state_of p)" = running ]
    wait_for 200 eval '[ "$(cat "$up")" -gt "$n2" ]' || { echo "no progress after unpause"; return 1; }
    # pausing twice, unpausing a running one: errors
    b unpause p
    [ "$status" -ne 0 ]
}

@test "top lists the container's processes" {
    ok run -d --name t busybox sh -c 'sleep 1000 & sleep 2000'
    wait_for 40 eval '[ "$(brig top t 3>&- 2>/dev/null | grep -c sleep)" -ge 2 ]'
    ok top t
    [[ "${lines[0]}" == *PID*CMD* ]]
    grep -q 'sleep 1000' <<<"$output"
    grep -q 'sleep 2000' <<<"$output"
    # host pids of the container's processes
    pid=$(pid_of t)
    grep -qw "$pid" <<<"$output"
}

# bats test_tags=cgroupv2
@test "stats --no-stream: one snapshot line per running container" {
    ok run -d --name s busybox sleep 1000
    id=$output
    ok stats --no-stream
    [[ "${lines[0]}" == "CONTAINER ID"*MEM*PIDS* ]]
    grep -q "^${id:0:12} .* s " <<<"$output"
    ok stats --no-stream s
    [ "${#lines[@]}" -eq 2 ]
}

@test "rename: the new name works, the old one is free" {
    ok run -d --name old busybox sleep 1000
    id=$output
    ok rename old new
    ok inspect -f '{{.Name}}' new
    [ "$output" = /new ]
    b inspect old
    [ "$status" -ne 0 ]
    ok ps
    grep -q ' new$' <<<"$output"
    # the container keeps running; the old name can be taken again
    [ "$(state_of new)" = running ]
    ok create --name old busybox true
}

@test "port: no published ports, empty output" {
    ok run -d --name pt busybox sleep 1000
    ok port pt
    [ -z "$output" ]
}

@test "containers are found by name, full id and unique id prefix" {
    ok run -d --name byref busybox sleep 1000
    id=$output
    ok inspect -f '{{.Name}}' "$id"
    [ "$output" = /byref ]
    ok inspect -f '{{.Name}}' "${id:0:5}"
    [ "$output" = /byref ]
}

@test "kill -9 of an attached brig run: the container keeps running, its logs keep growing" {
    "$BRIG" run --name fg busybox sh -c 'i=0; while :; do i=$((i+1)); echo tick$i; sleep 0.1; done' \
        </dev/null >"$BATS_TEST_TMPDIR/fg.out" 2>&1 3>&- &
    bpid=$!
    wait_state fg running
    wait_for 200 grep -q tick "$BATS_TEST_TMPDIR/fg.out"
    kill -9 "$bpid"
    wait "$bpid" || true
    [ "$(state_of fg)" = running ]
    n1=$(brig logs fg 3>&- | wc -l)
    wait_for 200 eval '[ "$(brig logs fg 3>&- | wc -l)" -gt "$n1" ]' ||
        { echo "logs stopped growing at $n1 lines"; return 1; }
    ok stop -t 1 fg
    [ "$(state_of fg)" = exited ]
}

@test "a detached container outlives the brig that started it" {
    ok run -d --name bg busybox sh -c 'while :; do echo tick; sleep 0.1; done'
    # brig run -d has exited; nothing of it is the container's parent
    pid=$(pid_of bg)
    ppid=$(awk '$1 == "PPid:" { print $2 }' "/proc/$pid/status")
    [ "$(cat "/proc/$ppid/comm")" != brig ]
    n1=$(brig logs bg 3>&- | wc -l)
    wait_for 200 eval '[ "$(brig logs bg 3>&- | wc -l)" -gt "$n1" ]' ||
        { echo "logs stopped growing at $n1 lines"; return 1; }
}

# bats test_tags=cgroupv2
@test "kill -9 of the monitor: ps still shows the truth, running then exited" {
    ok run -d --name orphan busybox sleep 1000
    pid=$(pid_of orphan)
    mon=$(awk '$1 == "PPid:" { print $2 }' "/proc/$pid/status")
    [ "$(cat "/proc/$mon/comm")" = brig-monitor ]
    kill -9 "$mon"
    wait_for 200 eval '[ ! -e /proc/$mon ] || grep -q "^State:.*Z" /proc/$mon/status'
    [ "$(state_of orphan)" = running ]
    ok ps -q
    [ -n "$output" ]
    kill -9 "$pid"
    wait_state orphan exited
    ok ps -a
    grep ' orphan$' <<<"$output" | grep -q Exited
    ok ps -q
    [ -z "$output" ]
    # and rm cleans up what the monitor would have
    ok rm orphan
}

@test "the same container can be stopped and started again" {
    ok run -d --name cycle busybox sleep 1000
    pid1=$(pid_of cycle)
    ok stop -t 0 cycle
    [ "$(state_of cycle)" = exited ]
    ok start cycle
    [ "$(state_of cycle)" = running ]
    pid2=$(pid_of cycle)
    [ "$pid1" != "$pid2" ]
}

@test "a container directory left by a create killed before its lock is collected; one being made is not" {
    local d=$BRIG_STORAGE_ROOT/containers
    local id=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    # What a kill -9 between mkdir and the lock file leaves: an empty dir.
    mkdir "$d/$id"
    # A create in that window holds containers/ shared: not garbage yet.
    flock -s "$d" sh -c "$BRIG ps -a >/dev/null 3>&-"
    [ -d "$d/$id" ]
    ok ps -a
    [ ! -e "$d/$id" ]
    [[ "$output" != *0123456789ab* ]]
    # What a monitor killed while it emptied a removed --rm container left.
    mkdir -p "$d/.rm-$id/upper/a/b" && touch "$d/.rm-$id/upper/a/b/f"
    ok ps -a
    [ ! -e "$d/.rm-$id" ]
    # The status of a container whose monitor died before recording the
    # end names no time (the zero time would read "2026 years ago").
    ok run -d --name nomon busybox sleep 1000
    mon=$(awk '$1 == "PPid:" { print $2 }' "/proc/$(pid_of nomon)/status")
    kill -9 "$mon" "$(pid_of nomon)"
    wait_state nomon exited
    ok ps -a
    line=$(grep ' nomon$' <<<"$output")
    [[ "$line" == *"Exited (-1)   "* ]]
    [[ "$line" != *"years ago"* ]]
}

@test "a run killed at its overlay mount leaves a Created container that rm -f removes, name and all" {
    # make check installs strace on the host and in the guest image: its
    # absence is a broken setup, not a reason to skip.
    command -v strace >/dev/null || { echo "strace not found (scripts/deps.sh check installs it)"; false; }
    local d=$BRIG_STORAGE_ROOT/containers
    # Killed at its first mount(2), the overlay's: the container is made
    # (record, config, /etc files, name) and not started.  As docker: it
    # is there, "Created", and removable.
    run strace -f -o /dev/null -e trace=mount -e inject=mount:signal=SIGKILL:when=1 \
        "$BRIG" run --rm --name halfmade busybox true
    [ "$status" -ne 0 ]
    id=$(readlink "$BRIG_STORAGE_ROOT/names/halfmade")
    [ -f "$d/$id/record.json" ] && [ -f "$d/$id/bundle/config.json" ]
    ok ps -a
    line=$(grep ' halfmade$' <<<"$output")
    [[ "$line" == *Created* ]]
    ok rm -f halfmade
    [ ! -e "$d/$id" ]
    [ ! -e "$BRIG_STORAGE_ROOT/names/halfmade" ]
    ! grep -q "$id" /proc/self/mountinfo
    ok run --rm --name halfmade busybox true
}
