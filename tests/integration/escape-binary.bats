#!/usr/bin/env bats
# CVE-2019-5736 against brig-runtime: a container makes the runtime
# re-execute its own binary inside the container (/bin/true replaced by
# `#!/proc/self/exe`), then reopens that process's /proc/PID/exe for
# writing.  brig-runtime create/run/exec re-execute themselves from a
# read-only clone of their binary first, so the open fails with EROFS and the
# host binary stays as it was.
#
# The attacker is tests/helpers/exe_attacker (static): it holds the runtime's
# process in the dynamic loader (a FIFO for /etc/ld.so.cache), records that
# it saw the process and opened its exe (shared/saw), releases it and tries
# O_WRONLY|O_TRUNC until ETXTBSY clears (shared/result).  The runtime under
# attack is a private copy of $BRIG_RUNTIME, so a successful attack never
# damages the build.
#
#   BRIG_RUNTIME=$PWD/build/src/runtime/brig-runtime bats tests/integration/escape-binary.bats

load helpers

# The attacker of the build under test, else the plain build's (a sanitized
# build cannot link it statically).
ATTACKER=${BRIG_EXE_ATTACKER:-$(dirname "$(dirname "$(dirname "$BRIG_RUNTIME")")")/tests/helpers/exe_attacker}
[ -x "$ATTACKER" ] || ATTACKER=$BRIG_TOP/build/tests/helpers/exe_attacker
LDSO=/lib64/ld-linux-x86-64.so.2

eval "$(declare -f setup | sed '1s/^setup/helpers_setup/')"
eval "$(declare -f teardown | sed '1s/^teardown/helpers_teardown/')"

setup() {
    [ -e "$LDSO" ] || skip "no $LDSO on this host: the attack needs the runtime's loader"
    readelf -l "$BRIG_RUNTIME" | grep -q 'Requesting program interpreter' ||
        skip "$(basename "$BRIG_RUNTIME") is static: the attack holds the runtime in its loader"
    [ -x "$ATTACKER" ] || {
        echo "no attacker program at $ATTACKER (build tests/helpers)"
        return 1
    }
    helpers_setup
    ORIG_RUNTIME=$BRIG_RUNTIME
    RT_COPY=$BATS_TEST_TMPDIR/bin/brig-runtime
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    cp "$ORIG_RUNTIME" "$RT_COPY"
    BRIG_RUNTIME=$RT_COPY
    SUM_BEFORE=$(sha256sum <"$RT_COPY")
    SHARED=$BATS_TEST_TMPDIR/shared
    mkdir -p "$SHARED"
    cp "$ATTACKER" "$SHARED/attacker"
    cp -L "$LDSO" "$SHARED/ld.so"
    private_rootfs
    cfg '.mounts += [{destination: "/shared", type: "bind", source: $s, options: ["rbind", "rw"]}]' \
        --arg s "$SHARED"
    cfg '.process.args = ["/shared/attacker", "/shared", "30"]'
}

teardown() {
    # A successful attack leaves a shell script in the copy: clean up with
    # the build's runtime.
    BRIG_RUNTIME=${ORIG_RUNTIME:-$BRIG_RUNTIME}
    helpers_teardown
}

# wait_file NAME: the attacker wrote shared/NAME (30 s, then fail loudly).
wait_file() {
    wait_for 600 test -f "$SHARED/$1" || {
        echo "the attacker never wrote $1; its log:"
        cat "$BATS_TEST_TMPDIR/$ID.log" 2>/dev/null
        return 1
    }
}

# assert_binary_safe: the attacker reached the runtime's exe, its write was
# refused as read-only (not merely busy), and the binary is unchanged.
assert_binary_safe() {
    wait_file result
    echo "saw: $(cat "$SHARED/saw" 2>/dev/null)"
    echo "result: $(cat "$SHARED/result")"
    [ -s "$SHARED/saw" ] || {
        echo "the attacker never saw the runtime's process"
        return 1
    }
    [ "$(sha256sum <"$RT_COPY")" = "$SUM_BEFORE" ] || {
        echo "the host runtime binary was overwritten from the container"
        return 1
    }
    grep -Eq '^refused (EROFS|EPERM)' "$SHARED/result"
}

@test "escape: exec of a #!/proc/self/exe binary cannot overwrite the runtime" {
    run_detached
    wait_file ready
    # /bin/true is `#!/proc/self/exe`: exec's process re-executes the
    # runtime inside the container; the loader then fails (exit 127).
    try runtime exec "$ID" /bin/true
    assert_binary_safe
}

@test "escape: run whose entrypoint is #!/proc/self/exe cannot overwrite the runtime" {
    run_detached
    wait_file ready
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
    assert_binary_safe
}
