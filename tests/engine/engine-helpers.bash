# Shared setup for the engine's host integration suite (bats, TAP): `brig`
# driven as a user types it, every verb and flag.
#
#   bats tests/engine/run.bats ...          (BRIG=path/to/brig to pick a build)
#
# With an ASan build, leak detection stays on (make check sets
# ASAN_OPTIONS=detect_leaks=1): exec checks for leaks before it joins the
# container's pid namespace, where LeakSanitizer's exit-time check would
# hang (brig_sanitizer_check_leaks_now).
#
# Each file gets private stores (BRIG_STORAGE_ROOT, BRIG_RUN_ROOT under a
# mktemp dir) and reads no brig.conf (BRIG_CONFIG=""), so defaults are
# brig's own.  One busybox rootfs tarball is built per bats run and imported
# as `busybox` per file; files that need an image with a config (ENTRYPOINT,
# CMD, ENV, WORKDIR, USER, labels) load `cfgimg`, an OCI image built with
# umoci and turned into a docker-archive with skopeo.
#
# After every test, every container is removed with `brig rm -f` and the
# test fails if anything is left: a container directory or name, a mount
# under the storage root, runtime state or an MCS reservation under the run
# root, or a cgroup named after a container that appeared during the test.
# Nothing here is specific to cgroup v1 or v2, or to SELinux being on.

bats_require_minimum_version 1.5.0

BRIG_TOP=${BRIG_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
BRIG=${BRIG:-$BRIG_TOP/build/src/engine/brig}
MKBUNDLE=$BRIG_TOP/scripts/mkbundle.sh

if [ ! -x "$BRIG" ]; then
    echo "BRIG must name the brig binary (got \`$BRIG\`; build it with ninja -C build)" >&2
    exit 1
fi

# brig ARGS...: the binary under test, bounded so a hang fails its test
# instead of the run.  fd 3 is bats' TAP channel: no container may hold it.
brig() {
    timeout -k 5 "${BRIG_TEST_TIMEOUT:-60}" "$BRIG" "$@" 3>&-
}

# try CMD...: like bats' `run --separate-stderr` (sets status, output,
# lines, stderr, stderr_lines) with the command's stdio on files, never a
# pipe: a detached container that wrongly kept brig's stdout would make bats
# wait on the pipe forever.  Stdin is /dev/null unless TRY_STDIN names a file.
try() {
    local f=$BATS_TEST_TMPDIR/try
    status=0
    "$@" <"${TRY_STDIN:-/dev/null}" >"$f.out" 2>"$f.err" || status=$?
    output=$(cat "$f.out")
    stderr=$(cat "$f.err")
    mapfile -t lines <"$f.out"
    mapfile -t stderr_lines <"$f.err"
    printf 'try %s\n  status %s\n  stdout: %s\n  stderr: %s\n' "$*" "$status" "$output" "$stderr"
}

# b ARGS...: try brig ARGS...
b() {
    try brig "$@"
}

# ok ARGS...: brig ARGS must succeed (its stdout in $output).
ok() {
    try brig "$@"
    [ "$status" -eq 0 ] || {
        echo "FAILED (status $status): brig $*"
        return 1
    }
}

# refute CMD...: fail if CMD succeeds (a bare `! cmd` does not fail a test).
refute() {
    if "$@"; then
        echo "unexpectedly succeeded: $*"
        return 1
    fi
    return 0
}

# wait_for TRIES CMD...: retry every 50 ms.
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

# expect_error TEXT [STATUS]: the last try failed the brig way: non-zero
# (or exactly STATUS), stderr is ONE line `brig: ...` that contains TEXT.
expect_error() {
    local want=${1:-} code=${2:-}
    [ "$status" -ne 0 ] || { echo "expected a failure, got status 0"; return 1; }
    [ -z "$code" ] || [ "$status" -eq "$code" ] || { echo "status $status, want $code"; return 1; }
    [ "${#stderr_lines[@]}" -eq 1 ] || {
        echo "want one line on stderr, got ${#stderr_lines[@]}: $stderr"
        return 1
    }
    [[ "$stderr" == "brig: "* ]] || { echo "not a brig error line: $stderr"; return 1; }
    [ -z "$want" ] || [[ "$stderr" == *"$want"* ]] || { echo "error lacks \`$want\`: $stderr"; return 1; }
}

# ---- images ------------------------------------------------------------

# build_images: the busybox rootfs tarball and the config image archive
# (tests/engine/build-images.sh), once per bats run under a lock, or the
# ones $BRIG_TEST_IMGDIR already holds (the guest gets them built on the
# host, which has umoci and skopeo).
build_images() {
    if [ -n "${BRIG_TEST_IMGDIR:-}" ]; then
        IMGDIR=$BRIG_TEST_IMGDIR
        [ -f "$IMGDIR/done" ] || { echo "BRIG_TEST_IMGDIR=$IMGDIR holds no built images" >&2; return 1; }
        return 0
    fi
    IMGDIR=$BATS_RUN_TMPDIR/img
    [ -f "$IMGDIR/done" ] && return 0
    (
        flock 9
        [ -f "$IMGDIR/done" ] && exit 0
        "$BATS_TEST_DIRNAME/build-images.sh" "$IMGDIR"
    ) 9>"$BATS_RUN_TMPDIR/img.lock"
}

# ---- per file / per test -------------------------------------------------

# engine_setup_file [cfg]: private stores, busybox imported (and cfgimg
# loaded when asked).
engine_setup_file() {
    build_images
    ETEST=$(mktemp -d /tmp/brig-etest.XXXXXX)
    chmod 755 "$ETEST"
    export ETEST
    export BRIG_STORAGE_ROOT=$ETEST/storage BRIG_RUN_ROOT=$ETEST/run BRIG_CONFIG=""
    mkdir -p "$BRIG_STORAGE_ROOT" "$BRIG_RUN_ROOT"
    "$BRIG" import "$IMGDIR/rootfs.tar" busybox >/dev/null 3>&- || {
        echo "setup: brig import of the busybox rootfs failed" >&2
        return 1
    }
    if [ "${1:-}" = cfg ]; then
        [ -f "$IMGDIR/cfg.tar" ] || {
            echo "setup: no cfg.tar (umoci and skopeo are needed to build it)" >&2
            return 1
        }
        "$BRIG" load -i "$IMGDIR/cfg.tar" >/dev/null 3>&- || {
            echo "setup: brig load -i cfg.tar failed" >&2
            return 1
        }
    fi
    export IMGDIR
}

engine_teardown_file() {
    [ -n "${ETEST:-}" ] || return 0
    remove_all
    local l
    l=$(leaks)
    if [ -n "$l" ]; then
        sleep 0.5
        remove_all
        l=$(leaks)
    fi
    # Nothing may stay mounted before the directory goes.
    grep -F " $ETEST/" /proc/self/mountinfo | awk '{ print $5 }' | sort -r |
        xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$ETEST"
    if [ -n "$l" ]; then
        echo "# LEAKED at the end of $(basename "$BATS_TEST_FILENAME"):" >&3
        printf '# %s\n' "$l" >&3
        return 1
    fi
}

setup() {
    cgroup_ids >"$BATS_TEST_TMPDIR/cg.before"
}

teardown() {
    remove_all
    local l
    l=$(leaks)
    if [ -n "$l" ]; then
        # the monitor of a --rm container may still be finishing
        sleep 0.5
        remove_all
        l=$(leaks)
    fi
    if [ -n "$l" ]; then
        echo "# LEAKED after test:"
        echo "$l"
        return 1
    fi
}

# remove_all: brig rm -f every container (by directory, in case ps is broken).
remove_all() {
    local ids i
    ids=$({
        "$BRIG" ps -a -q --no-trunc 2>/dev/null 3>&-
        for i in "$BRIG_STORAGE_ROOT"/containers/*/; do [ -d "$i" ] && basename "$i"; done
    } | sort -u)
    [ -z "$ids" ] || printf '%s\n' $ids >>"$ETEST/ids"
    for i in $ids; do
        timeout -k 5 30 "$BRIG" rm -f "$i" >/dev/null 2>&1 3>&-
    done
    return 0
}

# cgroup_mounts: every cgroup (v1) and cgroup2 mount point (read once).
CGROUP_MOUNTS=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2") print $5; break } }' \
    /proc/self/mountinfo)
cgroup_mounts() {
    echo "$CGROUP_MOUNTS"
}

# cgroup_ids: the container ids that have a cgroup (brig puts one at
# /brig/<id> in every hierarchy).
cgroup_ids() {
    local m d
    for m in $(cgroup_mounts); do
        for d in "$m"/brig/*/; do
            [ -d "$d" ] || continue
            d=${d%/}
            d=${d##*/}
            [[ "$d" =~ ^[0-9a-f]{64}$ ]] && echo "$d"
        done
    done | sort -u
}

# cgroup_empty ID: no process in the container's cgroup, in any hierarchy.
cgroup_empty() {
    local m f
    for m in $(cgroup_mounts); do
        f=$m/brig/$1/cgroup.procs
        [ -f "$f" ] || continue
        [ -s "$f" ] && [ -n "$(cat "$f" 2>/dev/null)" ] && return 1
    done
    return 0
}

# cgroup_leaks: cgroups of containers that are gone.  Exact for every id
# this file's store ever held ($ETEST/ids, recorded by remove_all); for ids
# that came and went within a test (a failed --rm run), any cgroup that
# appeared during the test and has no process left (other brig users on
# the host run containers, whose cgroups have processes).
cgroup_leaks() {
    local id m
    {
        [ -f "$ETEST/ids" ] && sort -u "$ETEST/ids"
        if [ -f "${BATS_TEST_TMPDIR:-/nonexistent}/cg.before" ]; then
            cgroup_ids | comm -13 "$BATS_TEST_TMPDIR/cg.before" - | while read -r id; do
                cgroup_empty "$id" && echo "$id"
            done
        fi
    } | sort -u | while read -r id; do
        for m in $(cgroup_mounts); do
            [ -d "$m/brig/$id" ] && echo "cgroup left: $m/brig/$id"
        done
    done
    return 0
}

# leaks: print what is left of containers now that all were removed.
leaks() {
    local e
    for e in "$BRIG_STORAGE_ROOT"/containers/* "$BRIG_STORAGE_ROOT"/names/*; do
        [ -e "$e" ] || [ -L "$e" ] || continue
        echo "left in the store: $e"
    done
    grep -F " $BRIG_STORAGE_ROOT/" /proc/self/mountinfo | awk '{ print "mount left: " $5 }'
    for e in "$BRIG_RUN_ROOT"/* "$BRIG_RUN_ROOT"/.[!.]*; do
        [ -e "$e" ] || continue
        case "${e##*/}" in
        # the compiled seccomp programs are a cache shared by containers
        *.lock | @seccomp) continue ;;
        @mcs)
            for r in "$e"/*; do
                [ -e "$r" ] || continue
                case "${r##*/}" in *.lock | lock) continue ;; esac
                echo "MCS reservation left: $r"
            done
            continue
            ;;
        esac
        echo "runtime state left: $e"
    done
    cgroup_leaks
}

# assert_nothing_left: inside a test, after a command that must leave no
# trace (no container, name, mount, state, reservation or cgroup).
assert_nothing_left() {
    local l
    l=$(leaks)
    if [ -n "$l" ]; then
        # a cgroup another brig user is just filling, or a monitor finishing
        sleep 0.5
        l=$(leaks)
    fi
    [ -z "$l" ] || { echo "$l"; return 1; }
    [ -z "$("$BRIG" ps -a -q 2>/dev/null 3>&-)" ] || { echo "containers left: $("$BRIG" ps -a 3>&-)"; return 1; }
}

# ---- containers ----------------------------------------------------------

# state_of CTR: State.Status
state_of() {
    "$BRIG" inspect -f '{{.State.Status}}' "$1" 2>/dev/null 3>&-
}

pid_of() {
    "$BRIG" inspect -f '{{.State.Pid}}' "$1" 2>/dev/null 3>&-
}

# wait_state CTR STATUS [TRIES]
wait_state() {
    wait_for "${3:-100}" eval '[ "$(state_of '"$1"')" = "'"$2"'" ]'
}

# cgroup_dir PID CONTROLLER: PID's cgroup directory for CONTROLLER (on a
# cgroup v2 host the unified one, whatever the controller).
cgroup_dir() {
    local pid=$1 ctrl=$2 line mnt
    if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
        line=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
        echo "/sys/fs/cgroup$line"
        return
    fi
    line=$(awk -F: -v c="$ctrl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' \
        "/proc/$pid/cgroup")
    mnt=$(awk -v c="$ctrl" '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup") { n = split($(i + 3), o, ","); for (k = 1; k <= n; k++) if (o[k] == c) print $5 } break } }' \
        /proc/self/mountinfo | head -1)
    [ -n "$mnt" ] && [ -n "$line" ] || return 1
    echo "$mnt$line"
}

# cgroup_v2: the host runs the unified hierarchy only.
cgroup_v2() {
    [ -f /sys/fs/cgroup/cgroup.controllers ]
}

# cgroup_read PID CONTROLLER V1FILE V2FILE
cgroup_read() {
    local dir
    dir=$(cgroup_dir "$1" "$2") || return 1
    if cgroup_v2; then
        cat "$dir/$4"
    else
        cat "$dir/$3"
    fi
}

# cap_mask NAME...: the CapEff-style hex mask (16 digits) of capabilities.
cap_mask() {
    local m=0 n bit
    for n in "$@"; do
        bit=$(cap_bit "$n") || return 1
        m=$((m | (1 << bit)))
    done
    printf '%016x\n' "$m"
}

cap_bit() {
    case ${1#CAP_} in
    CHOWN) echo 0 ;; DAC_OVERRIDE) echo 1 ;; DAC_READ_SEARCH) echo 2 ;; FOWNER) echo 3 ;;
    FSETID) echo 4 ;; KILL) echo 5 ;; SETGID) echo 6 ;; SETUID) echo 7 ;; SETPCAP) echo 8 ;;
    LINUX_IMMUTABLE) echo 9 ;; NET_BIND_SERVICE) echo 10 ;; NET_BROADCAST) echo 11 ;;
    NET_ADMIN) echo 12 ;; NET_RAW) echo 13 ;; IPC_LOCK) echo 14 ;; IPC_OWNER) echo 15 ;;
    SYS_MODULE) echo 16 ;; SYS_RAWIO) echo 17 ;; SYS_CHROOT) echo 18 ;; SYS_PTRACE) echo 19 ;;
    SYS_PACCT) echo 20 ;; SYS_ADMIN) echo 21 ;; SYS_BOOT) echo 22 ;; SYS_NICE) echo 23 ;;
    SYS_RESOURCE) echo 24 ;; SYS_TIME) echo 25 ;; SYS_TTY_CONFIG) echo 26 ;; MKNOD) echo 27 ;;
    LEASE) echo 28 ;; AUDIT_WRITE) echo 29 ;; AUDIT_CONTROL) echo 30 ;; SETFCAP) echo 31 ;;
    *) echo "cap_bit: unknown capability $1" >&2; return 1 ;;
    esac
}

# DESIGN.md's default capability set.
DEFAULT_CAPS="CHOWN DAC_OVERRIDE FOWNER FSETID KILL NET_BIND_SERVICE SETFCAP SETGID SETPCAP SETUID SYS_CHROOT"

# all_caps_mask: every capability this kernel knows that the caller holds
# in its bounding set: what --privileged and --cap-add ALL give (podman's
# rule; on an ordinary root shell it is every capability).
all_caps_mask() {
    local last bnd
    last=$(cat /proc/sys/kernel/cap_last_cap)
    bnd=$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status)
    printf '%016x\n' $((((1 << (last + 1)) - 1) & 0x$bnd))
}

# status_field FIELD: from `$output` holding a /proc/self/status dump.
status_field() {
    printf '%s\n' "$output" | awk -v f="$1:" '$1 == f { print $2 }'
}
