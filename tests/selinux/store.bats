#!/usr/bin/env bats
# bats file_tags=selinux
#
# SVirt as users meet it: the engine's default store (/var/lib/brig), run
# root (/run/brig) and brig's shipped policy, on an enforcing host.  Image
# layers carry the read-only container type from the moment they are
# unpacked (the kernel checks a container's mmap/mprotect against the real
# layer inode, not overlay's context= view), the rest of the store a type
# no container reaches, and the policy's file contexts agree with both, so
# restorecon keeps them.  A container's domain runs only container files:
# host binaries are data to it.

load ../integration/helpers
load svirt-helpers
load engine-helpers

DYN=brigdyn

setup_file() {
    engine_setup_file
    [ -e /sys/fs/selinux/enforce ] && [ -x "$BRIG" ] || return 0
    # A dynamically linked image: the guest's own cat and id with the
    # libraries and loader ldd names, so ld.so maps and mprotects layer
    # files (what failed with the store's type on them).
    local r=$BATS_FILE_TMPDIR/dyn f
    mkdir -p "$r/usr/bin" "$r/proc" "$r/sys" "$r/dev" "$r/etc"
    cp /usr/bin/id /usr/bin/cat "$r/usr/bin/"
    for f in $({ ldd /usr/bin/id && ldd /usr/bin/cat; } | grep -o '/[^ ]*' | sort -u); do
        mkdir -p "$r$(dirname "$f")"
        cp -L "$f" "$r$f"
    done
    echo 'root:x:0:0:root:/:/bin/sh' >"$r/etc/passwd"
    echo 'root:x:0:' >"$r/etc/group"
    tar -C "$r" --numeric-owner -cf "$BATS_FILE_TMPDIR/dyn.tar" .
    brig import "$BATS_FILE_TMPDIR/dyn.tar" "$DYN" >&2
}

# run_label DRIVER IMG CMD...: `brig run --rm` with every default but the
# storage driver; the container's own label on stdout.
run_label() {
    local driver=$1
    shift
    run brig_driver "$driver" run --rm "$@"
    echo "$driver: status $status, output: $output"
    [ "$status" -eq 0 ] || { kernel_avcs | tail -5; return 1; }
    [[ "$output" =~ ^$PROC_T:s0:c[0-9]+,c[0-9]+$ ]]
}

# layer_busybox: the busybox binary in the store's busybox image layer.
layer_busybox() {
    find "$STORE"/image/layers/*/diff -type f -name busybox | head -1
}

# brig_driver DRIVER ARGS...: brig with that storage driver.  fd 3 is closed
# inside, not on `run`: bats 1.8 reports a 127 (a container whose exec
# failed) through fd 3, and a test whose `run` had it closed vanishes.
brig_driver() {
    local d=$1
    shift
    BRIG_STORAGE_DRIVER=$d timeout -k 5 "${BRIG_TEST_TIMEOUT:-60}" "$BRIG" "$@" 3>&-
}

kernel_avcs() {
    dmesg | grep 'avc: *denied' || true
}

@test "store: a static image runs confined from the default store (overlay and vfs)" {
    [ "$STORE" = /var/lib/brig ]
    run_label overlay "$IMG" cat /proc/self/attr/current
    run_label vfs "$IMG" cat /proc/self/attr/current
}

@test "store: a dynamically linked image runs confined from the default store (overlay and vfs)" {
    run_label overlay "$DYN" /usr/bin/cat /proc/self/attr/current
    run_label vfs "$DYN" /usr/bin/cat /proc/self/attr/current
    run brig_driver overlay run --rm "$DYN" /usr/bin/id
    echo "id: $status $output"
    [ "$status" -eq 0 ]
    [[ "$output" == "uid=0(root) gid=0(root)"* ]]
}

@test "store: layer files carry the read-only container type at s0, the rest the store type" {
    local layer f
    layer=$(layer_busybox)
    layer=${layer%%/diff/*}/diff
    [ -n "$layer" ]
    for f in "$layer" "$layer/bin" "$layer/etc/passwd" "$(layer_busybox)"; do
        [ -e "$f" ] || continue
        echo "$f: $(file_label "$f")"
        [ "$(file_label "$f")" = "system_u:object_r:${RO_FILE_T:-brig_container_ro_file_t}:s0" ]
    done
    for f in "$STORE" "$STORE/image" "$STORE/image/layers" "$(dirname "$layer")/size" "$STORE/containers"; do
        echo "$f: $(file_label "$f")"
        [[ "$(file_label "$f")" == *:brig_store_t:s0 ]]
    done
}

@test "store: restorecon -Rn /var/lib/brig changes nothing after import and run" {
    run_d "$N" "$IMG" sleep 1000
    run restorecon -Rnv "$STORE"
    echo "restorecon: status $status, output: $output"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
    brig rm -f "$N" >/dev/null
    run restorecon -Rnv "$STORE"
    echo "restorecon after rm: $output"
    [ -z "$output" ]
}

@test "store: a container's domain runs its rootfs binaries, never the host's /usr/bin/id" {
    local bb
    # The busybox binary itself (bin/busybox may be a symlink to an
    # absolute path, which would resolve to the host's).
    bb=$(layer_busybox)
    [ -f "$bb" ] && [ ! -L "$bb" ]
    # Its own rootfs binary runs in the container's domain...
    run sh -c "cd / && runcon -t ${PROC_T##*:} -l s0:c7,c8 '$bb' cat /proc/self/attr/current"
    echo "own: $status $output"
    [ "$status" -eq 0 ]
    [ "$output" = "$PROC_T:s0:c7,c8" ]
    # ...the host's binary does not, and the kernel says why.
    run sh -c "cd / && runcon -t ${PROC_T##*:} -l s0:c7,c8 '$bb' sh -c 'exec /usr/bin/id'"
    echo "host: $status $output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"Permission denied"* ]]
    wait_for 100 eval "kernel_avcs | grep -q 'denied  *{ execute } .*name=\"id\".*scontext=$PROC_T:s0:c7,c8 tcontext=system_u:object_r:bin_t:s0 tclass=file'"
    kernel_avcs | grep 'name="id".*c7,c8' | tail -1
}

@test "store: brig selinux status names a store whose layers lost their label, and restorecon fixes it" {
    local layer
    layer=$(layer_busybox)
    layer=${layer%%/diff/*}/diff
    run brig selinux status
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" != *"store's labels are wrong"* ]]
    # What a store unpacked before brig labelled it looks like.
    chcon -R -t var_lib_t "$layer"
    # (A confined run from such a layer is denied when a binary is mapped
    # from it through overlayfs; whether this static busybox meets that
    # check depends on the page cache, so it is shown, not asserted.)
    run brig_driver overlay run --rm "$IMG" cat /proc/self/attr/current
    echo "mislabelled: status $status: $output"
    run brig selinux status
    echo "$output"
    [[ "$output" == *"store's labels are wrong: \`$layer\` is system_u:object_r:var_lib_t:s0"*"fix: restorecon -R /var/lib/brig"* ]]
    restorecon -R /var/lib/brig
    run brig selinux status
    [[ "$output" != *"store's labels are wrong"* ]]
    run_label overlay "$IMG" cat /proc/self/attr/current
}
