#!/bin/sh
# meson-options.sh DIR NAME=VALUE...: give options of the configured meson
# build dir DIR these values, running `meson configure` only when one
# differs: a configure makes the next ninja regenerate the whole build, which
# every `make` would otherwise pay.  (meson runs on python3, so it is here.)
set -eu
dir=$1
shift
args=$(meson introspect --buildoptions "$dir" | python3 -c '
import json, sys
cur = {o["name"]: o["value"] for o in json.load(sys.stdin)}
for a in sys.argv[1:]:
    name, value = a.split("=", 1)
    if name not in cur:
        sys.exit("meson-options.sh: no option `%s`" % name)
    if str(cur[name]) != value:
        print("-D" + a)
' "$@")
[ -z "$args" ] && exit 0
# shellcheck disable=SC2086
meson configure "$dir" $args >/dev/null
