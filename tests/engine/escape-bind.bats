#!/usr/bin/env bats
# The engine's side of the bind-source rule (see
# tests/integration/escape-bind.bats): the path a user types for -v or
# --mount is resolved once, at create, as docker does, so a symlink the user
# typed (`-v /var/run/x:/x`, /var/run -> /run) works; the runtime then
# refuses a symlink that appears in the resolved path later.

load engine-helpers

setup_file() {
    engine_setup_file
}

teardown_file() {
    engine_teardown_file
}

@test "escape-bind: brig run -v through a symlink the user typed works (resolved once)" {
    local real=$BATS_TEST_TMPDIR/real link=$BATS_TEST_TMPDIR/varrun
    mkdir -p "$real/x"
    echo through-link >"$real/x/marker"
    # As /var/run -> /run on Debian: a symlinked parent in what was typed.
    ln -s "$real" "$link"
    ok run --rm -v "$link/x:/x" busybox cat /x/marker
    [ "$output" = through-link ]
    ok run --rm --mount "type=bind,source=$link/x,target=/x" busybox cat /x/marker
    [ "$output" = through-link ]
}
