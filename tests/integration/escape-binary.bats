#!/usr/bin/env bats
# CVE-2019-5736 against brig-runtime: a container makes the runtime
# re-execute its own binary inside the container (/bin/true replaced by
# `#!/proc/self/exe`), then reopens that process's /proc/PID/exe for
# writing.  brig-runtime create/run/exec re-execute themselves from a
# read-only clone of their binary first, so the open fails with EROFS and the
# host binary stays as it was.
#
# The attack is tests/helpers/exe-attack.bash.  The runtime under attack is
# a private copy of $BRIG_RUNTIME, so a successful attack never damages the
# build.
#
#   BRIG_RUNTIME=$PWD/build/src/runtime/brig-runtime bats tests/integration/escape-binary.bats

load helpers
load ../helpers/exe-attack

eval "$(declare -f setup | sed '1s/^setup/helpers_setup/')"
eval "$(declare -f teardown | sed '1s/^teardown/helpers_teardown/')"

setup() {
    exe_attack_prepare "$BRIG_RUNTIME" "$BATS_TEST_TMPDIR/shared" || return 1
    helpers_setup
    ORIG_RUNTIME=$BRIG_RUNTIME
    RT_COPY=$BATS_TEST_TMPDIR/bin/brig-runtime
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    cp "$ORIG_RUNTIME" "$RT_COPY"
    BRIG_RUNTIME=$RT_COPY
    SUM_BEFORE=$(sha256sum <"$RT_COPY")
    private_rootfs
    cfg '.mounts += [{destination: "/shared", type: "bind", source: $s, options: ["rbind", "rw"]}]' \
        --arg s "$EXE_ATTACK_SHARED"
    cfg '.process.args = ["/shared/attacker", "/shared", "30"]'
}

teardown() {
    # A successful attack leaves a shell script in the copy: clean up with
    # the build's runtime.
    BRIG_RUNTIME=${ORIG_RUNTIME:-$BRIG_RUNTIME}
    helpers_teardown
}

container_log() { cat "$BATS_TEST_TMPDIR/$ID.log"; }

@test "escape: exec of a #!/proc/self/exe binary cannot overwrite the runtime" {
    run_detached
    exe_attack_wait ready container_log
    # /bin/true is `#!/proc/self/exe`: exec's process re-executes the
    # runtime inside the container; the loader then fails (exit 127).
    try runtime exec "$ID" /bin/true
    exe_attack_assert_safe "$RT_COPY" "$SUM_BEFORE" container_log
}

@test "escape: run whose entrypoint is #!/proc/self/exe cannot overwrite the runtime" {
    run_detached
    exe_attack_wait ready container_log
    # A second container in the attacker's pid namespace, on the same
    # rootfs: its init executes the `#!/proc/self/exe` entrypoint itself.
    local apid bundle2=$BATS_TEST_TMPDIR/bundle2
    apid=$(pid_of)
    mkdir -p "$bundle2"
    jq --arg r "$BUNDLE/rootfs" --arg ns "/proc/$apid/ns/pid" \
        '.root.path = $r | .process.args = ["/bin/true"] |
         .linux.namespaces = [.linux.namespaces[] | if .type == "pid" then .path = $ns else . end]' \
        "$BUNDLE/config.json" >"$bundle2/config.json"
    try runtime run --bundle "$bundle2" "$ID-run"
    exe_attack_assert_safe "$RT_COPY" "$SUM_BEFORE" container_log
}
