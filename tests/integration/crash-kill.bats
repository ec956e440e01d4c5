#!/usr/bin/env bats
# kill -9 of `brig-runtime run -d` at every one of its syscalls.
#
# The syscalls of one clean `run -d` are recorded (strace without -f: the
# runtime process only, not the init it clones).  Then, for each syscall N,
# a fresh `run -d` is SIGKILLed by strace exactly at N (strace counts
# injections per syscall name, so line N "openat" is the k-th openat), and
# the runtime's own verbs must tell the truth and clean up:
#   - `list` shows the container whenever its state directory exists, and
#     never as "stopped" while its init lives (an orphan waiting on
#     exec.fifo that list hid and delete never killed: the bug this guards);
#   - `delete --force` succeeds;
#   - nothing is left: no process (found by the tag in its environment or by
#     its cgroup, never by its command line), no cgroup directory in any
#     hierarchy, no mount under the test directory, no state directory, no
#     MCS reservation.

load helpers

# Every process born of this test carries CRASH_TAG=$ID in its environment
# (the runtime's, inherited by the init, and the container's own), and the
# container's cgroup is /$CGPARENT/$ID in every hierarchy: a glob names each
# directory create may make, and their cgroup.procs list what runs there.
# The init is born in its cgroup2 directory (clone3 CLONE_INTO_CGROUP), so
# per kill the cgroup is searched; the whole of /proc (environment) is
# searched after the last kill, where any orphan would still be waiting.
cgroup_pids() {
    local f l
    for f in /sys/fs/cgroup/"$CGPARENT"/"$ID"/cgroup.procs \
        /sys/fs/cgroup/*/"$CGPARENT"/"$ID"/cgroup.procs; do
        [ -r "$f" ] || continue
        while read -r l; do [ -n "$l" ] && echo "$l"; done <"$f" 2>/dev/null
    done
    return 0
}

env_tagged_pids() {
    grep -lzs "^CRASH_TAG=$ID\$" /proc/[0-9]*/environ | cut -d/ -f3
    return 0
}

# leftovers: one line per thing the killed run left after delete --force.
# Bash builtins only: this runs after each of some 300 kills on a shared
# 2-core machine, where every exec costs.
leftovers() {
    local p l
    for p in $(cgroup_pids); do echo "process left in the cgroup: $p"; done
    for p in /sys/fs/cgroup/"$CGPARENT" /sys/fs/cgroup/*/"$CGPARENT"; do
        [ -e "$p" ] && echo "cgroup left: $p"
    done
    while read -r l; do
        [[ "$l" == *"$BATS_TEST_TMPDIR"* ]] && echo "mount left: $l"
    done </proc/self/mountinfo
    [ ! -e "$ROOT/$ID" ] || echo "state dir left: $ROOT/$ID"
    for p in "$ROOT"/@mcs/c*; do
        [ -e "$p" ] && echo "MCS reservation left: $p"
    done
    return 0
}

# status_listed: the status `list` gives $ID, "absent" when not listed.
status_listed() {
    local l f
    while read -r -a f; do
        [ "${f[0]}" = "$ID" ] && { echo "${f[2]}"; return 0; }
    done < <("$BRIG_RUNTIME" --root "$ROOT" list 3>&-)
    echo absent
}

# truthful_list: a killed run's container is listed iff its directory
# exists, and a live init is never reported "stopped".  Processes killed by
# their parent-death signal may take a moment to vanish: wait for that
# event (bounded, loud), never for a fixed time.
truthful_list() {
    local st i
    for ((i = 0; i < 300; i++)); do
        st=$(status_listed)
        if [ -d "$ROOT/$ID" ] && [ "$st" = absent ]; then
            echo "state dir $ROOT/$ID exists but list does not show it"
            return 1
        fi
        case "$st" in
        created | running | creating | paused) return 0 ;;
        esac
        [ -z "$(cgroup_pids)" ] && return 0
        sleep 0.01
    done
    echo "list says \`$st\` but processes of the container still run: $(cgroup_pids)"
    return 1
}

@test "crash: kill -9 at every syscall of run -d leaves nothing delete --force cannot remove" {
    command -v strace >/dev/null || { echo "strace not found (scripts/deps.sh installs it)"; false; }
    cmd 'exec sleep 1000'
    CGPARENT=brigcrash-$ID
    cfg '.linux.cgroupsPath = $p' --arg p "/$CGPARENT/$ID"
    cfg '.process.env += ["CRASH_TAG=" + $t]' --arg t "$ID"
    local trace=$BATS_TEST_TMPDIR/trace names=$BATS_TEST_TMPDIR/names
    env CRASH_TAG="$ID" strace -qq -o "$trace" "$BRIG_RUNTIME" --root "$ROOT" run -d "$ID" \
        </dev/null >/dev/null 2>&1 3>&-
    [ "$(status_listed)" = running ]
    runtime delete --force "$ID"
    [ -z "$(leftovers)" ]
    [ -z "$(env_tagged_pids)" ]
    grep -oE '^[a-z_0-9]+\(' "$trace" | tr -d '(' >"$names"
    local total killed=0 n name k t0 st
    total=$(wc -l <"$names")
    [ "$total" -gt 50 ]
    t0=$SECONDS
    # Line N of the plan: the syscall's name and how many of that name the
    # runtime has made by then (strace's per-syscall count for when=).
    local -a plan
    mapfile -t plan < <(awk '{ c[$1]++; print $1, c[$1] }' "$names")
    for ((n = 1; n <= total; n++)); do
        read -r name k <<<"${plan[n - 1]}"
        echo "$n $name $k" >"$BATS_TEST_TMPDIR/progress"
        st=0
        # (In braces with stderr closed: bash's "Killed" notice is noise.)
        {
            env CRASH_TAG="$ID" strace -qq -o /dev/null -e "inject=$name:signal=KILL:when=$k" \
                "$BRIG_RUNTIME" --root "$ROOT" run -d "$ID" </dev/null >/dev/null 2>&1 3>&-
        } 2>/dev/null || st=$?
        [ "$st" -eq 137 ] && killed=$((killed + 1))
        truthful_list || { echo "at syscall $n ($name #$k)"; false; }
        "$BRIG_RUNTIME" --root "$ROOT" delete --force "$ID" 3>&- || { echo "delete --force failed after syscall $n ($name #$k)"; false; }
        local left
        left=$(leftovers)
        [ -z "$left" ] || { echo "after kill at syscall $n ($name #$k), delete --force left:"; echo "$left"; false; }
    done
    echo "# $total syscalls, $killed runs killed, $((SECONDS - t0)) s" >&3
    local orphans
    orphans=$(env_tagged_pids)
    [ -z "$orphans" ] || { echo "processes of the test left: $orphans"; false; }
    # The injection must really have hit the runtime: a run that finished
    # unkilled proves nothing about a crash.
    [ "$killed" -ge $((total * 9 / 10)) ]
}
