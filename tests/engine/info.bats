#!/usr/bin/env bats
# `brig info` and brig.conf (docs/brig.conf.md): the effective settings from
# the built-in defaults, a BRIG_CONFIG file and BRIG_* variables, the host's
# state, and one clear line for a bad configuration.
#
#   BRIG=build/src/engine/brig bats tests/engine/info.bats

bats_require_minimum_version 1.5.0

BRIG_TOP=${BRIG_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
BRIG=${BRIG:-$BRIG_TOP/build/src/engine/brig}

if [ ! -x "$BRIG" ]; then
    echo "BRIG must name the brig binary (got \`$BRIG\`)" >&2
    exit 1
fi

setup() {
    # Every test runs on its own stores and never reads /etc/brig/brig.conf.
    unset BRIG_STORAGE_ROOT BRIG_RUN_ROOT BRIG_SECCOMP_PROFILE BRIG_LABEL BRIG_STORAGE_DRIVER \
        BRIG_LOG_MAX_SIZE BRIG_LOG_MAX_FILES BRIG_DEFAULT_ULIMITS BRIG_DEFAULT_CAPABILITIES \
        BRIG_LABEL_PROCESS_TYPE BRIG_LABEL_FILE_TYPE
    export BRIG_CONFIG=$BATS_TEST_TMPDIR/brig.conf
    export BRIG_STORAGE_ROOT=$BATS_TEST_TMPDIR/storage
    export BRIG_RUN_ROOT=$BATS_TEST_TMPDIR/run
    : >"$BRIG_CONFIG"
}

brig() {
    timeout -k 5 60 "$BRIG" "$@" 3>&-
}

# field JSON KEY...: one value from `brig info --format json`.
field() {
    jq -r "$2" <<<"$1"
}

@test "info: defaults, the host, and the file that was read" {
    run --separate-stderr brig info
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    [[ "$output" == *"Server Version: "* ]]
    [[ "$output" == *"Config File: $BRIG_CONFIG"* ]]
    [[ "$output" == *"Storage Root: $BRIG_STORAGE_ROOT"* ]]
    [[ "$output" == *"Run Root: $BRIG_RUN_ROOT"* ]]
    [[ "$output" == *"Containers: 0"* ]]
    [[ "$output" == *"Images: 0"* ]]
    [[ "$output" == *" Max Size: 10MiB"* ]]
    [[ "$output" == *" Max Files: 3"* ]]
    [[ "$output" == *"  Profile: builtin"* ]]
    [[ "$output" == *"Default Capabilities: CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_NET_BIND_SERVICE, CAP_SETFCAP, CAP_SETGID, CAP_SETPCAP, CAP_SETUID, CAP_SYS_CHROOT"* ]]
    [[ "$output" == *"Default Ulimits: none"* ]]
    [[ "$output" == *"Kernel Version: $(uname -r)"* ]]
    [[ "$output" == *"Architecture: $(uname -m)"* ]]
}

@test "info: the host's SELinux mode, cgroup layout and overlay support are the real ones" {
    run --separate-stderr brig info --format json
    [ "$status" -eq 0 ]
    json=$output
    # SELinux: what the kernel says (this host: disabled; the guest: enforcing).
    if [ -e /sys/fs/selinux/enforce ]; then
        want=$([ "$(cat /sys/fs/selinux/enforce)" = 1 ] && echo enforcing || echo permissive)
        [ "$(field "$json" .SELinux.Policy)" != null ]
    else
        want=disabled
        [ "$(field "$json" .SELinux.Policy)" = null ]
    fi
    [ "$(field "$json" .SELinux.Mode)" = "$want" ]
    # cgroups, from the filesystem types as brig's detector reads them.
    fstype=$(stat -f -c %T /sys/fs/cgroup)
    if [ "$fstype" = cgroup2fs ]; then
        layout=v2
    elif [ -d /sys/fs/cgroup/unified ] && [ "$(stat -f -c %T /sys/fs/cgroup/unified)" = cgroup2fs ]; then
        layout=hybrid
    else
        layout=v1
    fi
    [ "$(field "$json" .CgroupLayout)" = "$layout" ]
    [ "$(field "$json" .CgroupVersion)" = "$([ $layout = v2 ] && echo 2 || echo 1)" ]
    overlay=$(grep -qw overlay /proc/filesystems && echo true || echo false)
    [ "$(field "$json" .OverlaySupported)" = "$overlay" ]
    [ "$(field "$json" .KernelVersion)" = "$(uname -r)" ]
    [ "$(field "$json" .NCPU)" = "$(nproc)" ]
    [ "$(field "$json" .SeccompSupported)" = true ]
    [ "$(field "$json" '.SecurityOptions[0]')" = "name=seccomp,profile=builtin" ]
}

@test "info: every brig.conf key shows in the effective settings" {
    cat >"$BRIG_CONFIG" <<'EOF'
# a full configuration
[brig]
default_ulimits = ["nofile=1024:4096",
                   "nproc=512"]
default_capabilities = ["CHOWN", "CAP_KILL"]
seccomp_profile = "unconfined"
label = false
label_process_type = "container_logger_t"
label_file_type = "container_file_t"
log_max_size = "64m"
log_max_files = 5
storage_driver = "vfs"
EOF
    run --separate-stderr brig info --format json
    [ "$status" -eq 0 ]
    json=$output
    [ "$(field "$json" .BrigConfig.path)" = "$BRIG_CONFIG" ]
    [ "$(field "$json" .BrigConfig.storage_root)" = "$BRIG_STORAGE_ROOT" ]
    [ "$(field "$json" '.BrigConfig.default_ulimits | join(",")')" = "nofile=1024:4096,nproc=512" ]
    [ "$(field "$json" '.BrigConfig.default_capabilities | join(",")')" = "CAP_CHOWN,CAP_KILL" ]
    [ "$(field "$json" .BrigConfig.seccomp_profile)" = unconfined ]
    [ "$(field "$json" .BrigConfig.label)" = false ]
    [ "$(field "$json" .BrigConfig.label_process_type)" = container_logger_t ]
    [ "$(field "$json" .BrigConfig.label_file_type)" = container_file_t ]
    [ "$(field "$json" .BrigConfig.log_max_size)" = 67108864 ]
    [ "$(field "$json" .BrigConfig.log_max_files)" = 5 ]
    [ "$(field "$json" .BrigConfig.storage_driver)" = vfs ]
    [ "$(field "$json" .Driver)" = vfs ]
    run --separate-stderr brig info
    [[ "$output" == *"Default Ulimits: nofile=1024:4096, nproc=512"* ]]
    [[ "$output" == *"Default Capabilities: CAP_CHOWN, CAP_KILL"* ]]
    [[ "$output" == *"  Labeling: off (label = false)"* ]]
    [[ "$output" == *" Max Size: 64MiB"* ]]
}

@test "info: BRIG_* variables win over the file" {
    printf 'log_max_files = 5\nlabel = true\n' >"$BRIG_CONFIG"
    run --separate-stderr env BRIG_LOG_MAX_FILES=9 BRIG_LABEL=false \
        BRIG_DEFAULT_CAPABILITIES=NET_RAW,SYS_ADMIN BRIG_SECCOMP_PROFILE=/etc/brig/strict.json \
        "$BRIG" info --format json
    [ "$status" -eq 0 ]
    [ "$(field "$output" .BrigConfig.log_max_files)" = 9 ]
    [ "$(field "$output" .BrigConfig.label)" = false ]
    [ "$(field "$output" '.BrigConfig.default_capabilities | join(",")')" = "CAP_NET_RAW,CAP_SYS_ADMIN" ]
    [ "$(field "$output" .BrigConfig.seccomp_profile)" = /etc/brig/strict.json ]
}

@test "info: no configuration file at all is the built-in defaults" {
    BRIG_CONFIG='' run --separate-stderr brig info
    [ "$status" -eq 0 ]
    [[ "$output" == *"Config File: none (built-in defaults)"* ]]
}

@test "brig.conf: a bad file is one line naming the file, the line and the key" {
    printf '# ok\nlog_max_size = "ten"\n' >"$BRIG_CONFIG"
    run --separate-stderr brig info
    [ "$status" -eq 1 ]
    [ -z "$output" ]
    [ "$stderr" = "brig: $BRIG_CONFIG:2: log_max_size: \`ten\` is not a size (like \"10m\")" ]

    printf 'storage_rot = "/x"\n' >"$BRIG_CONFIG"
    run --separate-stderr brig info
    [ "$status" -eq 1 ]
    [ "$stderr" = "brig: $BRIG_CONFIG:1: storage_rot: unknown key" ]

    printf 'default_capabilities = ["CAP_CHOWN", "CAP_SYS_ADMNI"]\n' >"$BRIG_CONFIG"
    run --separate-stderr brig info
    [ "$status" -eq 1 ]
    [ "$stderr" = "brig: $BRIG_CONFIG:1: default_capabilities: unknown capability \`CAP_SYS_ADMNI\`" ]

    printf 'default_ulimits = ["nofile=10:5"]\n' >"$BRIG_CONFIG"
    run --separate-stderr brig info
    [ "$status" -eq 1 ]
    [ "$stderr" = "brig: $BRIG_CONFIG:1: default_ulimits: \`nofile=10:5\`: soft limit is above the hard limit" ]

    printf 'run_root = "relative"\n' >"$BRIG_CONFIG"
    run --separate-stderr brig info
    [ "$status" -eq 1 ]
    [ "$stderr" = "brig: $BRIG_CONFIG:1: run_root: \`relative\` is not an absolute path" ]
}

@test "brig.conf: a missing BRIG_CONFIG file and bad variables are refused" {
    BRIG_CONFIG=$BATS_TEST_TMPDIR/nope.conf run --separate-stderr brig info
    [ "$status" -eq 1 ]
    [ "$stderr" = "brig: read configuration: open \`$BATS_TEST_TMPDIR/nope.conf\`: No such file or directory" ]

    BRIG_LABEL=maybe run --separate-stderr brig info
    [ "$status" -eq 1 ]
    [ "$stderr" = "brig: environment BRIG_LABEL: \`maybe\`: expected true or false" ]

    BRIG_STORAGE_DRIVER=zfs run --separate-stderr brig info
    [ "$status" -eq 1 ]
    [ "$stderr" = "brig: environment BRIG_STORAGE_DRIVER: \`zfs\`: expected \"overlay\" or \"vfs\"" ]
    # Nothing was created for a configuration that was refused.
    [ ! -e "$BRIG_STORAGE_ROOT" ]
}

@test "info: flags" {
    run --separate-stderr brig info --help
    [ "$status" -eq 0 ]
    [[ "$output" == "Usage:  brig info [OPTIONS]"* ]]
    run --separate-stderr brig info --bogus
    [ "$status" -eq 1 ]
    [ "$stderr" = "brig: info: unknown flag: --bogus" ]
    run --separate-stderr brig info --format '{{.Name}}'
    [ "$status" -eq 1 ]
    [ "$stderr" = "brig: info: --format \`{{.Name}}\`: only \`json\` is supported" ]
    run --separate-stderr brig info extra
    [ "$status" -eq 1 ]
    [ "$stderr" = "brig: info: unexpected argument \`extra\`" ]
}
