#!/usr/bin/env bash
# A/B of two sluice binaries on the engine benchmark's DAG (gen_dag.sh): cold runs, -j 2, whole
# process, cleanup outside the timed part, in pairs whose order alternates (A then B, then B then
# A, ...). Reports wall and CPU (user + sys of the run) medians and the median of per-pair ratios
# B/A. This is how the "alternating A/B" and "floor" experiments in docs/benchmarks.md were
# timed; the experiment builds themselves (a different commit interval, no checkpoints, no stage
# records) were throwaway patches and are not in the repository, so those figures can be
# reproduced only by re-applying the change described there and building a B binary.
# usage: bench/engine/ab.sh SLUICE_A SLUICE_B [stages] [pairs] [extra sluice run args, e.g. --no-cache]
set -euo pipefail
a="$(realpath "${1:?usage: ab.sh SLUICE_A SLUICE_B [stages] [pairs] [args]}")"
b="$(realpath "${2:?usage: ab.sh SLUICE_A SLUICE_B [stages] [pairs] [args]}")"
n="${3:-2000}"; pairs="${4:-12}"; extra="${5:-}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
"$here/gen_dag.sh" "$work" "$n"
cd "$work"
clean() { rm -rf out .sluice && mkdir out; }
# one BINARY: prints "WALL_NS CPU_S" of one cold run
one() {
  clean
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f "%U %S" -o cpu.txt "$1" run -j 2 --output quiet $extra > /dev/null
  t1=$(date +%s%N)
  local k
  k=$(find out -type f | wc -l)
  [ "$k" -eq "$n" ] || { echo "ab.sh: $1 built $k of $n outputs" >&2; exit 1; }
  echo "$((t1 - t0)) $(awk '{print $1 + $2}' cpu.txt)"
}
one "$a" > /dev/null; one "$b" > /dev/null  # warm-up
: > times.txt
for ((i = 1; i <= pairs; i++)); do
  if ((i % 2)); then ra=$(one "$a"); rb=$(one "$b"); else rb=$(one "$b"); ra=$(one "$a"); fi
  echo "$ra $rb" >> times.txt
done
python3 - "$n" "$pairs" times.txt <<'PY'
import statistics, sys
n, pairs, path = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [[float(x) for x in l.split()] for l in open(path) if l.strip()]
wa = [r[0] / 1e9 for r in rows]; ca = [r[1] for r in rows]; wb = [r[2] / 1e9 for r in rows]; cb = [r[3] for r in rows]
print(f"stages: {n}, -j 2, {pairs} pairs of alternating order; load average {open('/proc/loadavg').read().split()[:3]}")
print(f"A  wall {statistics.median(wa):.3f} s  CPU {statistics.median(ca):.3f} s")
print(f"B  wall {statistics.median(wb):.3f} s  CPU {statistics.median(cb):.3f} s")
print(f"B/A median per-pair ratio: wall {statistics.median(b / a for a, b in zip(wa, wb)):.2f}x, "
      f"CPU {statistics.median(b / a for a, b in zip(ca, cb) if a > 0):.2f}x")
PY
