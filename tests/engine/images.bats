#!/usr/bin/env bats
# brig's image verbs as a user types them (issue 4, section 1): load of
# docker-archive, oci-archive (skopeo, podman save) and OCI layout
# directories made by the real tools, import, images, tag, rmi; the round
# trip of modes, owners, xattrs, file capabilities, hard links, device
# nodes, symlinks and whiteouts; bad archives refused with the store left
# as it was; concurrent loads and a load killed with -9.
#
#   BRIG=build/src/engine/brig bats tests/engine/images.bats
#
# Every test gets an empty store of its own, so "unchanged" is exact.

load engine-helpers

# ---- fixtures, built once per file with umoci and skopeo ----------------

setup_file() {
    F=$BATS_FILE_TMPDIR/fx
    export F
    mkdir -p "$F/r/bin" "$F/r/etc" "$F/r/usr/bin" "$F/r/dev" "$F/r/opt/old" "$F/r/var" \
        "$F/r/home/app" "$F/newopt"
    local r=$F/r
    cp /bin/busybox "$r/bin/busybox"
    ln -s busybox "$r/bin/sh"
    ln "$r/bin/busybox" "$r/bin/hl"
    echo hello >"$r/etc/motd"
    python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.brig", b"kept")' "$r/etc/motd"
    echo s >"$r/etc/secret"
    chown 33:33 "$r/etc/secret"
    chmod 600 "$r/etc/secret"
    cp /bin/busybox "$r/usr/bin/su"
    chmod 4755 "$r/usr/bin/su"
    echo ping >"$r/bin/ping"
    setcap cap_net_raw+ep "$r/bin/ping"
    mknod "$r/dev/null" c 1 3
    chmod 666 "$r/dev/null"
    mkfifo "$r/var/fifo"
    echo a >"$r/opt/old/a"
    chown 1000:1000 "$r/home/app"
    chmod 750 "$r/home/app"
    echo n >"$F/newopt/new"
    # Three layers: the rootfs, a whiteout of /etc/motd, /opt made opaque
    # with new content.
    umoci init --layout "$F/oci" >&2
    umoci new --image "$F/oci:img" >&2
    umoci insert --image "$F/oci:img" "$r" / >&2
    umoci insert --image "$F/oci:img" --whiteout /etc/motd >&2
    umoci insert --image "$F/oci:img" --opaque "$F/newopt" /opt >&2
    umoci config --image "$F/oci:img" --config.cmd /bin/sh --config.env FOO=bar >&2
    skopeo copy -q "oci:$F/oci:img" "docker-archive:$F/d.tar:busybox:latest" >&2
    skopeo copy -q "oci:$F/oci:img" "oci-archive:$F/o.tar:busybox:latest" >&2
    tar --numeric-owner --xattrs --xattrs-include='*' -C "$r" -cf "$F/rootfs.tar" .
}

setup() {
    T=$(mktemp -d /tmp/brig-imgtest.XXXXXX)
    export BRIG_STORAGE_ROOT=$T/storage BRIG_RUN_ROOT=$T/run BRIG_CONFIG=""
    mkdir -p "$BRIG_STORAGE_ROOT" "$BRIG_RUN_ROOT"
    S=$BRIG_STORAGE_ROOT/image
}

teardown() {
    grep -F " $T/" /proc/self/mountinfo | awk '{ print $5 }' | sort -r | xargs -r -n1 umount -l
    rm -rf "$T"
}

# store_state: what the store holds, for before/after comparisons.
store_state() {
    (cd "$S" 2>/dev/null && find . -path ./lock -prune -o -print | sort)
}

# store_empty: no image, no layer, no blob, nothing staged.
store_empty() {
    local d
    for d in images layers blobs/sha256 tmp; do
        [ -z "$(ls -A "$S/$d" 2>/dev/null)" ] || {
            echo "left in $d: $(ls -A "$S/$d")"
            return 1
        }
    done
}

# layers_of REF: the image's layer directories, lowest first.
layers_of() {
    local id
    id=$("$BRIG" images --no-trunc -q "$1" 3>&-) || return 1
    id=${id#sha256:}
    jq -r '.layers[]' "$S/images/$id.json" | while read -r l; do echo "$S/layers/$l/diff"; done
}

# mkarchive OUT REPOTAG LAYER.tar...: a docker-archive around the given
# layer tars (config diff ids computed from them), for the bad inputs no
# real tool writes.
mkarchive() {
    python3 - "$@" <<'PY'
import hashlib, io, json, sys, tarfile
out, tag, layers = sys.argv[1], sys.argv[2], sys.argv[3:]
diffs, names = [], []
with tarfile.open(out, "w") as t:
    for i, l in enumerate(layers):
        data = open(l, "rb").read()
        diffs.append("sha256:" + hashlib.sha256(data).hexdigest())
        names.append("l%d.tar" % i)
        ti = tarfile.TarInfo(names[-1]); ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                      "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
    h = hashlib.sha256(cfg).hexdigest()
    ti = tarfile.TarInfo(h + ".json"); ti.size = len(cfg)
    t.addfile(ti, io.BytesIO(cfg))
    m = json.dumps([{"Config": h + ".json", "RepoTags": [tag], "Layers": names}]).encode()
    ti = tarfile.TarInfo("manifest.json"); ti.size = len(m)
    t.addfile(ti, io.BytesIO(m))
PY
}

# badlayer OUT KIND: a layer tar with one trick in it.
badlayer() {
    python3 - "$@" <<'PY'
import io, sys, tarfile
out, kind = sys.argv[1], sys.argv[2]
def f(t, name, data=b"x"):
    ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
def l(t, name, target):
    ti = tarfile.TarInfo(name); ti.type = tarfile.SYMTYPE; ti.linkname = target; t.addfile(ti)
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    f(t, "ok")
    if kind == "dotdot":
        f(t, "../../../../../../tmp/brig-escape-dotdot")
    elif kind == "symlink":
        l(t, "etc", "/tmp")
        f(t, "etc/brig-escape-symlink")
    elif kind == "symlink-dotdot":
        l(t, "up", "../../../../../../../tmp")
        f(t, "up/brig-escape-symlink")
    elif kind == "hardlink":
        ti = tarfile.TarInfo("pw"); ti.type = tarfile.LNKTYPE; ti.linkname = "../../../../etc/passwd"
        t.addfile(ti)
    elif kind == "absolute":
        f(t, "/tmp/brig-escape-absolute")
PY
}

# ---- load ------------------------------------------------------------------

@test "load -i docker-archive (skopeo): docker's output, images table, -q, --format json" {
    ok load -i "$F/d.tar"
    [ "$output" = "Loaded image: busybox:latest" ]
    ok images
    [[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
    [[ "${lines[1]}" =~ ^busybox\ +latest\ +[0-9a-f]{12}\ +.+\ ago\ +[0-9.]+MB$ ]]
    [ "${#lines[@]}" -eq 2 ]
    ok images -q
    [[ "$output" =~ ^[0-9a-f]{12}$ ]]
    ok images -a --format json
    [ "$(jq length <<<"$output")" = 1 ]
    jq -e '.[0].Id | test("^sha256:[0-9a-f]{64}$")' <<<"$output"
    jq -e '.[0].RepoTags == ["busybox:latest"]' <<<"$output"
    jq -e '.[0].Created | test("^[0-9]{4}-")' <<<"$output"
    jq -e '.[0].Size > 3000000' <<<"$output"
    [ -z "$(ls -A "$S/tmp")" ]
}

@test "load: round trip keeps modes, owners, xattrs, file caps, hard links, nodes, symlinks" {
    ok load -q -i "$F/d.tar"
    mapfile -t L < <(layers_of busybox)
    [ "${#L[@]}" -eq 3 ]
    local l0=${L[0]}
    [ "$(stat -c '%a %u:%g' "$l0/etc/secret")" = "600 33:33" ]
    [ "$(stat -c '%a %u:%g' "$l0/usr/bin/su")" = "4755 0:0" ]
    [ "$(stat -c '%a %u:%g' "$l0/home/app")" = "750 1000:1000" ]
    [ "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.brig").decode())' "$l0/etc/motd")" = kept ]
    [[ "$(getcap "$l0/bin/ping")" == *cap_net_raw=ep* ]]
    [ "$(stat -c %i "$l0/bin/busybox")" = "$(stat -c %i "$l0/bin/hl")" ]
    [ "$(stat -c %h "$l0/bin/busybox")" = 2 ]
    cmp /bin/busybox "$l0/bin/busybox"
    [ "$(readlink "$l0/bin/sh")" = busybox ]
    [ "$(stat -c '%F %t:%T %a' "$l0/dev/null")" = "character special file 1:3 666" ]
    [ "$(stat -c %F "$l0/var/fifo")" = fifo ]
    # layer 2: the whiteout, in overlayfs' format
    [ "$(stat -c '%F %t:%T' "${L[1]}/etc/motd")" = "character special file 0:0" ]
    # layer 3: /opt opaque
    [ "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())' "${L[2]}/opt")" = y ]
    # The merged view, as a container sees it.
    mkdir "$T/mnt"
    mount -t overlay overlay -o "lowerdir=${L[2]}:${L[1]}:${L[0]}" "$T/mnt"
    [ ! -e "$T/mnt/etc/motd" ]
    [ -e "$T/mnt/etc/secret" ]
    [ "$(ls "$T/mnt/opt")" = new ]
    [ "$(cat "$T/mnt/opt/new")" = n ]
    [ "$("$T/mnt/bin/busybox" echo works)" = works ]
    umount "$T/mnt"
}

@test "load: oci-archive, OCI layout directory, stdin and a gzip-compressed archive" {
    ok load -i "$F/o.tar"
    [ "$output" = "Loaded image: busybox:latest" ]
    ok load --input "$F/oci"
    [ "$output" = "Loaded image: img:latest" ]
    # skopeo wrote the same config for both: one image, two names, 3 layers
    ok images -q
    [ "${#lines[@]}" -eq 1 ]
    [ "$(ls "$S/layers" | wc -l)" -eq 3 ]
    ok rmi busybox img
    store_empty
    TRY_STDIN=$F/d.tar b load
    [ "$status" -eq 0 ]
    [ "$output" = "Loaded image: busybox:latest" ]
    gzip -c "$F/d.tar" >"$T/d.tar.gz"
    ok load -i "$T/d.tar.gz"
    [ "$output" = "Loaded image: busybox:latest" ]
    ok images -q
    [ "${#lines[@]}" -eq 1 ]
}

@test "load: a docker-archive whose manifest names the legacy <id>/layer.tar symlinks" {
    python3 - "$F/d.tar" "$T/legacy.tar" <<'PY'
import io, json, os, sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
with tarfile.open(src) as s:
    links = {os.path.normpath(os.path.join(os.path.dirname(m.name), m.linkname)): m.name
             for m in s.getmembers() if m.issym()}
    with tarfile.open(dst, "w") as d:
        for m in s.getmembers():
            data = s.extractfile(m).read() if m.isfile() else None
            if m.name == "manifest.json":
                man = json.loads(data)
                man[0]["Layers"] = [links[x] for x in man[0]["Layers"]]
                data = json.dumps(man).encode(); m.size = len(data)
            d.addfile(m, io.BytesIO(data) if data is not None else None)
PY
    tar xOf "$T/legacy.tar" manifest.json | grep -q '/layer.tar'
    ok load -i "$T/legacy.tar"
    [ "$output" = "Loaded image: busybox:latest" ]
    [ "$(ls "$S/layers" | wc -l)" -eq 3 ]
}

@test "load: empty and non-archive input" {
    b load
    expect_error "load \`stdin\`: empty input, no archive"
    echo garbage >"$T/garbage"
    TRY_STDIN=$T/garbage b load
    expect_error "load \`stdin\`: Unrecognized archive format"
    tar -C "$F" -cf "$T/plain.tar" newopt
    b load -i "$T/plain.tar"
    expect_error "not a docker-archive or OCI archive"
    store_empty
}

@test "load: archives written by podman save (docker-archive and oci-archive)" {
    local P=(podman --root "$T/proot" --runroot "$T/prun" --storage-driver vfs
        --cgroup-manager cgroupfs --events-backend file)
    # podman is installed by scripts/deps.sh check: it must work here.
    if ! "${P[@]}" load -q -i "$F/d.tar" >/dev/null 2>"$T/podman.err"; then
        echo "podman load failed: $(cat "$T/podman.err")"
        return 1
    fi
    "${P[@]}" save -q --format docker-archive -o "$T/p-docker.tar" busybox:latest
    "${P[@]}" save -q --format oci-archive -o "$T/p-oci.tar" busybox:latest
    "${P[@]}" rmi -a -f >/dev/null 2>&1 || true
    ok load -i "$T/p-docker.tar"
    [ "$output" = "Loaded image: busybox:latest" ]
    ok load -i "$T/p-oci.tar"
    [[ "$output" == "Loaded image: "* ]]
    mapfile -t L < <(layers_of busybox)
    [[ "$(getcap "${L[0]}/bin/ping")" == *cap_net_raw=ep* ]]
    [ "$(stat -c '%a %u:%g' "${L[0]}/etc/secret")" = "600 33:33" ]
}

# ---- import, tag, rmi ---------------------------------------------------------

@test "import TARBALL NAME: prints the id; from stdin; untagged" {
    ok import "$F/rootfs.tar" localhost/imp:1
    [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
    local id=${output#sha256:}
    ok images --no-trunc
    [[ "$output" == *"localhost/imp"*"1"*"sha256:$id"* ]]
    mapfile -t L < <(layers_of localhost/imp:1)
    [ "$(stat -c '%a %u:%g' "${L[0]}/etc/secret")" = "600 33:33" ]
    [[ "$(getcap "${L[0]}/bin/ping")" == *cap_net_raw=ep* ]]
    TRY_STDIN=$F/rootfs.tar b import - piped
    [ "$status" -eq 0 ]
    ok import "$F/rootfs.tar"
    ok images
    [[ "$output" == *"<none>"*"<none>"* ]]
    [[ "$output" == *"piped"*"latest"* ]]
}

@test "tag and rmi: names go first, the image with its last name; -f for several names" {
    ok load -q -i "$F/d.tar"
    ok tag busybox localhost/bb:2
    ok images
    [ "${#lines[@]}" -eq 3 ]
    ok rmi busybox
    [ "$output" = "Untagged: busybox:latest" ]
    [ "$(ls "$S/layers" | wc -l)" -eq 3 ]
    ok rmi localhost/bb:2
    [ "${lines[0]}" = "Untagged: localhost/bb:2" ]
    [[ "${lines[1]}" =~ ^Deleted:\ sha256:[0-9a-f]{64}$ ]]
    store_empty
    ok load -q -i "$F/d.tar"
    ok tag busybox other
    local id
    id=$("$BRIG" images -q busybox 3>&-)
    b rmi "$id"
    expect_error "use -f"
    ok rmi -f "$id"
    [ "${#lines[@]}" -eq 3 ]
    store_empty
}

@test "rmi: a missing image is one line and status 1; the others still go" {
    ok load -q -i "$F/d.tar"
    b rmi nosuchimage
    expect_error "image \`nosuchimage\`: not found in the local store"
    b rmi nosuchimage busybox
    [ "$status" -eq 1 ]
    [[ "$output" == *"Deleted: sha256:"* ]]
    store_empty
}

@test "tag: a bad name is refused with docker's words" {
    ok load -q -i "$F/d.tar"
    b tag busybox "Bad Name"
    expect_error "image name \`Bad Name\`: invalid reference format"
    b tag nosuch x
    expect_error "not found"
    b tag busybox
    expect_error "exactly 2 arguments"
}

# ---- bad input ------------------------------------------------------------------

@test "bad flags and missing files: one line, non-zero, store unchanged" {
    ok load -q -i "$F/d.tar"
    local before
    before=$(store_state)
    b load --bogus
    expect_error "load: unknown flag: --bogus"
    b images --bogus
    expect_error "unknown flag"
    b rmi -z x
    expect_error "unknown shorthand flag"
    b load -i "$T/missing.tar"
    expect_error "load \`$T/missing.tar\`: No such file or directory"
    b import "$T/missing.tar" x
    expect_error "No such file or directory"
    b load -i /etc/hostname
    expect_error "load \`/etc/hostname\`"
    [ "$(store_state)" = "$before" ]
}

@test "truncated and tampered archives: digest mismatch, nothing left" {
    local size
    size=$(stat -c %s "$F/d.tar")
    head -c $((size / 2)) "$F/d.tar" >"$T/trunc.tar"
    b load -i "$T/trunc.tar"
    expect_error "load \`$T/trunc.tar\`"
    store_empty
    # flip one byte inside busybox's data in the big layer
    python3 - "$F/d.tar" "$T/tampered.tar" <<'PY'
import io, sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
with tarfile.open(src) as s, tarfile.open(dst, "w") as d:
    for m in s.getmembers():
        data = s.extractfile(m).read() if m.isfile() else None
        if data is not None and len(data) > 1000000:
            # inside bin/busybox's data, not a header
            off = next(x.offset_data for x in tarfile.open(fileobj=io.BytesIO(data))
                       if x.name.endswith("bin/busybox"))
            b = bytearray(data); b[off + 1000] ^= 0xff; data = bytes(b)
        d.addfile(m, io.BytesIO(data) if data is not None else None)
PY
    b load -i "$T/tampered.tar"
    expect_error "digest mismatch (config says diff id sha256:"
    store_empty
    # the same in an oci-archive: the blob digest is checked
    python3 - "$F/o.tar" "$T/tampered-oci.tar" <<'PY'
import gzip, io, sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
with tarfile.open(src) as s, tarfile.open(dst, "w") as d:
    for m in s.getmembers():
        data = s.extractfile(m).read() if m.isfile() else None
        if data is not None and len(data) > 1000000:
            raw = bytearray(gzip.decompress(data))
            off = next(x.offset_data for x in tarfile.open(fileobj=io.BytesIO(bytes(raw)))
                       if x.name.endswith("bin/busybox"))
            raw[off + 1000] ^= 0xff
            data = gzip.compress(bytes(raw)); m.size = len(data)
        d.addfile(m, io.BytesIO(data) if data is not None else None)
PY
    b load -i "$T/tampered-oci.tar"
    expect_error "digest mismatch (archive says sha256:"
    store_empty
}

@test "layer entries escaping the layer: .., symlinks, hard links; refused, nothing lands" {
    rm -f /tmp/brig-escape-*
    local k
    for k in dotdot symlink symlink-dotdot hardlink; do
        badlayer "$T/$k.layer" "$k"
        mkarchive "$T/$k.tar" "bad:$k" "$T/$k.layer"
        b load -i "$T/$k.tar"
        case $k in
        dotdot) expect_error "path escapes the layer" ;;
        symlink) expect_error "entry \`etc/brig-escape-symlink\`: path goes through a symlink" ;;
        symlink-dotdot) expect_error "entry \`up/brig-escape-symlink\`: path goes through a symlink" ;;
        hardlink) expect_error "escapes the layer" ;;
        esac
        store_empty
    done
    [ -z "$(ls /tmp/brig-escape-* 2>/dev/null)" ]
    # An absolute entry is rooted in the layer (as containerd takes it).
    badlayer "$T/abs.layer" absolute
    mkarchive "$T/abs.tar" "abs:1" "$T/abs.layer"
    ok load -i "$T/abs.tar"
    [ ! -e /tmp/brig-escape-absolute ]
    mapfile -t L < <(layers_of abs:1)
    [ -f "${L[0]}/tmp/brig-escape-absolute" ]
}

# ---- concurrency and crashes -------------------------------------------------

@test "four loads of the same archive at once: all succeed, one copy" {
    local i pids=()
    for i in 1 2 3 4; do
        "$BRIG" load -q -i "$F/d.tar" >"$T/out.$i" 2>&1 3>&- &
        pids+=($!)
    done
    for i in "${pids[@]}"; do
        wait "$i"
    done
    for i in 1 2 3 4; do
        [ "$(cat "$T/out.$i")" = "Loaded image: busybox:latest" ]
    done
    ok images -q
    [ "${#lines[@]}" -eq 1 ]
    [ "$(ls "$S/layers" | wc -l)" -eq 3 ]
    [ -z "$(ls -A "$S/tmp")" ]
}

@test "kill -9 during a load: images still works, the next load cleans tmp/" {
    mkfifo "$T/fifo"
    # half the archive, then the writer stalls: brig is mid-layer
    { head -c $(($(stat -c %s "$F/d.tar") / 2)) "$F/d.tar"; sleep 60; } >"$T/fifo" &
    local writer=$!
    "$BRIG" load <"$T/fifo" >/dev/null 2>&1 3>&- &
    local pid=$!
    # brig has begun writing the layer: the kill lands mid-load.
    wait_for 200 eval '[ -n "$(ls -A "$S/tmp" 2>/dev/null)" ]' || { echo "load never started"; return 1; }
    kill -9 "$pid"
    wait "$pid" || true
    kill "$writer" 2>/dev/null || true
    pkill -P "$writer" sleep 2>/dev/null || true
    [ -n "$(ls -A "$S/tmp")" ]
    ok images
    [ "${#lines[@]}" -eq 1 ]
    ok load -q -i "$F/d.tar"
    [ -z "$(ls -A "$S/tmp")" ]
    ok images -q
    [ "${#lines[@]}" -eq 1 ]
}
