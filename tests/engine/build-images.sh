#!/usr/bin/env bash
# build-images.sh DIR: the engine suites' images, in DIR:
#   rootfs.tar  a busybox rootfs (users root, app 1000:1000 also in group
#               `extra` 1500, nobody 65534)
#   cfg.tar     a docker-archive `cfgimg:latest` of that rootfs with ENTRYPOINT
#               sh -c, a CMD that prints what the config set, ENV, WORKDIR,
#               USER app and a label (needs umoci and skopeo)
#   done        written last
set -euo pipefail
dir=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
for tool in umoci skopeo; do
    command -v "$tool" >/dev/null || { echo "build-images.sh: $tool is needed (scripts/deps.sh check)" >&2; exit 1; }
done
rm -rf "$dir/t" "$dir/oci"
mkdir -p "$dir"
"$top/scripts/mkbundle.sh" --rootfs-only "$dir/t" >&2
r=$dir/t/rootfs
cat >"$r/etc/passwd" <<'EOT'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000::/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOT
cat >"$r/etc/group" <<'EOT'
root:x:0:
tty:x:5:
app:x:1000:
extra:x:1500:app
nogroup:x:65534:
EOT
mkdir -p "$r/home/app" "$r/srv/app"
chown 1000:1000 "$r/home/app" "$r/srv/app"
tar --numeric-owner -C "$r" -cf "$dir/rootfs.tar" .
umoci init --layout "$dir/oci" >&2
umoci new --image "$dir/oci:cfg" >&2
umoci raw add-layer --image "$dir/oci:cfg" "$dir/rootfs.tar" >&2
umoci config --image "$dir/oci:cfg" \
    --config.entrypoint /bin/sh --config.entrypoint -c \
    --config.cmd 'echo "cfg foo=$FOO pwd=$(pwd) uid=$(id -u) gid=$(id -g) arg0=$0"' \
    --config.env FOO=bar --config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    --config.workingdir /srv/app --config.user app \
    --config.label org.brig.test=yes >&2
skopeo copy -q "oci:$dir/oci:cfg" "docker-archive:$dir/cfg.tar:cfgimg:latest" >&2
rm -rf "$dir/t" "$dir/oci"
touch "$dir/done"
