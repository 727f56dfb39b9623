#!/usr/bin/env bash
# Times sluice against ninja on the same generated 2000-stage DAG, whole process, -j2:
#   cold:   nothing built yet (sluice: no .sluice state; ninja: no .ninja_log), in pairs of
#           alternating order (paired.sh: wall and CPU, median of per-pair ratios)
#   cached: sluice re-run with every stage a step-cache hit, and ninja's no-op re-run for
#           reference, in rounds of rotating order (bench/lib/rounds.py)
# usage: bench/engine/compare.sh path/to/sluice [stages] [runs]
set -euo pipefail
sluice="$(realpath "${1:?usage: compare.sh path/to/sluice [stages] [runs]}")"
n="${2:-2000}"; runs="${3:-10}"
here="$(cd "$(dirname "$0")" && pwd)"
command -v ninja >/dev/null || { echo "ninja is needed (apt-get install ninja-build)" >&2; exit 2; }
"$here/paired.sh" "$sluice" "$n" "$runs" | tee "${TMPDIR:-/tmp}/sluice-engine-cold.$$"
cold=$(awk '/^sluice cold/ { print $4 }' "${TMPDIR:-/tmp}/sluice-engine-cold.$$")
rm -f "${TMPDIR:-/tmp}/sluice-engine-cold.$$"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
"$here/gen_dag.sh" "$work" "$n"
cd "$work"
mkdir -p out
"$sluice" run -j 2 --output quiet > /dev/null
ninja -j 2 --quiet > /dev/null
python3 "$here/../lib/rounds.py" --rounds "$runs" --warmup 1 --json cached.json \
  "sluice cached=$sluice run -j 2 --output quiet" \
  "ninja no-op=ninja -j 2 --quiet"
python3 - cached.json "$cold" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); cold = float(sys.argv[2])
s = r["sluice cached"]["median"]
print(f"sluice cached {s:.3f} s = {s / cold:.3f}x of sluice cold (goal <= 0.1x); CPU {r['sluice cached']['cpu_median']:.3f} s")
print(f"ninja no-op   {r['ninja no-op']['median']:.3f} s")
PY
