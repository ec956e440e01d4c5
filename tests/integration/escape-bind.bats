#!/usr/bin/env bats
# Bind sources redirected through symlinks (a container escape runc and crun
# allow): container A, given a shared host directory read-write, replaces
# `sub` by a symlink to a host directory; container B, whose config binds
# SHARED/sub, must not get that host directory.  brig-runtime opens every
# bind source with no symlink followed and mounts that fd, so the source is
# refused (one line naming the path and the symlink) or is the directory it
# was, never the symlink's target.

load helpers

# bundle_b: a second bundle ($BUNDLE_B) sharing the template rootfs.
bundle_b() {
    BUNDLE_B=$BATS_TEST_TMPDIR/bundle-b
    "$MKBUNDLE" --shared-rootfs "$TEMPLATE" "$BUNDLE_B"
    if [ "${BRIG_TEST_SVIRT:-}" = off ]; then
        cfg_b '.annotations["io.brig.selinux.auto"] = "false"'
    fi
}

cfg_b() { CFG_BUNDLE=$BUNDLE_B cfg "$@"; }

# bind_b SRC DST: append a bind of SRC at DST to bundle B; prints its index.
bind_b() {
    cfg_b '.mounts += [{destination: $d, type: "bind", source: $s, options: ["rbind", "rw"]}]' \
        --arg s "$1" --arg d "$2"
    jq '.mounts | length - 1' "$BUNDLE_B/config.json"
}

setup_file() {
    # A host directory standing for what no container was given: its marker
    # must never be readable from a container.
    export SECRET=$BATS_FILE_TMPDIR/host-secret
    mkdir -p "$SECRET"
    echo "SECRET-CONTENT-$RANDOM" >"$SECRET/marker"
}

@test "escape-bind: container A plants a symlink in a shared dir; B's bind of it is refused" {
    local shared=$BATS_TEST_TMPDIR/shared idx
    mkdir -p "$shared/sub"
    echo innocent >"$shared/sub/marker"
    # Container A: the shared dir read-write at /shared; it swaps sub for a
    # symlink whose text names a host path (absolute symlinks resolve on the
    # host when the host follows them).
    cfg '.mounts += [{destination: "/shared", type: "bind", source: $s, options: ["rbind", "rw"]}]' \
        --arg s "$shared"
    cmd "rm -rf /shared/sub && ln -s '$SECRET' /shared/sub && echo planted"
    try runtime run "$ID"
    [ "$status" -eq 0 ]
    [ "$output" = planted ]
    # The attack is in place: on the host, SHARED/sub now leads to the secret.
    [ -L "$shared/sub" ]
    [ "$(cat "$shared/sub/marker")" = "$(cat "$SECRET/marker")" ]

    bundle_b
    idx=$(bind_b "$shared/sub" /x)
    cfg_b '.process.args = ["sh", "-c", "cat /x/marker"]'
    try runtime run --bundle "$BUNDLE_B" "$ID-b"
    [[ "$output" != *SECRET-CONTENT* ]]
    [[ "$stderr" != *SECRET-CONTENT* ]]
    expect_error "mounts[$idx].source \"$shared/sub\": \"$shared/sub\" is a symlink; bind sources are not followed through symlinks"
    [[ "$stderr" == *"resolves to \"$SECRET\""* ]]
}

@test "escape-bind: a symlink in the middle of a source path is refused, naming that component" {
    local shared=$BATS_TEST_TMPDIR/shared idx
    mkdir -p "$shared"
    ln -s "$SECRET/.." "$shared/link"
    [ -e "$shared/link/host-secret/marker" ]
    bundle_b
    idx=$(bind_b "$shared/link/host-secret" /x)
    cfg_b '.process.args = ["sh", "-c", "cat /x/marker"]'
    try runtime run --bundle "$BUNDLE_B" "$ID-b"
    [[ "$output" != *SECRET-CONTENT* ]]
    expect_error "mounts[$idx].source \"$shared/link/host-secret\": \"$shared/link\" is a symlink"
}

@test "escape-bind: a plain bind source still works, read-write" {
    local shared=$BATS_TEST_TMPDIR/shared
    mkdir -p "$shared/sub"
    echo plain >"$shared/sub/marker"
    bundle_b
    bind_b "$shared/sub" /x >/dev/null
    cfg_b '.process.args = ["sh", "-c", "cat /x/marker && echo written >/x/out"]'
    try runtime run --bundle "$BUNDLE_B" "$ID-b"
    [ "$status" -eq 0 ]
    [ "$output" = plain ]
    [ "$(cat "$shared/sub/out")" = written ]
}

@test "escape-bind: sub swapped between a dir and a symlink during 50 creates never exposes the target" {
    local shared=$BATS_TEST_TMPDIR/shared stop swapper
    local as_dir=0 as_link=0 other=0 runs=0
    mkdir -p "$shared/dir"
    echo in-dir >"$shared/dir/marker"
    bundle_b
    bind_b "$shared/sub" /x >/dev/null
    cfg_b '.process.args = ["sh", "-c", "cat /x/marker"]'
    # The swapper: sub and swap trade places with renameat2(RENAME_EXCHANGE)
    # in a tight loop, so sub is always there and is, by turns, the
    # directory and a symlink to the secret.  Bounded by a count and by the
    # stop file.  A compiled loop (gcc is in the build set): a shell loop
    # swaps too slowly to ever land between a check and a use.
    ln -s "$SECRET" "$shared/swap"
    mv "$shared/dir" "$shared/sub"
    cat >"$BATS_TEST_TMPDIR/swapper.c" <<'EOC'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    int d = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0)
        return 1;
    for (long i = 0; i < 200000000L; i++) {
        if ((i & 1023) == 0 && faccessat(d, "stop", F_OK, 0) == 0)
            break;
        if (renameat2(d, "sub", d, "swap", RENAME_EXCHANGE) < 0)
            return 2;
    }
    return 0;
}
EOC
    cc -O2 -o "$BATS_TEST_TMPDIR/swapper" "$BATS_TEST_TMPDIR/swapper.c"
    stop=$shared/stop
    TEARDOWN_EXTRA="touch '$stop'"
    "$BATS_TEST_TMPDIR/swapper" "$shared" 3>&- &
    swapper=$!
    # 50 creates at least; more (up to 200) until both outcomes were seen,
    # so the test proves the race was really run both ways.
    while [ "$runs" -lt 50 ] || { [ "$runs" -lt 200 ] && { [ "$as_dir" -eq 0 ] || [ "$as_link" -eq 0 ]; }; }; do
        runs=$((runs + 1))
        try runtime run --bundle "$BUNDLE_B" "$ID-b$runs"
        if [[ "$output$stderr" == *SECRET-CONTENT* ]]; then
            touch "$stop"
            wait "$swapper" || true
            echo "run $runs saw the symlink's target"
            false
        fi
        if [ "$status" -eq 0 ] && [ "$output" = in-dir ]; then
            as_dir=$((as_dir + 1))
        elif [[ "$stderr" == *"\"$shared/sub\" is a symlink"* ]]; then
            as_link=$((as_link + 1))
        else
            other=$((other + 1))
        fi
        runtime delete --force "$ID-b$runs" >/dev/null 2>&1 || true
    done
    touch "$stop"
    wait "$swapper" || true
    echo "# $runs creates: $as_dir saw the directory, $as_link refused the symlink, $other other outcomes" >&3
    [ "$as_dir" -gt 0 ]
    [ "$as_link" -gt 0 ]
}
