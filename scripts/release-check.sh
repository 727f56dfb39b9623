#!/usr/bin/env bash
# The reproducibility check of `make release`: builds the release binary twice from this
# checkout, in two build directories of different paths, without ccache (a cache hit would hide
# a compiler that is not deterministic), and fails unless both have the same SHA-256.
# Slow (two full builds): run by `make release-check`, not by `make test`.
# usage: scripts/release-check.sh [work-dir]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/sluice-release-check.XXXXXX")}
jobs=${JOBS:-$(nproc)}
export CCACHE_DISABLE=1 SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$src" log -1 --format=%ct 2>/dev/null || echo 0)}
sums=()
for dir in "$work/a" "$work/build-two"; do
  start=$(date +%s)
  cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSLUICE_RELEASE=ON >/dev/null
  cmake --build "$dir" -j "$jobs" --target sluice >/dev/null
  sum=$(sha256sum "$dir/sluice" | cut -d' ' -f1)
  echo "release-check: $dir/sluice $sum ($(stat -c %s "$dir/sluice") bytes, $(( $(date +%s) - start )) s)"
  sums+=("$sum")
done
if [ "${sums[0]}" != "${sums[1]}" ]; then
  echo "release-check: FAIL: the two builds differ" >&2
  exit 1
fi
echo "release-check: OK: both builds are ${sums[0]}"
