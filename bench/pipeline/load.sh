#!/usr/bin/env bash
# Load time of a 2,000-stage pipeline: `sluice graph` (load, validate, print the graph; nothing
# runs), median of RUNS runs, whole process. Two inputs in DIR:
#   flat.yml    2,000 stages written out (bench/engine/gen_dag.sh's DAG: layers of 50, two needs)
#   matrix.yml  the same count from 500 stages with a 2x2 matrix each (`needs:` a whole matrix)
#   expanded.yml  matrix.yml written out by hand as a sluice without matrices must (the same
#               2,000 stages, commands and 8,000 needs): "today's" load time of that pipeline
# usage: load.sh SLUICE [RUNS] [DIR]; prints, per input the binary accepts, the median wall and CPU
# time (CPU: user + sys, steadier than wall time on a busy machine), in rounds of rotating order.
set -euo pipefail
sluice="$1"; runs="${2:-30}"; dir="${3:-$(mktemp -d)}"
here="$(cd "$(dirname "$0")" && pwd)"
"$here/../engine/gen_dag.sh" "$dir" 2000
mv "$dir/sluice.yml" "$dir/flat.yml"
{
  echo "version: 1"
  echo "defaults: { shell: sh }"
  echo "stages:"
  for ((i = 0; i < 500; i++)); do
    echo "  t$i:"
    echo "    matrix: { py: [\"3.10\", \"3.11\"], os: [debian, alpine] }"
    echo "    run: \": > out/$i-\${{ matrix.py }}-\${{ matrix.os }}\""
    echo "    cache: true"
    echo "    outputs: [\"out/$i-\${{ matrix.py }}-\${{ matrix.os }}\"]"
    if ((i >= 50)); then echo "    needs: [t$((i - 50))]"; fi
  done
} > "$dir/matrix.yml"
{
  echo "version: 1"
  echo "defaults: { shell: sh }"
  echo "stages:"
  for ((i = 0; i < 500; i++)); do
    for py in 3.10 3.11; do
      for os in debian alpine; do
        echo "  t$i-py$py-$os:"
        echo "    run: \": > out/$i-$py-$os\""
        echo "    cache: true"
        echo "    outputs: [\"out/$i-$py-$os\"]"
        j=$((i - 50))
        if ((i >= 50)); then echo "    needs: [t$j-py3.10-debian, t$j-py3.10-alpine, t$j-py3.11-debian, t$j-py3.11-alpine]"; fi
      done
    done
  done
} > "$dir/expanded.yml"
# The three inputs in rounds of rotating order (bench/lib/rounds.py): wall and CPU medians, and
# the per-round ratios to flat.yml; matrix.yml / expanded.yml is the cost of expanding matrices.
cmds=()
for f in flat expanded matrix; do
  if ! "$sluice" graph -f "$dir/$f.yml" > /dev/null 2>&1; then echo "$f.yml not accepted"; continue; fi
  cmds+=("$f.yml=$sluice graph -f $dir/$f.yml")
done
python3 "$here/../lib/rounds.py" --rounds "$runs" --warmup 2 --json "$dir/load.json" "${cmds[@]}"
python3 - "$dir/load.json" <<'PY'
import json, statistics, sys
r = json.load(open(sys.argv[1]))
if "matrix.yml" in r and "expanded.yml" in r:
    m, e = r["matrix.yml"], r["expanded.yml"]
    cpu = statistics.median(a / b for a, b in zip(m["cpu"], e["cpu"]) if b > 0)
    wall = statistics.median(a / b for a, b in zip(m["times"], e["times"]))
    print(f"matrix.yml / expanded.yml per round: CPU {cpu:.2f}x, wall {wall:.2f}x (goal: within 10%)")
PY
