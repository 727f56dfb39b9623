#!/usr/bin/env bash
# Times sluice against ninja on the same generated 2000-stage DAG, whole process, -j2:
#   cold:   nothing built yet (sluice: no .sluice state; ninja: no .ninja_log)
#   cached: sluice re-run with every stage a step-cache hit; ninja no-op re-run for reference
# usage: bench/engine/compare.sh path/to/sluice [stages] [runs]
set -euo pipefail
sluice="$(realpath "${1:?usage: compare.sh path/to/sluice [stages] [runs]}")"
n="${2:-2000}"; runs="${3:-10}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
"$here/gen_dag.sh" "$work" "$n"
cd "$work"
command -v hyperfine >/dev/null || { echo "hyperfine is needed (apt-get install hyperfine)" >&2; exit 2; }
command -v ninja >/dev/null || { echo "ninja is needed (apt-get install ninja-build)" >&2; exit 2; }

hyperfine --style basic -N --warmup 1 --runs "$runs" --export-csv cold.csv \
  --prepare "sh -c 'rm -rf out .sluice .ninja_log .ninja_deps && mkdir out'" \
  -n "sluice cold" "$sluice run -j 2 --output quiet" \
  -n "ninja cold" "ninja -j 2 --quiet"
"$sluice" run -j 2 --output quiet > /dev/null
ninja -j 2 --quiet > /dev/null
hyperfine --style basic -N --warmup 1 --runs "$runs" --export-csv cached.csv \
  -n "sluice cached" "$sluice run -j 2 --output quiet" \
  -n "ninja no-op" "ninja -j 2 --quiet"

median() { awk -F, -v name="$1" '$1 == name { print $4 }' "$2"; }
sc=$(median "sluice cold" cold.csv); nc=$(median "ninja cold" cold.csv)
sh=$(median "sluice cached" cached.csv); nn=$(median "ninja no-op" cached.csv)
echo
echo "stages: $n, -j 2, runs: $runs (median wall seconds)"
printf 'sluice cold   %.3f s\nninja cold    %.3f s\nratio         %.2fx ninja (goal <= 1.25x)\n' "$sc" "$nc" "$(awk -v a="$sc" -v b="$nc" "BEGIN{print a/b}")"
printf 'sluice cached %.3f s = %.3fx of sluice cold (goal <= 0.1x)\nninja no-op   %.3f s\n' "$sh" "$(awk -v a="$sh" -v b="$sc" "BEGIN{print a/b}")" "$nn"
