#!/usr/bin/env bash
# make bench: every Google Benchmark program of the build, the two benchmark programs with their own
# main (bench_llm_overhead; bench_pg_ledger through pg_ledger.sh, which starts a PostgreSQL), then
# every whole-program comparison script (bench/*/compare.sh: the engine's includes its paired cold
# runs) and the other whole-program scripts whose figures docs/benchmarks.md quotes (the engine's
# CPU breakdown, pipeline load time, the LLM stage through the binary, the 2,000-stage report). Figures go to stdout;
# record them in docs/benchmarks.md. Every program runs even when one fails, and the script then
# exits 1 naming each failure: a benchmark that failed must not leave a green `make bench` behind.
# Not run here (minutes each, or a throwaway build): bench/prune, bench/refs, bench/registry,
# bench/secrets/git_history.sh, bench/release/ab.sh, bench/engine/experiments.sh.
set -uo pipefail
build="${1:?usage: run-all.sh BUILD_DIR}"
here="$(cd "$(dirname "$0")" && pwd)"
failed=()
step() { # step NAME COMMAND...
  echo "== $1 (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  shift
  "$@"
  local rc=$?
  [ $rc -eq 0 ] || { echo "(failed, exit $rc: ${*})"; failed+=("$*"); }
}
own_main="bench_llm_overhead bench_pg_ledger"
for b in $(find "$build" -maxdepth 4 -type f -name 'bench_*' -perm -u+x | sort); do
  case " $own_main " in *" $(basename "$b") "*) continue ;; esac
  step "$(basename "$b")" taskset -c 0 "$b" --benchmark_min_time=0.2
done
if [ -x "$build/src/llm/bench_llm_overhead" ]; then
  step bench_llm_overhead taskset -c 1 "$build/src/llm/bench_llm_overhead" 300
fi
if [ -x "$build/src/store/bench_pg_ledger" ]; then
  step bench_pg_ledger "$here/store/pg_ledger.sh" "$build/src/store/bench_pg_ledger" 2
fi
for script in "$here"/*/compare.sh; do
  step "$script" bash "$script" "$build/sluice"  # bash: a script that lost its x bit still runs
done
step "$here/engine/cpu.sh" "$here/engine/cpu.sh" "$build/sluice"
step "$here/pipeline/load.sh" "$here/pipeline/load.sh" "$build/sluice"
step "$here/llm/realistic.sh" "$here/llm/realistic.sh" "$build/sluice" 5
step "$here/report/report.sh" "$here/report/report.sh" "$build/sluice" 5
if [ ${#failed[@]} -gt 0 ]; then
  echo "run-all: ${#failed[@]} benchmark(s) failed:" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "run-all: every benchmark ran"
