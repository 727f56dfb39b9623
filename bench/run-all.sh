#!/usr/bin/env bash
# make bench: every Google Benchmark program of the build, then every whole-program comparison
# script (bench/*/compare.sh). Figures go to stdout; record them in docs/benchmarks.md.
set -euo pipefail
build="${1:?usage: run-all.sh BUILD_DIR}"
here="$(cd "$(dirname "$0")" && pwd)"
for b in $(find "$build" -maxdepth 4 -type f -name 'bench_*' -perm -u+x | sort); do
  echo "== $(basename "$b")"
  taskset -c 0 "$b" --benchmark_min_time=0.2 || echo "(failed: $b)"
done
for script in "$here"/*/compare.sh; do
  [ -x "$script" ] || continue
  echo "== $script"
  "$script" "$build/sluice" || echo "(failed: $script)"
done
echo "== $here/engine/paired.sh"
"$here/engine/paired.sh" "$build/sluice" || echo "(failed: $here/engine/paired.sh)"
