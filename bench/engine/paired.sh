#!/usr/bin/env bash
# The same cold-run comparison as compare.sh, timed in pairs whose order alternates (sluice then
# ninja, then ninja then sluice, ...) so that a machine whose speed drifts during the measurement shifts both sides of a
# pair alike: the figure to trust is the median of the per-pair ratios. Whole process, -j 2,
# cleanup (rm of out/ and the state) outside the timed part.
# usage: bench/engine/paired.sh path/to/sluice [stages] [pairs]
set -euo pipefail
sluice="$(realpath "${1:?usage: paired.sh path/to/sluice [stages] [pairs]}")"
n="${2:-2000}"; pairs="${3:-15}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
"$here/gen_dag.sh" "$work" "$n"
cd "$work"
command -v ninja >/dev/null || { echo "ninja is needed (apt-get install ninja-build)" >&2; exit 2; }

now_ns() { date +%s%N; }
clean() { rm -rf out .sluice .ninja_log .ninja_deps && mkdir out; }
run_sluice() { "$sluice" run -j 2 --output quiet > /dev/null; }
run_ninja() { ninja -j 2 --quiet > /dev/null; }

clean; run_sluice; clean; run_ninja  # warm-up
: > times.txt
# Odd pairs run sluice first, even pairs ninja first: whichever runs second in a pair may find
# caches warmer (or the machine busier), so neither side always gets that position.
for ((i = 1; i <= pairs; i++)); do
  if ((i % 2)); then
    clean; t0=$(now_ns); run_sluice; t1=$(now_ns)
    clean; t2=$(now_ns); run_ninja; t3=$(now_ns)
  else
    clean; t2=$(now_ns); run_ninja; t3=$(now_ns)
    clean; t0=$(now_ns); run_sluice; t1=$(now_ns)
  fi
  echo "$((t1 - t0)) $((t3 - t2))" >> times.txt
done
python3 - "$n" "$pairs" times.txt <<'EOF'
import statistics, sys
n, pairs, path = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [tuple(int(x) / 1e9 for x in line.split()) for line in open(path) if line.strip()]
s = [a for a, _ in rows]; k = [b for _, b in rows]; r = sorted(a / b for a, b in rows)
print(f"stages: {n}, -j 2, {pairs} alternating pairs (wall seconds: median, min-max)")
print(f"sluice cold  {statistics.median(s):.3f} s  ({min(s):.3f}-{max(s):.3f})")
print(f"ninja cold   {statistics.median(k):.3f} s  ({min(k):.3f}-{max(k):.3f})")
print(f"ratio        {statistics.median(r):.2f}x ninja, median of per-pair ratios "
      f"({r[0]:.2f}-{r[-1]:.2f}; goal <= 1.25x)")
EOF
