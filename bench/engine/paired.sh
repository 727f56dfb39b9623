#!/usr/bin/env bash
# The same cold-run comparison as compare.sh, timed in pairs whose order alternates (sluice then
# ninja, then ninja then sluice, ...) so that a machine whose speed drifts during the measurement shifts both sides of a
# pair alike: the figure to trust is the median of the per-pair ratios. Whole process, -j 2,
# cleanup (rm of out/ and the state) outside the timed part. Wall time and CPU time (user + sys
# of the process and its `sh` children, from /usr/bin/time): on a shared machine CPU time is what
# other load inflates least. Prints the load average before and after.
# usage: bench/engine/paired.sh path/to/sluice [stages] [pairs] [extra sluice run args, e.g. --no-cache]
set -euo pipefail
sluice="$(realpath "${1:?usage: paired.sh path/to/sluice [stages] [pairs]}")"
n="${2:-2000}"; pairs="${3:-15}"; extra="${4:-}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
"$here/gen_dag.sh" "$work" "$n"
cd "$work"
command -v ninja >/dev/null || { echo "ninja is needed (apt-get install ninja-build)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 2; }

now_ns() { date +%s%N; }
clean() { rm -rf out .sluice .ninja_log .ninja_deps && mkdir out; }
cpu() { awk '{print $1 + $2}' cpu.txt; }
# A run that did not build every output must not be timed as a fast one.
built() { local k; k=$(find out -type f | wc -l); [ "$k" -eq "$n" ] || { echo "paired: $1 built $k of $n outputs" >&2; exit 1; }; }
run_sluice() { /usr/bin/time -f "%U %S" -o cpu.txt "$sluice" run -j 2 --output quiet $extra > /dev/null; }
run_ninja() { /usr/bin/time -f "%U %S" -o cpu.txt ninja -j 2 --quiet > /dev/null; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
clean; run_sluice; clean; run_ninja  # warm-up
: > times.txt
# Odd pairs run sluice first, even pairs ninja first: whichever runs second in a pair may find
# caches warmer (or the machine busier), so neither side always gets that position.
for ((i = 1; i <= pairs; i++)); do
  if ((i % 2)); then
    clean; t0=$(now_ns); run_sluice; t1=$(now_ns); cs=$(cpu); built sluice
    clean; t2=$(now_ns); run_ninja; t3=$(now_ns); cn=$(cpu); built ninja
  else
    clean; t2=$(now_ns); run_ninja; t3=$(now_ns); cn=$(cpu); built ninja
    clean; t0=$(now_ns); run_sluice; t1=$(now_ns); cs=$(cpu); built sluice
  fi
  echo "$((t1 - t0)) $((t3 - t2)) $cs $cn" >> times.txt
done
python3 - "$n" "$pairs" times.txt "$extra" <<'PY'
import statistics, sys
n, pairs, path = sys.argv[1], sys.argv[2], sys.argv[3]
extra = f"; sluice run {sys.argv[4]}" if sys.argv[4] else ""
rows = [line.split() for line in open(path) if line.strip()]
s = [int(x[0]) / 1e9 for x in rows]; k = [int(x[1]) / 1e9 for x in rows]
cs = [float(x[2]) for x in rows]; ck = [float(x[3]) for x in rows]
r = sorted(a / b for a, b in zip(s, k)); rc = sorted(a / b for a, b in zip(cs, ck) if b > 0)
print(f"stages: {n}, -j 2, {pairs} alternating pairs (seconds: median, min-max){extra}")
print(f"sluice cold  wall {statistics.median(s):.3f} ({min(s):.3f}-{max(s):.3f})  CPU {statistics.median(cs):.3f} ({min(cs):.3f}-{max(cs):.3f})")
print(f"ninja cold   wall {statistics.median(k):.3f} ({min(k):.3f}-{max(k):.3f})  CPU {statistics.median(ck):.3f} ({min(ck):.3f}-{max(ck):.3f})")
print(f"ratio        wall {statistics.median(r):.2f}x ninja, median of per-pair ratios ({r[0]:.2f}-{r[-1]:.2f}; goal <= 1.25x)")
print(f"             CPU  {statistics.median(rc):.2f}x ninja ({rc[0]:.2f}-{rc[-1]:.2f})")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
