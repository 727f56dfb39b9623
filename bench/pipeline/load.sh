#!/usr/bin/env bash
# Load time of a 2,000-stage pipeline: `sluice graph` (load, validate, print the graph; nothing
# runs), median of RUNS runs, whole process. Two inputs in DIR:
#   flat.yml    2,000 stages written out (bench/engine/gen_dag.sh's DAG: layers of 50, two needs)
#   matrix.yml  the same count from 500 stages with a 2x2 matrix each (`needs:` a whole matrix)
#   expanded.yml  matrix.yml written out by hand as a sluice without matrices must (the same
#               2,000 stages, commands and 8,000 needs): "today's" load time of that pipeline
# usage: load.sh SLUICE [RUNS] [DIR]; prints, per input the binary accepts, the median wall time
# and `perf stat`'s task-clock (CPU time: steadier than wall time on a busy machine).
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
for f in flat expanded matrix; do
  if ! "$sluice" graph -f "$dir/$f.yml" > /dev/null 2>&1; then echo "$f.yml not accepted"; continue; fi
  for ((r = 0; r < runs; r++)); do
    s=$(date +%s%N); "$sluice" graph -f "$dir/$f.yml" > /dev/null; e=$(date +%s%N)
    echo $(((e - s) / 1000))
  done | sort -n | awk -v f="$f.yml" '{a[NR]=$1} END {printf "%s wall %.1f ms (median of %d)", f, a[int((NR+1)/2)]/1000, NR}'
  if command -v perf > /dev/null; then
    perf stat -r "$runs" -e task-clock "$sluice" graph -f "$dir/$f.yml" 2>&1 >/dev/null |
      awk '/task-clock/ {printf ", cpu %s ms (+- %s)", $1, $(NF-1)}'
  fi
  echo
done
