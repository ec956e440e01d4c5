#!/bin/sh
# Print the apt sources file this host uses for Debian (the mirror it can
# reach), for mmdebstrap; $1, when given and non-empty, wins.  Exits 1,
# printing nothing, when the host has none.
if [ -n "${1:-}" ]; then
    echo "$1"
    exit 0
fi
for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list; do
    [ -f "$f" ] || continue
    if grep -qE '^[^#]*(URIs:|deb ).*/debian/?( |$)' "$f"; then
        echo "$f"
        exit 0
    fi
done
exit 1
