#!/usr/bin/env bash
# The reproducibility check of `make release` and `make deb`: builds the release binary twice from
# this checkout, in two build directories of different paths, without ccache (a cache hit would
# hide a compiler that is not deterministic), packages each with CPack, and fails unless both
# binaries and both .deb files have the same SHA-256. SOURCE_DATE_EPOCH is the commit's time, as
# in `make deb`; the second build runs under another umask, so file modes cannot depend on it.
# Slow (two full builds): run by `make release-check`, not by `make test`.
# usage: scripts/release-check.sh [work-dir]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d "${TMPDIR:-/tmp}/sluice-release-check.XXXXXX")}
jobs=${JOBS:-$(nproc)}
export CCACHE_DISABLE=1 SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$src" log -1 --format=%ct 2>/dev/null || echo 0)}
bins=() debs=()
masks=(022 002)
i=0
for dir in "$work/a" "$work/build-two"; do
  start=$(date +%s)
  rm -rf "$dir"  # from scratch: a cache left by an earlier run (other options) proves nothing
  (
    umask "${masks[$i]}"
    cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSLUICE_RELEASE=ON >/dev/null
    cmake --build "$dir" -j "$jobs" --target sluice sluice_docs >/dev/null
    # CPack gives the .deb's ar members the mode of its temporary files: the umask decides it.
    cd "$dir" && umask 022 && cpack -G DEB >/dev/null 2>&1
  )
  bin=$(sha256sum "$dir/sluice" | cut -d' ' -f1)
  deb=$(ls "$dir"/sluice_*.deb)
  debsum=$(sha256sum "$deb" | cut -d' ' -f1)
  echo "release-check: $dir/sluice $bin ($(stat -c %s "$dir/sluice") bytes, $(( $(date +%s) - start )) s)"
  echo "release-check: $deb $debsum"
  bins+=("$bin") debs+=("$debsum")
  i=$((i + 1))
done
status=0
if [ "${bins[0]}" != "${bins[1]}" ]; then
  echo "release-check: FAIL: the two binaries differ" >&2; status=1
fi
if [ "${debs[0]}" != "${debs[1]}" ]; then
  echo "release-check: FAIL: the two packages differ; first differences:" >&2
  a=$(ls "$work"/a/sluice_*.deb) b=$(ls "$work"/build-two/sluice_*.deb)
  diff <(dpkg-deb -c "$a"; dpkg-deb -I "$a") <(dpkg-deb -c "$b"; dpkg-deb -I "$b") | head -20 >&2 || true
  status=1
fi
[ "$status" = 0 ] && echo "release-check: OK: both binaries are ${bins[0]}, both packages ${debs[0]}"
exit "$status"
