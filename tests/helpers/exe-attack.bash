# The CVE-2019-5736 attack shared by tests/integration/escape-binary.bats
# (brig-runtime) and tests/engine/escape-binary.bats (brig).
#
# The attacker is tests/helpers/exe_attacker (static): it holds the target's
# process in the dynamic loader (a FIFO for /etc/ld.so.cache), records that
# it saw the process and opened its exe (shared/saw), releases it and tries
# O_WRONLY|O_TRUNC until ETXTBSY clears (shared/result).
#
# Set by exe_attack_prepare: EXE_ATTACK_SHARED (the directory the container
# gets as /shared, holding the attacker and a copy of the loader).

EXE_ATTACK_LDSO=/lib64/ld-linux-x86-64.so.2

# exe_attack_prepare BINARY SHARED: check the attack can be made against
# BINARY, and fill SHARED with the attacker and the loader.  The attack holds
# the binary in its loader: a build that is not dynamically linked, or a
# host without that loader, is a test that must be rewritten, not skipped.
exe_attack_prepare() {
    local bin=$1 attacker
    EXE_ATTACK_SHARED=$2
    # The attacker of the build under test, else the plain build's (a
    # sanitized build cannot link it statically).
    attacker=${BRIG_EXE_ATTACKER:-$(dirname "$(dirname "$(dirname "$bin")")")/tests/helpers/exe_attacker}
    [ -x "$attacker" ] || attacker=$BRIG_TOP/build/tests/helpers/exe_attacker
    [ -x "$attacker" ] || {
        echo "no attacker program at $attacker (build tests/helpers)"
        return 1
    }
    [ -e "$EXE_ATTACK_LDSO" ] || {
        echo "no $EXE_ATTACK_LDSO: the attack holds $(basename "$bin") in its loader; rewrite it for this host"
        return 1
    }
    readelf -l "$bin" | grep -q 'Requesting program interpreter' || {
        echo "$bin is not dynamically linked: the attack holds it in its loader; rewrite it for this build"
        return 1
    }
    mkdir -p "$EXE_ATTACK_SHARED"
    cp "$attacker" "$EXE_ATTACK_SHARED/attacker"
    cp -L "$EXE_ATTACK_LDSO" "$EXE_ATTACK_SHARED/ld.so"
}

# exe_attack_wait NAME LOG-CMD...: the attacker wrote shared/NAME (30 s, then
# fail loudly, showing the container's log through LOG-CMD).
exe_attack_wait() {
    local name=$1
    shift
    wait_for 600 test -f "$EXE_ATTACK_SHARED/$name" || {
        echo "the attacker never wrote $name; the container's log:"
        "$@" 2>&1
        return 1
    }
}

# exe_attack_assert_safe BINARY SUM_BEFORE LOG-CMD...: the attacker reached
# the binary's exe, its write was refused as read-only (not merely busy), and
# the binary is unchanged.
exe_attack_assert_safe() {
    local bin=$1 sum_before=$2
    shift 2
    exe_attack_wait result "$@"
    echo "saw: $(cat "$EXE_ATTACK_SHARED/saw" 2>/dev/null)"
    echo "result: $(cat "$EXE_ATTACK_SHARED/result")"
    [ -s "$EXE_ATTACK_SHARED/saw" ] || {
        echo "the attacker never saw $(basename "$bin")'s process"
        return 1
    }
    [ "$(sha256sum <"$bin")" = "$sum_before" ] || {
        echo "the host binary $(basename "$bin") was overwritten from the container"
        return 1
    }
    grep -Eq '^refused (EROFS|EPERM)' "$EXE_ATTACK_SHARED/result"
}
