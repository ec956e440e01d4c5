#!/usr/bin/env bash
# The README's two commands on a fresh Debian 12 root, as TAP.
#
# A machine that has only Debian's minimal system (mmdebstrap's minbase)
# plus git and make gets a copy of this checkout (HEAD plus uncommitted
# changes, no build outputs), and inside it, as root:
#   make demo                  installs what it needs, builds, runs the demo
#   scripts/deps.sh build check    make check's install step (not vm: slow)
#   make check-build           make check's host builds (not the suites),
#                              in the build dir demo configured
#   make install, the installed brig runs a container, make uninstall
# A step that fails because a package is missing says which:
#   not ok 9 - fresh root: make check's builds (make check-build): missing package for cmocka (libcmocka-dev)
#
# The minimal root is built once and cached under
# ${BRIG_FRESH_CACHE:-/var/cache/brig-fresh}/<key>/, key the sha256 of its
# mmdebstrap arguments, the host's Debian sources and the mirror's versions
# of the root's core packages (as tests/vm/build-image.sh keys its image);
# each run works on an overlay over it, discarded afterwards.  The .debs
# apt downloads inside are kept in $cache/archives: packages are installed
# on every run (caching a root with them would defeat the test), downloaded
# once.
#
# Needs root, mmdebstrap (deps.sh vm) and the Debian mirror in the host's
# apt sources.  Usage: fresh-root.sh
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${BRIG_FRESH_CACHE:-/var/cache/brig-fresh}
suite=bookworm
# The root's own packages beyond minbase: what the README assumes a person
# has to get a checkout and run make.
extra=git,make
# Generous bounds, so a hung step fails instead of eating CI's time: the
# first run downloads every package and builds three trees.
step_timeout=${BRIG_FRESH_STEP_TIMEOUT:-2400}
# make check's three builds on the fresh root: the plain build whole (make
# demo configured it without tests), and of the sanitized and fuzz builds
# the targets that prove clang, its sanitizer runtimes and libFuzzer are
# installed and link.  The host's `make check` builds all of them anyway;
# building everything twice cost CI four minutes for nothing new.
CHECK_BUILD_TARGETS='ASAN_TARGETS="src/runtime/brig-runtime src/engine/brig tests/unit/test_core" FUZZ_TARGETS="tests/fuzz/fuzz_spec tests/fuzz/fuzz_layer"'

# ---------------------------------------------------------------------------
# Inside the private mount and pid namespace (the script runs itself there):
# assemble the root, run the steps, each step's output and exit code into
# $out/STEP.log and $out/STEP.rc.  Everything mounted here goes away with the
# namespace, and every process in it dies with this shell, pid 1 of its pid
# namespace.
inside() {
    local base=$1 run=$2 out=$3 root p cmd
    root=$run/root
    set -e
    mount -t overlay overlay -o "lowerdir=$base,upperdir=$run/upper,workdir=$run/work" "$root"
    # A booted machine's /run and /tmp are tmpfs; the checkout and brig's
    # store are on a real disk, as overlayfs cannot be the upper layer of
    # the overlays brig mounts for its containers.
    mkdir -p "$root/root/brig" "$root/var/lib/brig"
    mount --bind "$run/src" "$root/root/brig"
    mount --bind "$run/varlib" "$root/var/lib/brig"
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys" # with the host's cgroup mounts under it
    mount --rbind /dev "$root/dev"
    mount -t tmpfs -o mode=755 tmpfs "$root/run"
    mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
    mount --bind "$cache/archives" "$root/var/cache/apt/archives"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    set +e
    # in_root STEP CMD: CMD as root's login would run it, nothing of this
    # environment but the terminal-free basics.
    in_root() {
        local step=$1 rc start
        shift
        start=$(date +%s)
        timeout -k 10 "$step_timeout" chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            /bin/sh -c "cd /root/brig && $*" >"$out/$step.log" 2>&1
        rc=$?
        echo "$rc" >"$out/$step.rc"
        echo "$step $(($(date +%s) - start)) s" >>"$out/times"
        return "$rc"
    }
    in_root demo 'make demo' &&
        in_root check-deps './scripts/deps.sh build check' &&
        in_root check-build "make check-build $CHECK_BUILD_TARGETS" &&
        in_root unit-tests 'ls build/tests/unit/test_core build-asan/tests/unit/test_core build-fuzz/tests/fuzz/fuzz_spec' &&
        in_root local-before 'find /usr/local | sort' &&
        in_root install 'make install' &&
        in_root local-installed 'find /usr/local ! -type d | sort' &&
        in_root installed-run 'tar -C build/demo/bundle/rootfs -cf /tmp/rootfs.tar . &&
            /usr/local/bin/brig import /tmp/rootfs.tar fresh:1 >/dev/null &&
            /usr/local/bin/brig run --rm fresh:1 /bin/sh -c "echo ran-in-\$(hostname)-as-pid-\$\$" &&
            /usr/local/bin/brig rmi fresh:1 >/dev/null && /usr/local/bin/brig ps -a -q' &&
        in_root uninstall 'make uninstall' &&
        in_root local-after 'find /usr/local | sort'
    # Anything still alive in the pid namespace but this shell (its pid 1)
    # was left behind by a step.  $root/proc is the namespace's proc; /proc
    # here is still the host's.
    for p in "$root"/proc/[0-9]*; do
        [ "${p##*/}" = 1 ] && continue
        cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
        [ -n "$cmd" ] || continue # a zombie not yet reaped
        echo "${p##*/} $cmd"
    done >"$out/left-processes"
}

# ---------------------------------------------------------------------------
# The host's side: the cached root, the run's copy of the checkout, the
# namespace, then one TAP line per step and per check of its output.
main() {
    n=0 failed=0
    ok() { n=$((n + 1)); echo "ok $n - fresh root: $*"; }
    not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - fresh root: $*"; }
    diag() { sed 's/^/# /'; }
    finish() { echo "1..$n"; exit "$failed"; }
    bail() { not_ok "$*"; finish; }

    [ "$(id -u)" = 0 ] || bail "must run as root (mmdebstrap, mounts, chroot)"
    for tool in mmdebstrap unshare chroot git timeout flock; do
        command -v "$tool" >/dev/null || bail "\`$tool\` not found (scripts/deps.sh vm installs mmdebstrap)"
    done

    # core_versions: the mirror's versions, from the host's apt lists, of the
    # packages that make up most of the root; a new point release or security
    # update of them gives a new key, so the root follows the mirror.
    core_versions() {
        apt-cache show --no-all-versions base-files libc6 dpkg apt perl-base git make 2>/dev/null |
            grep -E '^(Package|Version):'
    }
    versions=$(core_versions)
    if ! grep -q '^Package: git' <<<"$versions"; then
        apt-get update -qq >&2 || bail "apt-get update failed"
        versions=$(core_versions)
    fi
    # The host's Debian sources (the mirror this machine reaches), as
    # tests/vm/build-image.sh finds them.
    sources=$("$top/scripts/debian-sources.sh" "${BRIG_FRESH_MIRROR:-}") ||
        bail "no Debian source in the host's apt sources (set BRIG_FRESH_MIRROR)"

    # The root's recipe: the key hashes these arguments rather than the whole
    # script (or deps.sh, whose packages the root must not hold), so editing the
    # steps below does not rebuild a root that would come out the same.
    mmdebstrap_args=(--quiet --variant=minbase --mode=root --include="$extra"
        --aptopt='Acquire::Check-Valid-Until "false"'
        --customize-hook='rm -f "$1"/var/cache/apt/*.bin; rm -rf "$1"/var/lib/apt/lists/*')
    key=$({
        printf '%s\n' "${mmdebstrap_args[@]}" "$suite"
        cat "$sources"
        echo "$versions"
    } | sha256sum | cut -c1-16)
    base=$cache/$key/root
    mkdir -p "$cache/archives/partial"

    # One run at a time per cache: runs share apt's download directory, whose
    # lock apt would refuse to wait for.
    exec 9>"$cache/.lock"
    flock 9

    if [ -f "$cache/$key/done" ]; then
        touch "$cache/$key"
        ok "minimal $suite root (cached, $key)"
    else
        start=$(date +%s)
        rm -rf --one-file-system "${cache:?}/$key"
        mkdir -p "$cache/$key"
        # minbase: the Essential set and apt, nothing of priority important or
        # standard; apt's lists and caches removed, as a fresh machine that has
        # never run apt-get update.
        if ! mmdebstrap "${mmdebstrap_args[@]}" "$suite" "$base" "$sources" \
            >"$cache/$key/mmdebstrap.log" 2>&1; then
            diag <"$cache/$key/mmdebstrap.log" | tail -20
            rm -rf --one-file-system "${cache:?}/$key"
            bail "mmdebstrap $suite minbase failed"
        fi
        touch "$cache/$key/done"
        ok "minimal $suite root (built in $(($(date +%s) - start)) s, $key)"
        # The two most recently used roots stay; older keys are stale inputs.
        ls -dt "$cache"/*/ | grep -v '/archives/$' | tail -n +3 | while read -r old; do
            [ -f "$old/done" ] && rm -rf --one-file-system "$old"
        done
    fi

    run=$(mktemp -d "$cache/.run.XXXXXX")
    out=$run/out
    mkdir -p "$run/upper" "$run/work" "$run/root" "$run/src" "$run/varlib" "$out"
    cleanup() { rm -rf --one-file-system "$run"; }
    trap cleanup EXIT
    trap 'exit 130' INT TERM

    # The checkout as a person would have it: HEAD plus every uncommitted change
    # and new file git does not ignore, through a scratch index so the real one
    # is untouched; no build outputs.
    index=$run/index
    cp "$(git -C "$top" rev-parse --path-format=absolute --git-path index)" "$index" 2>/dev/null
    tree=$(GIT_INDEX_FILE=$index git -C "$top" add -A . && GIT_INDEX_FILE=$index git -C "$top" write-tree) ||
        bail "git: cannot write the working tree's tree"
    git -C "$top" archive "$tree" | tar -C "$run/src" -x || bail "git archive of the checkout failed"

    start=$(date +%s)
    unshare --mount --propagation private --pid --fork --kill-child \
        "$here/fresh-root.sh" --inside "$base" "$run" "$out" >"$out/inside.log" 2>&1
    urc=$?
    elapsed=$(($(date +%s) - start))
    if [ $urc -ne 0 ]; then
        diag <"$out/inside.log" | tail -20
        bail "setting up the root's mounts failed (exit $urc)"
    fi

    # missing LOG: the first thing a missing package leaves in a step's output,
    # as the name of what was looked for.
    missing() {
        sed -nE \
            -e 's/.*Dependency "([^"]+)" not found.*/\1/p' \
            -e "s/.*Program\(s\) \['([^']+)'.*not found.*/\1/p" \
            -e "s/.*Unknown compiler\(s\): \[\['([^']+)'.*/\1/p" \
            -e 's/.*fatal error: ([^:]+): No such file or directory.*/\1/p' \
            -e 's/.*cannot find -l([^ :]+).*/lib\1.a/p' \
            -e "s|.*/usr/bin/env: '([^']+)': No such file.*|\1|p" \
            -e 's/.*: ([^ :]+): (command )?not found$/\1/p' \
            -e 's/^make(\[[0-9]+\])?: ([^ :]+): (Command not found|No such file or directory)$/\2/p' \
            -e 's/.*`([^`]+)` not found.*/\1/p' \
            -e 's/.*Unable to locate package ([^ ]+).*/\1/p' \
            "$1" | head -1
    }

    # package_of WHAT: the Debian package that provides WHAT (a pkg-config
    # name, a command, a header, a path) on this host, where make check has
    # installed them all; empty when the host lacks it too.
    package_of() {
        local p
        for p in "*/pkgconfig/$1.pc" "/usr/bin/$1" "/bin/$1" "/usr/sbin/$1" "/sbin/$1" "*/include/$1" "$1"; do
            case "$p" in *//*) continue ;; esac
            dpkg -S "$p" 2>/dev/null | head -1 | sed -E 's/[:,].*//' | grep . && return 0
        done
        return 0
    }

    # step NAME WHAT: report one step; a failure names the missing package when
    # its output shows one, else shows the output's end.
    step() {
        local name=$1 what=$2 log=$out/$1.log rc x pkg
        if [ ! -f "$out/$name.rc" ]; then
            not_ok "$what: not reached"
            return 1
        fi
        rc=$(cat "$out/$name.rc")
        if [ "$rc" = 0 ]; then
            ok "$what"
            return 0
        fi
        x=$(missing "$log")
        if [ -n "$x" ]; then
            pkg=$(package_of "$x")
            not_ok "$what: missing package for ${x##*/}${pkg:+ ($pkg)}"
        elif [ "$rc" = 124 ]; then
            not_ok "$what: timed out after $step_timeout s"
        else
            not_ok "$what: exited $rc"
        fi
        tail -25 "$log" | diag
        return 1
    }

    # expect LOG WHAT REGEX COUNT: the demo's output shows REGEX on COUNT lines
    # (once for brig run, once for brig-runtime run).
    expect() {
        local got
        got=$(grep -cE "$3" "$1")
        if [ "$got" = "$4" ]; then
            ok "$2"
        else
            not_ok "$2: $got of $4 lines match /$3/"
            grep -E "^(hostname|pid 1|effective caps|seccomp mode|SELinux)" "$1" | diag
        fi
    }

    if step demo "make demo"; then
        log=$out/demo.log
        expect "$log" "make demo: hostname brig-demo" '^hostname: +brig-demo$' 2
        expect "$log" "make demo: the demo's shell is pid 1" '^pid 1: +/bin/sh /demo.sh \(this shell is pid 1\)$' 2
        # DESIGN.md's default set, no more: the order is the kernel's bits.
        caps='chown dac_override fowner fsetid kill setgid setuid setpcap net_bind_service sys_chroot setfcap'
        expect "$log" "make demo: effective caps are DESIGN.md's set" "^effective caps: +$caps\$" 2
        expect "$log" "make demo: seccomp filter mode" '^seccomp mode: +2 ' 2
        # The SELinux line follows the host: this test runs on hosts with and
        # without it, and the root sees the host's selinuxfs through /sys.
        if [ -d /sys/fs/selinux ] && [ -f /sys/fs/selinux/enforce ]; then
            expect "$log" "make demo: SELinux label with an MCS pair" \
                '^SELinux label: +[a-z_]+:[a-z_]+:[a-z_]+:s0:c[0-9]+,c[0-9]+$' 2
        else
            expect "$log" "make demo: says SELinux is not enabled" '^SELinux: +not enabled on this host$' 2
        fi
    fi
    step check-deps "make check's install step (scripts/deps.sh build check)" &&
        step check-build "make check's builds (make check-build)" &&
        step unit-tests "the build dir make demo configured has its unit tests after check-build"
    if step install "make install"; then
        want=$(printf '%s\n' /usr/local/bin/brig /usr/local/bin/brig-runtime \
            /usr/local/share/selinux/packages/brig.cil)
        got=$(grep -vxFf "$out/local-before.log" "$out/local-installed.log")
        if [ "$got" = "$want" ]; then
            ok "make install: brig, brig-runtime and brig.cil, nothing else"
        else
            not_ok "make install: installed files differ from brig, brig-runtime, brig.cil"
            diff <(echo "$want") <(echo "$got") | diag
        fi
    fi
    if step installed-run "the installed brig runs a container"; then
        if grep -qx 'ran-in-.*-as-pid-1' "$out/installed-run.log"; then
            ok "the installed brig's container ran as pid 1 of its own namespace"
        else
            not_ok "the installed brig's container printed no ran-in-...-as-pid-1 line"
            diag <"$out/installed-run.log"
        fi
    fi
    if step uninstall "make uninstall"; then
        if cmp -s "$out/local-before.log" "$out/local-after.log"; then
            ok "make uninstall leaves /usr/local as it was"
        else
            not_ok "make uninstall leaves files under /usr/local"
            diff "$out/local-before.log" "$out/local-after.log" | diag
        fi
    fi

    # Nothing leaks: the steps left no process behind, and no mount of the
    # run's is visible outside its namespace.
    if [ -s "$out/left-processes" ]; then
        not_ok "processes left behind by the steps"
        diag <"$out/left-processes"
    else
        ok "no process left behind by the steps"
    fi
    if grep -qF " $run" /proc/self/mountinfo; then
        not_ok "mounts of the run are left on the host"
        grep -F " $run" /proc/self/mountinfo | diag
    else
        ok "no mount of the run is left on the host"
    fi
    echo "# steps took $elapsed s:" $(paste -sd, "$out/times" 2>/dev/null)
    finish
}

# Whole, before any of it runs: bash reads a script as it goes, and a
# checkout edited while this runs must not change what it does.
{
    if [ "${1:-}" = --inside ]; then
        inside "$2" "$3" "$4"
        exit 0
    fi
    main
    exit
}
