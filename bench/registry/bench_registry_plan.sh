#!/usr/bin/env bash
# Times `sluice registry prune` planning a repository of N tags (default 5,000, one image each,
# config timestamps 30 days old) in a local docker-registry (Debian's, 2.8) on a free port.
# Seeds with sluice's push client (sluice_registry_seed, built beside sluice). Goal: < 2 s for
# 5,000 tags. usage: bench/registry/bench_registry_plan.sh BUILD_DIR [N]
set -euo pipefail
build="$(cd "${1:?usage: bench_registry_plan.sh BUILD_DIR [N]}" && pwd)"
n="${2:-5000}"
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../tests/e2e/registry_lib.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-registry.XXXXXX")
trap 'stop_registry || true; rm -rf "$tmp"' EXIT  # a killed registry's status is not the benchmark's
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
start_registry "$tmp/reg"
created=$(date -u -d '-30 days' +%Y-%m-%dT%H:%M:%SZ)
echo "{\"bulk\": {\"prefix\": \"t-\", \"count\": $n, \"created\": \"$created\", \"workers\": 16}}" > "$tmp/spec.json"
s=$(date +%s.%N)
"$build/sluice_registry_seed" "$tmp/spec.json" "$REG/bench/app"
echo "seeded $n tags in $(echo "$(date +%s.%N) - $s" | bc) s"
printf 'keep: [{newest: 100}]\ndelete: [{tags: ["t-*"], older_than: 7d}]\nmax_deletions: 100000\n' > "$tmp/policy.yml"
for i in 1 2 3; do
  s=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$tmp/cpu.txt" \
    "$build/sluice" registry prune --policy "$tmp/policy.yml" --json "$tmp/plan.json" "$REG/bench/app" > "$tmp/out.txt"
  echo "plan $i: $(echo "$(date +%s.%N) - $s" | bc) s wall, sluice's CPU $(awk '{print $1 " user + " $2 " sys"}' "$tmp/cpu.txt") s: $(tail -1 "$tmp/out.txt")"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
