#!/usr/bin/env bash
# make bench: every Google Benchmark program of the build, then every whole-program comparison
# script (bench/*/compare.sh) and the engine's paired runs. Figures go to stdout; record them in
# docs/benchmarks.md. Every program runs even when one fails, and the script then exits 1 naming
# each failure: a benchmark that failed must not leave a green `make bench` behind.
set -uo pipefail
build="${1:?usage: run-all.sh BUILD_DIR}"
here="$(cd "$(dirname "$0")" && pwd)"
failed=()
step() { # step NAME COMMAND...
  echo "== $1"
  shift
  "$@"
  local rc=$?
  [ $rc -eq 0 ] || { echo "(failed, exit $rc: ${*})"; failed+=("$*"); }
}
for b in $(find "$build" -maxdepth 4 -type f -name 'bench_*' -perm -u+x | sort); do
  step "$(basename "$b")" taskset -c 0 "$b" --benchmark_min_time=0.2
done
for script in "$here"/*/compare.sh; do
  [ -x "$script" ] || continue
  step "$script" "$script" "$build/sluice"
done
step "$here/engine/paired.sh" "$here/engine/paired.sh" "$build/sluice"
if [ ${#failed[@]} -gt 0 ]; then
  echo "run-all: ${#failed[@]} benchmark(s) failed:" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "run-all: every benchmark ran"
