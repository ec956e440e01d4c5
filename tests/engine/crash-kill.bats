#!/usr/bin/env bats
# kill -9 of `brig run -d` at every one of its syscalls (the engine's side
# of tests/integration/crash-kill.bats).  The brig process only is killed
# (strace without -f): the monitor it forks is meant to outlive it.  After
# each kill, with brig's own verbs: `ps -a` shows every container whose
# init runs as running or created (never hidden, never "Exited"), `rm -f`
# of every container succeeds, and nothing is left: no process in a
# container cgroup, no cgroup, no mount under the store, no store entry or
# name, no runtime state, no MCS reservation (leaks() of engine-helpers),
# and after the last kill no process carrying the test's tag anywhere.

load engine-helpers

setup_file() {
    engine_setup_file
}

teardown_file() {
    engine_teardown_file
}

# Ids with a cgroup that has a process in it.
busy_ids() {
    local id
    for id in $(cgroup_ids); do
        cgroup_empty "$id" || echo "$id"
    done
}

# truthful_ps: every container whose cgroup has a process is listed by
# `ps -a` and not as exited.  A half-made init killed with its creator may
# take a moment to vanish: wait for that event (bounded, loud).
truthful_ps() {
    local i id ps bad
    for ((i = 0; i < 300; i++)); do
        ps=$("$BRIG" ps -a --no-trunc 3>&-)
        bad=""
        for id in $(busy_ids); do
            grep -q "^$id .*\(Up \|Created\)" <<<"$ps" || bad="$bad $id"
        done
        [ -z "$bad" ] && return 0
        sleep 0.01
    done
    echo "processes run in the cgroups of$bad, which ps -a does not show as running:"
    echo "$ps"
    return 1
}

@test "crash: kill -9 at every syscall of brig run -d leaves nothing rm -f cannot remove" {
    command -v strace >/dev/null || { echo "strace not found (scripts/deps.sh installs it)"; false; }
    local trace=$BATS_TEST_TMPDIR/trace names=$BATS_TEST_TMPDIR/names tag=crash$$
    env CRASH_TAG=$tag strace -qq -o "$trace" "$BRIG" run -d --name crash -e CRASH_TAG=$tag \
        busybox sleep 1000 </dev/null >/dev/null 2>&1 3>&-
    ok ps -a
    [[ "$output" == *" crash"* ]]
    ok rm -f crash
    [ -z "$(leaks)" ]
    grep -oE '^[a-z_0-9]+\(' "$trace" | tr -d '(' >"$names"
    local total killed=0 n name k t0 st left
    local -a plan
    total=$(wc -l <"$names")
    [ "$total" -gt 50 ]
    mapfile -t plan < <(awk '{ c[$1]++; print $1, c[$1] }' "$names")
    # Other brig users on this host (parallel suites) make and remove
    # cgroups under /brig too: judge only the ids this test's runs made,
    # recorded in $ETEST/ids as leaks() expects (the store directory, named
    # by the id, is made before the cgroup).
    rm -f "$BATS_TEST_TMPDIR/cg.before"
    t0=$SECONDS
    for ((n = 1; n <= total; n++)); do
        read -r name k <<<"${plan[n - 1]}"
        echo "$n $name $k" >"$BATS_TEST_TMPDIR/progress"
        st=0
        {
            env CRASH_TAG=$tag strace -qq -o /dev/null -e "inject=$name:signal=KILL:when=$k" \
                "$BRIG" run -d --name crash -e CRASH_TAG=$tag busybox sleep 1000 \
                </dev/null >/dev/null 2>&1 3>&-
        } 2>/dev/null || st=$?
        [ "$st" -eq 137 ] && killed=$((killed + 1))
        truthful_ps || { echo "at syscall $n ($name #$k)"; false; }
        for id in $({ "$BRIG" ps -a -q --no-trunc 3>&-; ls "$BRIG_STORAGE_ROOT/containers"; } | sort -u); do
            echo "$id" >>"$ETEST/ids"
            "$BRIG" rm -f "$id" >/dev/null 3>&- || {
                echo "rm -f $id failed after syscall $n ($name #$k)"
                false
            }
        done
        left=$(leaks)
        [ -z "$left" ] || { echo "after kill at syscall $n ($name #$k), rm -f left:"; echo "$left"; false; }
    done
    echo "# $total syscalls, $killed runs killed, $((SECONDS - t0)) s" >&3
    left=$(grep -lzs "^CRASH_TAG=$tag\$" /proc/[0-9]*/environ || true)
    [ -z "$left" ] || { echo "processes of the test left: $left"; false; }
    [ "$killed" -ge $((total * 9 / 10)) ]
}
