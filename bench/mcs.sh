#!/bin/sh
# The MCS allocator's cost on a busy host: 10,000 live reservations, then
# 1,000 allocate+release cycles.  Builds nothing: run `make build` (or
# ninja -C $BUILD) first.  Target: allocate mean well under 1 ms.
# Usage: BUILD=build bench/mcs.sh [LIVE [CYCLES [DIR]]]
set -eu
exe="${BUILD:-build}/tests/helpers/mcs_bench"
if [ ! -x "$exe" ]; then
    echo "bench/mcs.sh: \`$exe\` not built (make build)" >&2
    exit 1
fi
exec "$exe" "$@"
