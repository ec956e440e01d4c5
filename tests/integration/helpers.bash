# Shared setup for the brig-runtime integration suite (bats, TAP).
#
# Every test gets its own state root ($ROOT), container id ($ID, with $ID-*
# for any second container), and bundle ($BUNDLE) whose config.json points at
# one read-only busybox rootfs built once per run ($TEMPLATE).  A test that
# must write to its rootfs calls private_rootfs.  teardown force-deletes
# whatever a test left and then fails the test if anything leaked: a state
# entry, a cgroup named after the id, or a mount under the test's directory.
#
# The runtime is $BRIG_RUNTIME (absolute path); the suite also runs against
# runc, where tests of brig-only promises are skipped with a reason.

bats_require_minimum_version 1.5.0

BRIG_TOP=${BRIG_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
MKBUNDLE=$BRIG_TOP/scripts/mkbundle.sh

if [ -z "${BRIG_RUNTIME:-}" ] || [ ! -x "$BRIG_RUNTIME" ]; then
    echo "BRIG_RUNTIME must name the runtime binary (got \`${BRIG_RUNTIME:-}\`)" >&2
    exit 1
fi

# is_brig: the runtime under test is brig-runtime (not runc/crun).
is_brig() {
    "$BRIG_RUNTIME" --version 2>/dev/null | grep -qi brig
}

# brig_only REASON: skip a test of a promise only brig makes.
brig_only() {
    is_brig || skip "brig-only: $* (runtime under test is $(basename "$BRIG_RUNTIME"))"
}

# runtime ARGS...: the runtime with this test's private state root.  fd 3 is
# bats' TAP channel: a detached container must never hold it open.
# Each call is bounded so a hung runtime fails its test instead of the run.
runtime() {
    timeout -k 5 "${BRIG_TEST_TIMEOUT:-60}" "$BRIG_RUNTIME" --root "$ROOT" "$@" 3>&-
}

# try CMD...: like bats' `run --separate-stderr` (sets status, output, lines,
# stderr), but with the command's stdio on files, never a pipe: a create
# that unexpectedly succeeds leaves an init holding its stdout, and bats
# would wait on that pipe forever.
try() {
    local f=$BATS_TEST_TMPDIR/try
    status=0
    : >"$f.out"
    : >"$f.err"
    shared_with_containers "$f.out" "$f.err"
    "$@" </dev/null >>"$f.out" 2>>"$f.err" || status=$?
    output=$(cat "$f.out")
    stderr=$(cat "$f.err")
    mapfile -t lines <"$f.out"
    mapfile -t stderr_lines <"$f.err"
    printf 'try %s: status %s\nstdout: %s\nstderr: %s\n' "$*" "$status" "$output" "$stderr"
}

# shared_with_containers FILE...: under SELinux, give files a container's
# process writes through inherited fds (a test's capture files) the
# container file type at the shared level s0, as a user shares a file with
# `:z`.  The test's /tmp (tmp_t) is not a container type's to write, and
# at the domain transition the kernel closes fds the new domain may not use.
shared_with_containers() {
    [ -e /sys/fs/selinux/enforce ] || return 0
    chcon system_u:object_r:brig_container_file_t:s0 "$@"
}

# template_rootfs: build the shared busybox rootfs once per bats run, under a
# lock in case files run in parallel (bats -j).
template_rootfs() {
    TEMPLATE=$BATS_RUN_TMPDIR/template/rootfs
    [ -x "$TEMPLATE/bin/busybox" ] && return 0
    (
        flock 9
        if [ ! -x "$TEMPLATE/bin/busybox" ]; then
            rm -rf "$BATS_RUN_TMPDIR/template"
            "$MKBUNDLE" --rootfs-only "$BATS_RUN_TMPDIR/template" >&2
            # A user-namespaced container's root (an unprivileged host uid)
            # must be able to reach the rootfs through these directories.
            chmod 755 "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/template"
        fi
    ) 9>"$BATS_RUN_TMPDIR/template.lock"
}

setup() {
    template_rootfs
    ROOT=$BATS_TEST_TMPDIR/state
    BUNDLE=$BATS_TEST_TMPDIR/bundle
    # Short, unique across the whole run (several files, one cgroup tree).
    ID=bt$$-${BATS_SUITE_TEST_NUMBER}-$RANDOM
    mkdir -p "$ROOT"
    "$MKBUNDLE" --shared-rootfs "$TEMPLATE" "$BUNDLE"
    cd "$BUNDLE" || return 1
    # BRIG_TEST_SVIRT=off: containers are not labelled (the annotation is
    # brig's label=... off switch).  The guest sets it for this generic
    # suite while tests/selinux proves SVirt; see tests/vm/guest-suite.sh.
    if [ "${BRIG_TEST_SVIRT:-}" = off ]; then
        cfg '.annotations["io.brig.selinux.auto"] = "false"'
    fi
}

# private_rootfs: give this test a writable copy of the rootfs.
private_rootfs() {
    cp -a --reflink=auto "$TEMPLATE" "$BUNDLE/rootfs"
    cfg '.root = {path: "rootfs", readonly: false}'
}

# cfg FILTER [JQ-ARGS...]: edit config.json in place with a jq filter.
# (CFG_BUNDLE=DIR cfg ... edits another bundle's.)
cfg() {
    local filter=$1 b=${CFG_BUNDLE:-$BUNDLE}
    shift
    jq "$@" "$filter" "$b/config.json" >"$b/config.json.new" &&
        mv "$b/config.json.new" "$b/config.json"
}

# cmd SCRIPT: the container runs `sh -c SCRIPT`.
cmd() {
    cfg '.process.args = ["sh", "-c", $s]' --arg s "$1"
}

# state_of ID: the status field of `state`.
status_of() {
    runtime state "${1:-$ID}" | jq -r .status
}

pid_of() {
    runtime state "${1:-$ID}" | jq -r .pid
}

# start_detached [ID]: `run -d` a container whose stdout/stderr go to
# $BATS_TEST_TMPDIR/<id>.log (bats would wait on an inherited pipe).
run_detached() {
    local id=${1:-$ID}
    runtime run -d "$id" </dev/null >"$BATS_TEST_TMPDIR/$id.log" 2>&1
}

create_quiet() {
    local id=${1:-$ID}
    shift || true
    runtime create "$@" "$id" </dev/null >"$BATS_TEST_TMPDIR/$id.log" 2>&1
}

# refute COMMAND...: fail the test if COMMAND succeeds.  (A bare `! cmd`
# does not fail a bats test: set -e ignores negated commands.)
refute() {
    if "$@"; then
        echo "unexpectedly succeeded: $*"
        return 1
    fi
    return 0
}

# wait_for TRIES COMMAND...: retry every 50 ms.
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

# wait_status STATUS [ID]
wait_status() {
    local want=$1 id=${2:-$ID}
    wait_for 100 eval '[ "$(status_of '"$id"')" = "'"$want"'" ]'
}

# cgroup_dir PID CONTROLLER: the host directory of PID's cgroup for a
# controller, on a cgroup v2 host the unified one whatever the controller.
cgroup_dir() {
    local pid=$1 ctrl=$2 line path mnt
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
        echo "/sys/fs/cgroup$path"
        return
    fi
    line=$(awk -F: -v c="$ctrl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' \
        "/proc/$pid/cgroup")
    mnt=$(awk -v c="$ctrl" '$0 ~ / - cgroup / { n = split($NF, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $5 }' \
        /proc/self/mountinfo | head -1)
    [ -n "$mnt" ] || return 1
    echo "$mnt$line"
}

# cgroup_read PID CONTROLLER V1FILE V2FILE: one cgroup file of PID's cgroup.
cgroup_read() {
    local dir
    dir=$(cgroup_dir "$1" "$2") || return 1
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        cat "$dir/$4"
    else
        cat "$dir/$3"
    fi
}

# leaks: print what this test left behind (state, cgroups, mounts).
leaks() {
    local e
    if [ -d "$ROOT" ]; then
        for e in "$ROOT"/* "$ROOT"/.[!.]*; do
            [ -e "$e" ] || continue
            case "$(basename "$e")" in
            *.lock) continue ;;
            # The MCS reservation directory is not a leak; a reservation is.
            @mcs) compgen -G "$e/c*" >/dev/null || continue ;;
            # Compiled seccomp programs are a cache that outlives containers.
            @seccomp) continue ;;
            esac
            echo "state entry left: $e"
        done
    fi
    find /sys/fs/cgroup -maxdepth 7 -type d -name "$ID*" 2>/dev/null | sed 's/^/cgroup left: /'
    grep -F "$BATS_TEST_TMPDIR" /proc/self/mountinfo | sed 's/^/mount left: /'
    return 0
}

# cleanup_all: force-delete every container under this test's root.
cleanup_all() {
    local ids i
    # `list -q` plus the state directory's entries, in case list is broken.
    ids=$({
        "$BRIG_RUNTIME" --root "$ROOT" list -q 2>/dev/null 3>&-
        for i in "$ROOT"/*/; do [ -d "$i" ] && basename "$i"; done
    } | sort -u)
    for i in $ids; do
        "$BRIG_RUNTIME" --root "$ROOT" delete -f "$i" >/dev/null 2>&1 3>&-
    done
}

# reap_cgroups: after a runtime leaked, kill what still runs in this test's
# cgroups and remove them, so one broken test does not burden the rest.
reap_cgroups() {
    local d
    for d in $(find /sys/fs/cgroup -maxdepth 7 -type d -name "$ID*" 2>/dev/null); do
        # A frozen cgroup would keep its tasks from dying.
        [ -f "$d/freezer.state" ] && echo THAWED >"$d/freezer.state" 2>/dev/null
        [ -f "$d/cgroup.freeze" ] && echo 0 >"$d/cgroup.freeze" 2>/dev/null
        xargs -r kill -9 <"$d/cgroup.procs" 2>/dev/null
    done
    sleep 0.1
    find /sys/fs/cgroup -maxdepth 7 -depth -type d -name "$ID*" -exec rmdir {} \; 2>/dev/null
    return 0
}

teardown() {
    cd /
    [ -n "${ROOT:-}" ] || return 0
    cleanup_all
    [ -n "${TEARDOWN_EXTRA:-}" ] && eval "$TEARDOWN_EXTRA"
    local l
    l=$(leaks)
    if [ -n "$l" ]; then
        echo "$l"
        # Retry once after a moment: a cgroup can outlive its last task briefly.
        sleep 0.2
        cleanup_all
        l=$(leaks)
        if [ -n "$l" ]; then
            echo "# LEAKED after test:" >&2
            echo "$l" >&2
            reap_cgroups
            return 1
        fi
    fi
}

# procs_of_test [PIDNS]: print every host process that belongs to this
# test's containers by what it is, whatever its command line: its cgroup is
# named after $ID, its root or cwd lies in the container's rootfs, or it is
# in the pid namespace PIDNS (a `pid:[N]` link recorded while it lived).
# (The test's own shells have their cwd in the bundle, never in the rootfs.)
procs_of_test() {
    local ns=${1:-} d pid
    for d in /proc/[0-9]*; do
        pid=${d#/proc/}
        if grep -q ":/.*$ID" "$d/cgroup" 2>/dev/null ||
            in_rootfs "$(readlink "$d/root" 2>/dev/null)" ||
            in_rootfs "$(readlink "$d/cwd" 2>/dev/null)" ||
            { [ -n "$ns" ] && [ "$(readlink "$d/ns/pid" 2>/dev/null)" = "$ns" ]; }; then
            # A zombie is already dead; its parent only has to reap it.
            grep -q '^State:[[:space:]]*Z' "$d/status" 2>/dev/null && continue
            echo "$pid $(tr '\0' ' ' <"$d/cmdline" 2>/dev/null)"
        fi
    done
    return 0
}

in_rootfs() { # in_rootfs HOSTPATH
    [ -n "$1" ] && [[ "$1" == "$BUNDLE/rootfs"* || "$1" == "$TEMPLATE"* ]]
}

# no_procs_of_test [PIDNS]: wait (bounded, 10 s) until procs_of_test prints
# nothing; fail printing what is still there.
no_procs_of_test() {
    wait_for 200 eval '[ -z "$(procs_of_test '"${1:-}"')" ]' || {
        echo "processes of this test still running:"
        procs_of_test "${1:-}"
        return 1
    }
}

# assert_nothing_left: the same checks as teardown, inside a test (after a
# failed command that must leave nothing behind).
assert_nothing_left() {
    local l
    l=$(leaks)
    [ -z "$l" ] || { echo "$l"; return 1; }
    # No process of ours may still be running the container's command.
    [ -z "$("$BRIG_RUNTIME" --root "$ROOT" list -q 2>/dev/null 3>&-)" ] ||
        { echo "containers left: $(runtime list -q)"; return 1; }
}

# brig_error TEXT: the last `run --separate-stderr` failed the brig way:
# status 1, stderr is exactly one line `brig-runtime: ...` containing TEXT.
# On other runtimes only the non-zero status is checked.
expect_error() {
    [ "$status" -ne 0 ] || { echo "expected failure, got status 0; output: $output"; return 1; }
    is_brig || return 0
    local err=${stderr-$output}
    [ "$status" -eq 1 ] || { echo "status $status, want 1"; return 1; }
    [ "$(printf '%s\n' "$err" | grep -c .)" -eq 1 ] || { echo "want one line, got: $err"; return 1; }
    [[ "$err" == "brig-runtime: "* ]] || { echo "not a brig error line: $err"; return 1; }
    [ -z "${1:-}" ] || [[ "$err" == *"$1"* ]] || { echo "error lacks \`$1\`: $err"; return 1; }
}
