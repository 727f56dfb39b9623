#!/usr/bin/env bash
# Where the engine benchmark's CPU goes (docs/benchmarks.md, "What it costs"): cold runs of
# gen_dag.sh's DAG (-j 2, whole process, cleanup outside the timed part) of sluice and ninja in
# pairs of alternating order, each measured three ways:
#   wall        the whole command
#   total CPU   user + sys of the process and its `sh` children (/usr/bin/time)
#   own CPU     user + sys of the sluice (or ninja) process alone, all its threads, no children:
#               getrusage(RUSAGE_SELF) at exit, through an LD_PRELOADed destructor (selfcpu.c)
#   CPUs busy   total CPU / wall
# then the step cache's share: sluice cold with and without --no-cache, alternating pairs.
# Medians, and the median of per-pair ratios. Prints the load average before and after.
# usage: bench/engine/cpu.sh path/to/sluice [stages] [pairs]
set -euo pipefail
sluice="$(realpath "${1:?usage: cpu.sh path/to/sluice [stages] [pairs]}")"
n="${2:-2000}"; pairs="${3:-10}"
here="$(cd "$(dirname "$0")" && pwd)"
command -v ninja >/dev/null || { echo "ninja is needed (apt-get install ninja-build)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (apt-get install time)" >&2; exit 2; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cc -O2 -shared -fPIC -o "$work/selfcpu.so" "$here/selfcpu.c"
"$here/gen_dag.sh" "$work/dag" "$n"
cd "$work/dag"

clean() { rm -rf out .sluice .ninja_log .ninja_deps && mkdir out; }
# one NAME COMMAND...: a cold run; prints "NAME WALL_S TOTAL_CPU_S OWN_CPU_S"
one() {
  local name=$1 comm t0 t1
  shift
  comm=$(basename "$1")
  clean
  rm -f "$work/self.txt"
  t0=$(date +%s%N)
  SELF_CPU_OUT="$work/self.txt" LD_PRELOAD="$work/selfcpu.so" /usr/bin/time -f "%U %S" -o "$work/cpu.txt" "$@" > /dev/null
  t1=$(date +%s%N)
  local own k
  k=$(find out -type f | wc -l)
  [ "$k" -eq "$n" ] || { echo "cpu.sh: $name built $k of $n outputs" >&2; exit 1; }
  own=$(awk -v c="$comm" '$1 == c { s += $3 + $4 } END { printf "%.4f", s }' "$work/self.txt")
  [ "$own" != "0.0000" ] || { echo "cpu.sh: no own-CPU record for $comm (did it exit through exit()?)" >&2; exit 1; }
  echo "$name $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }') $(awk '{ printf "%.2f", $1 + $2 }' "$work/cpu.txt") $own"
}
S=("$sluice" run -j 2 --output quiet)
N=(ninja -j 2 --quiet)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
one sluice "${S[@]}" > /dev/null; one ninja "${N[@]}" > /dev/null  # warm-up
: > "$work/rows.txt"
for ((i = 1; i <= pairs; i++)); do
  if ((i % 2)); then one sluice "${S[@]}"; one ninja "${N[@]}"; else one ninja "${N[@]}"; one sluice "${S[@]}"; fi >> "$work/rows.txt"
  if ((i % 2)); then one cache "${S[@]}"; one nocache "${S[@]}" --no-cache; else one nocache "${S[@]}" --no-cache; one cache "${S[@]}"; fi >> "$work/rows.txt"
done
python3 - "$n" "$pairs" "$work/rows.txt" <<'PY'
import statistics as st, sys
n, pairs, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = {}
for line in open(path):
    name, *v = line.split()
    rows.setdefault(name, []).append([float(x) for x in v])
med = lambda xs: st.median(xs)
print(f"stages: {n}, -j 2, {pairs} pairs of alternating order (medians; seconds)")
print(f"{'':8s} {'wall':>7s} {'total CPU':>10s} {'own CPU':>8s} {'CPUs busy':>10s} {'own CPU per stage':>18s}")
for name in ("sluice", "ninja"):
    r = rows[name]
    print(f"{name:8s} {med([x[0] for x in r]):7.3f} {med([x[1] for x in r]):10.3f} {med([x[2] for x in r]):8.3f} "
          f"{med([x[1] / x[0] for x in r]):10.2f} {med([x[2] for x in r]) / int(n) * 1e6:15.0f} us")
pr = lambda a, b, k: st.median(x[k] / y[k] for x, y in zip(rows[a], rows[b]) if y[k] > 0)
print(f"sluice/ninja per-pair: wall {pr('sluice', 'ninja', 0):.2f}x, total CPU {pr('sluice', 'ninja', 1):.2f}x, "
      f"own CPU {pr('sluice', 'ninja', 2):.2f}x")
c, nc = rows["cache"], rows["nocache"]
print(f"step cache: sluice cold with it wall {med([x[0] for x in c]):.3f} s, own CPU {med([x[2] for x in c]):.3f} s; "
      f"--no-cache wall {med([x[0] for x in nc]):.3f} s, own CPU {med([x[2] for x in nc]):.3f} s; "
      f"per-pair with/without: wall {pr('cache', 'nocache', 0):.2f}x, own CPU {pr('cache', 'nocache', 2):.2f}x")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
