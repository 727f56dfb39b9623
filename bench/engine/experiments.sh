#!/usr/bin/env bash
# Reproduces the engine experiments of docs/benchmarks.md ("What changed, and what did not
# help") that were measured with throwaway builds: builds sluice from this checkout's HEAD with
# bench/engine/experiments/NAME.patch applied (in a temporary copy, under nice 19), then times it:
#   commit-250ms        ab.sh A=SLUICE B=patched: a 250 ms group-commit window instead of 50 ms
#   no-wal-checkpoints  ab.sh A=SLUICE B=patched: SQLite's WAL auto-checkpoints off
#   no-stage-records    the floor: paired.sh of the patched build (writes no stage records) with
#                       --no-cache against ninja, then paired.sh of SLUICE as it is
# SLUICE should be a Release build of the same HEAD (so the patch is the only difference).
# usage: bench/engine/experiments.sh SLUICE NAME [pairs]
set -euo pipefail
sluice="$(realpath "${1:?usage: experiments.sh SLUICE NAME [pairs]}")"
name="${2:?usage: experiments.sh SLUICE NAME [pairs]}"; pairs="${3:-12}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
patch="$here/experiments/$name.patch"
[ -f "$patch" ] || { echo "no experiment $name (bench/engine/experiments/*.patch)" >&2; exit 2; }
work="$(mktemp -d "${TMPDIR:-/tmp}/sluice-exp.XXXXXX")"; trap 'rm -rf "$work"' EXIT
git -C "$root" archive HEAD | tar -x -C "$work"
(cd "$work" && patch -p1 --quiet < "$patch")
export CCACHE_BASEDIR="$work" CCACHE_NOHASHDIR=true
nice -n 19 cmake -S "$work" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
nice -n 19 cmake --build "$work/build" -j 2 --target sluice > /dev/null
echo "experiment $name: $(git -C "$root" rev-parse --short HEAD) + $(basename "$patch")"
case "$name" in
  no-stage-records)
    "$here/paired.sh" "$work/build/sluice" 2000 "$pairs" --no-cache
    "$here/paired.sh" "$sluice" 2000 "$pairs" ;;
  *) "$here/ab.sh" "$sluice" "$work/build/sluice" 2000 "$pairs" ;;
esac
