#!/usr/bin/env bash
# Writes a DAG of N stages (layers of 50; every stage after the first layer needs two stages of
# the previous layer; each command is a trivial `: > out/N`) both as sluice.yml and as
# build.ninja, into DIR.   usage: gen_dag.sh DIR [N]
set -euo pipefail
dir="$1"; n="${2:-2000}"; width=50
mkdir -p "$dir"
{
  echo "version: 1"
  echo "defaults: { shell: sh }"
  echo "stages:"
  for ((i = 0; i < n; i++)); do
    layer=$((i / width)); pos=$((i % width))
    echo "  s$i:"
    echo "    run: \": > out/$i\""
    echo "    cache: true"
    echo "    outputs: [out/$i]"
    if ((layer > 0)); then
      a=$(((layer - 1) * width + pos)); b=$(((layer - 1) * width + (pos + 1) % width))
      echo "    needs: [s$a, s$b]"
    fi
  done
} > "$dir/sluice.yml"
{
  echo "rule touch"
  echo "  command = : > \$out"
  for ((i = 0; i < n; i++)); do
    layer=$((i / width)); pos=$((i % width))
    if ((layer > 0)); then
      a=$(((layer - 1) * width + pos)); b=$(((layer - 1) * width + (pos + 1) % width))
      echo "build out/$i: touch | out/$a out/$b"
    else
      echo "build out/$i: touch"
    fi
  done
} > "$dir/build.ninja"
