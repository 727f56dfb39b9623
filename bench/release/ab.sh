#!/usr/bin/env bash
# Two builds of sluice (say, the release with and without LTO) timed on whole-program work, in
# pairs of alternating order (A B, B A, A B, ...) so that a machine whose speed drifts (other jobs)
# shifts both sides of a pair alike and neither always runs second. Three workloads:
#   tokens  sluice tokens count --encoding o200k_base on the 10 MiB corpus of
#           bench/tokenize/compare.sh (licenses x4 + sorted /usr/include headers)
#   scan    sluice scan --format json on a copy of /usr/include (secrets engine, ~100 MB)
#   engine  a cold sluice run -j 2 of bench/engine/gen_dag.sh's 2,000-stage DAG
# Prints, per workload, the median wall time of each (min-max) and the median per-pair B/A ratio.
# usage: bench/release/ab.sh A/sluice B/sluice [pairs]
set -euo pipefail
a=$(realpath "${1:?usage: ab.sh A/sluice B/sluice [pairs]}")
b=$(realpath "${2:?usage: ab.sh A/sluice B/sluice [pairs]}")
pairs=${3:-11}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-ab.XXXXXX")
trap 'rm -rf "$work"' EXIT

{
  for _ in 1 2 3 4; do cat /usr/share/common-licenses/*; done
  find /usr/include -name '*.h' -type f | LC_ALL=C sort | xargs cat
} 2>/dev/null | head -c 10485760 >"$work/corpus.txt" || true
mkdir -p "$work/scan" && cp -r /usr/include "$work/scan/include"
mkdir -p "$work/dag" && "$here/engine/gen_dag.sh" "$work/dag" 2000 >/dev/null

now_ns() { date +%s%N; }
run() { # run BINARY WORKLOAD
  case "$2" in
    tokens) "$1" tokens count --encoding o200k_base "$work/corpus.txt" >/dev/null ;;
    scan) "$1" scan --format json "$work/scan" >/dev/null 2>&1 || [ $? = 1 ] ;;
    engine) (cd "$work/dag" && rm -rf out .sluice && mkdir out && "$1" run -j 2 --output quiet >/dev/null) ;;
  esac
}
time_ns() { local t0; t0=$(now_ns); run "$1" "$2"; echo $(($(now_ns) - t0)); }

echo "A: $a ($(stat -c %s "$a") bytes)"
echo "B: $b ($(stat -c %s "$b") bytes); load average $(cut -d" " -f1-3 /proc/loadavg)"
for w in tokens scan engine; do
  run "$a" "$w"; run "$b" "$w"  # warm-up: page cache, rank-file markers, compiled rule cache
  : >"$work/$w.txt"
  # Odd pairs run A first, even pairs B first: neither binary always gets the second, warmer slot.
  for ((i = 1; i <= pairs; i++)); do
    if ((i % 2)); then
      ta=$(time_ns "$a" "$w"); tb=$(time_ns "$b" "$w")
    else
      tb=$(time_ns "$b" "$w"); ta=$(time_ns "$a" "$w")
    fi
    echo "$ta $tb" >>"$work/$w.txt"
  done
  python3 - "$w" "$pairs" "$work/$w.txt" <<'EOF'
import statistics, sys
w, pairs, path = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [tuple(int(x) / 1e9 for x in line.split()) for line in open(path) if line.strip()]
a = [x for x, _ in rows]; b = [y for _, y in rows]; r = sorted(y / x for x, y in rows)
print(f"{w:7} A {statistics.median(a):.3f} s ({min(a):.3f}-{max(a):.3f})  "
      f"B {statistics.median(b):.3f} s ({min(b):.3f}-{max(b):.3f})  "
      f"B/A {statistics.median(r):.3f} ({r[0]:.3f}-{r[-1]:.3f}), {pairs} pairs")
EOF
done
