# shellcheck shell=bash disable=SC2016,SC2154 # jq programs are single-quoted; bats sets output
# Helpers for the SVirt suite (tests/selinux/*.bats), on top of
# tests/integration/helpers.bash (load that first).
#
# These tests only mean something on a host with SELinux enforcing: in the
# test guest (tests/vm, BRIG_VM=1) a missing or permissive SELinux is a
# failure; elsewhere the tests are skipped with the reason.  Every denial a
# test claims is proven twice: the access fails with "Permission denied",
# and the kernel log (no auditd: avc records are in dmesg) has an
# `avc:  denied` record naming the container's context since the test's mark.

# The integration helpers' setup/teardown, kept under other names so ours
# can wrap them.
eval "helpers_$(declare -f setup)"
eval "helpers_$(declare -f teardown)"

# shellcheck disable=SC2034 # used by the .bats files
FILE_T=system_u:object_r:brig_container_file_t
# shellcheck disable=SC2034
PROC_T=system_u:system_r:brig_container_t
# shellcheck disable=SC2034
SPC_T=system_u:system_r:brig_spc_t
# A level with a private category pair, as the allocator hands them out.
PAIR_RE='^s0:c([0-9]+),c([0-9]+)$'

svirt_require() {
    local why=
    if [ ! -e /sys/fs/selinux/enforce ]; then
        why="SELinux is not enabled"
    elif [ "$(cat /sys/fs/selinux/enforce)" != 1 ]; then
        why="SELinux is not enforcing"
    elif [ "$(cat /sys/fs/selinux/mls)" != 1 ]; then
        why="the loaded policy has no MCS"
    fi
    if [ -n "$why" ]; then
        # The guest exists to run these: there, a missing feature is a bug.
        [ -z "${BRIG_VM:-}" ] || { echo "$why in the test guest" >&2; return 1; }
        skip "$why on this host (the SVirt suite runs in the tests/vm guest)"
    fi
    brig_only "SVirt labelling"
    command -v getfattr >/dev/null || command -v stat >/dev/null
}

setup() {
    svirt_require
    helpers_setup
}

teardown() {
    local rc=0 left
    # A test that switched to permissive mode must never leave it so.
    if [ -n "${SVIRT_RESTORE_ENFORCE:-}" ]; then
        setenforce 1 || rc=1
    fi
    [ -n "${ROOT:-}" ] || return $rc
    cleanup_all
    left=$(mcs_reservations)
    if [ -n "$left" ]; then
        echo "# MCS reservations left after delete -f of every container:" >&2
        printf '%s\n' "$left" | sed 's/^/#   /' >&2
        rc=1
    fi
    # The reservation directory is the allocator's, not a container's: do
    # not let the integration helpers count it as a leaked state entry.
    rm -rf "$ROOT/@mcs"
    helpers_teardown || rc=1
    return $rc
}

# mcs_reservations: "PAIR=OWNER" for every reservation under $ROOT/@mcs.
mcs_reservations() {
    local f
    for f in "$ROOT"/@mcs/c*; do
        [ -f "$f" ] || continue
        printf '%s=%s\n' "$(basename "$f")" "$(tr -d '\n' <"$f")"
    done
}

# mcs_owned_by ID: the pairs reserved for container ID.
mcs_owned_by() {
    mcs_reservations | sed -n "s/^\(c[0-9]*,c[0-9]*\)=$1\$/\1/p"
}

# assert_nothing_left (replacing the integration helpers'): also no MCS
# reservation; the empty reservation directory is the allocator's, not a
# container's leftover.
assert_nothing_left() {
    local l
    l=$({
        mcs_reservations | sed 's/^/reservation left: /'
        leaks | grep -vFx "state entry left: $ROOT/@mcs"
    } || true)
    [ -z "$l" ] || { echo "$l"; return 1; }
    [ -z "$("$BRIG_RUNTIME" --root "$ROOT" list -q 2>/dev/null 3>&-)" ] ||
        { echo "containers left: $(runtime list -q)"; return 1; }
}

# new_bundle NAME [rw]: a bundle $BATS_TEST_TMPDIR/NAME on the shared
# read-only template, or with its own writable copy of it.
new_bundle() {
    local dir=$BATS_TEST_TMPDIR/$1
    "$MKBUNDLE" --shared-rootfs "$TEMPLATE" "$dir" >&2
    if [ "${2:-}" = rw ]; then
        cp -a --reflink=auto "$TEMPLATE" "$dir/rootfs"
        bcfg "$dir" '.root = {path: "rootfs", readonly: false}'
    fi
}

# bcfg DIR FILTER [JQ-ARGS...]: edit DIR/config.json in place.
bcfg() {
    local dir=$1 filter=$2
    shift 2
    jq "$@" "$filter" "$dir/config.json" >"$dir/config.json.new" &&
        mv "$dir/config.json.new" "$dir/config.json"
}

# bcmd DIR SCRIPT: that bundle's container runs `sh -c SCRIPT`.
bcmd() {
    bcfg "$1" '.process.args = ["sh", "-c", $s]' --arg s "$2"
}

# bind DIR SRC DEST [OPTION...]: add a bind mount to DIR's config.
bind() {
    local dir=$1 src=$2 dest=$3
    shift 3
    local opts
    opts=$(jq -cn '["rbind"] + $ARGS.positional' --args "$@")
    bcfg "$dir" '.mounts += [{destination: $d, type: "bind", source: $s, options: $o}]' \
        --arg d "$dest" --arg s "$src" --argjson o "$opts"
}

# annotate DIR KEY VALUE: set an annotation (brig's label options).
annotate() {
    bcfg "$1" '.annotations[$k] = $v' --arg k "$2" --arg v "$3"
}

# proc_label ID / mount_label ID: the labels `state` reports.
proc_label() {
    runtime state "$1" | jq -r '.selinuxProcessLabel // empty'
}
mount_label() {
    runtime state "$1" | jq -r '.selinuxMountLabel // empty'
}

# level_of CONTEXT: its MLS part ("s0:c1,c2" of "u:r:t:s0:c1,c2").
level_of() {
    printf '%s\n' "$1" | cut -d: -f4-
}

# file_label PATH: the SELinux label of PATH on the host (not following a
# final symlink).
file_label() {
    stat -c %C "$1"
}

# is_pair LEVEL: LEVEL is s0:cX,cY with X < Y, both within c0..c1023.
is_pair() {
    [[ "$1" =~ $PAIR_RE ]] || { echo "\`$1\` is not s0:cX,cY"; return 1; }
    local x=${BASH_REMATCH[1]} y=${BASH_REMATCH[2]}
    if [ "$x" -ge "$y" ] || [ "$y" -gt 1023 ]; then
        echo "\`$1\`: want X < Y <= 1023"
        return 1
    fi
}

# pair_file LEVEL: the reservation file name of LEVEL ("c1,c2").
pair_file() {
    printf '%s\n' "${1#s0:}"
}

# wait_file PATH [TRIES]: wait (50 ms steps) for PATH to exist.
wait_file() {
    wait_for "${2:-200}" test -e "$1"
}

# --- the kernel log -------------------------------------------------------

# kmark: mark the kernel log; avc_since_mark prints the avc denials after it.
kmark() {
    KMARK="svirt-mark-$$-$RANDOM-$BATS_SUITE_TEST_NUMBER"
    echo "$KMARK" >/dev/kmsg
}
avc_since_mark() {
    dmesg | sed -n "/$KMARK\$/,\$p" | grep -E 'avc: +denied'
}

# expect_avc STRING...: an avc denial since the mark contains every STRING
# (fixed strings; end a context with a space to match it exactly).  The
# audit record reaches the log asynchronously: wait up to ~3 s for it.
expect_avc() {
    local tries=60 lines s
    while :; do
        lines=$(avc_since_mark)
        for s in "$@"; do
            lines=$(printf '%s\n' "$lines" | grep -F -e "$s")
        done
        [ -n "$lines" ] && { printf 'avc: %s\n' "$lines" | head -3; return 0; }
        tries=$((tries - 1))
        [ $tries -gt 0 ] || break
        sleep 0.05
    done
    echo "no avc denial since the mark with all of:"
    printf '  [%s]\n' "$@"
    echo "avc denials since the mark:"
    avc_since_mark | tail -20
    return 1
}

# --- attempts made inside a container ------------------------------------

# The shell code a container sources to report attempts as
# "NAME|STATUS|OUTPUT" lines, one per attempt, so one container can try
# many accesses and the test checks each.
# shellcheck disable=SC2034
ATTEMPT_SH='attempt() { n=$1; shift; o=$("$@" 2>&1); r=$?; echo "$n|$r|$(echo $o)"; }'

# attempt_line NAME: the line of that attempt in $output.
attempt_line() {
    printf '%s\n' "$output" | grep -m1 "^$1|" || { echo "no attempt \`$1\` in the output"; return 1; }
}

# denied NAME: the attempt failed with EACCES.
denied() {
    local l
    l=$(attempt_line "$1") || return 1
    echo "$l"
    [[ "$l" != "$1|0|"* ]] || { echo "attempt \`$1\` succeeded"; return 1; }
    [[ "$l" == *"Permission denied"* ]] || { echo "attempt \`$1\` failed, but not with EACCES"; return 1; }
}

# allowed NAME [WANT]: the attempt succeeded (and printed WANT).
allowed() {
    local l
    l=$(attempt_line "$1") || return 1
    echo "$l"
    [[ "$l" == "$1|0|"* ]] || { echo "attempt \`$1\` failed"; return 1; }
    [ -z "${2:-}" ] || [ "$l" = "$1|0|$2" ] || { echo "attempt \`$1\`: want \`$2\`"; return 1; }
}
