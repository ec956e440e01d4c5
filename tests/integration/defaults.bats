#!/usr/bin/env bats
# The runtime as shipped: the config `brig-runtime spec` writes, and the
# default state root (/run/brig), with nothing a test would normally adjust.

load helpers

@test "spec's own config.json runs a container as written (terminal off, args changed only)" {
    d=$BATS_TEST_TMPDIR/specbundle
    mkdir -p "$d"
    ln -s "$TEMPLATE" "$d/rootfs"
    (cd "$d" && "$BRIG_RUNTIME" spec)
    [ -f "$d/config.json" ]
    # spec writes an interactive `sh` with a terminal (runc's default); a
    # test has no terminal, so only those two fields change.
    jq '.process.terminal = false | .process.args = ["sh", "-c", "cat /proc/self/status; hostname"]' \
        "$d/config.json" >"$d/c" && mv "$d/c" "$d/config.json"
    try runtime run --bundle "$d" "$ID"
    [ "$status" -eq 0 ]
    # Like runc's, spec's config carries no seccomp profile: no filter.
    grep -q '^Seccomp:[[:space:]]*0' <<<"$output"
    grep -q '^NoNewPrivs:[[:space:]]*1' <<<"$output"
    # The capability set spec writes is the one the process has.
    want=$(jq -r '.process.capabilities.effective | length' "$d/config.json")
    have=$(awk '$1 == "CapEff:" { print $2 }' <<<"$output")
    [ "$(python3 -c "print(bin(int('$have', 16)).count('1'))")" = "$want" ]
    [ "${lines[-1]}" = "$(jq -r .hostname "$d/config.json")" ]
}

@test "the default state root /run/brig: create, list, state and delete without --root" {
    cmd 'sleep 1000'
    id=$ID-defroot
    "$BRIG_RUNTIME" create --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
    [ -f "/run/brig/$id/state.json" ]
    "$BRIG_RUNTIME" list -q | grep -qx "$id"
    [ "$("$BRIG_RUNTIME" state "$id" | jq -r .status)" = created ]
    "$BRIG_RUNTIME" delete --force "$id"
    [ ! -e "/run/brig/$id" ]
    ! "$BRIG_RUNTIME" list -q | grep -qx "$id"
}
