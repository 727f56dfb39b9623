#!/usr/bin/env bash
# Throughput of `sluice scan --git` (MB of added lines per second) on a repository built from
# the benchmark corpus of compare.sh: its files committed in COMMITS commits (default 50), then
# a commit that modifies every 10th file (a realistic mix of new files and small edits).
# Usage: bench/secrets/git_history.sh SLUICE_BINARY [CORPUS_DIR] [REPO_DIR]
set -euo pipefail
SLUICE=${1:?usage: git_history.sh SLUICE_BINARY [CORPUS_DIR] [REPO_DIR]}
CORPUS=${2:-/tmp/sluice-secrets-corpus}
REPO=${3:-/tmp/sluice-git-history-bench}
COMMITS=${COMMITS:-50}
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
g() { git -C "$REPO" -c user.name=Bench -c user.email=bench@example.com "$@"; }
if [ ! -d "$REPO/.git" ]; then
  [ -d "$CORPUS" ] || { echo "missing $CORPUS (see compare.sh)" >&2; exit 2; }
  mkdir -p "$REPO"
  g init -q -b main
  mapfile -t files < <(cd "$CORPUS" && find . -type f | LC_ALL=C sort)
  per=$(( (${#files[@]} + COMMITS - 1) / COMMITS ))
  for ((i = 0; i < ${#files[@]}; i += per)); do
    (cd "$CORPUS" && printf '%s\0' "${files[@]:i:per}" | xargs -0 cp --parents -t "$REPO")
    g add -A >/dev/null
    g commit -q -m "chunk $((i / per))"
  done
  (cd "$REPO" && find . -path ./.git -prune -o -type f -print | awk 'NR % 10 == 0' | while read -r f; do
    printf '\n// edited\n' >> "$f"; done)
  g commit -q -am "edit every 10th file"
fi
echo "repository: $REPO, $(g rev-list --count HEAD) commits"
export SLUICE_CACHE_DIR=${SLUICE_CACHE_DIR:-/tmp/sluice-bench-cache}
"$SLUICE" scan --git "$REPO" >/dev/null 2>&1 || true   # warm caches
for run in 1 2 3; do
  { taskset -c "${CPUS:-0}" "$SLUICE" scan --git "$REPO" 2>&1 >/dev/null || true; } | tail -1
done
start=$(date +%s.%N)
g log -p -U0 --all --no-merges --format=%H >/dev/null
end=$(date +%s.%N)
echo "git log -p -U0 alone: $(echo "$end - $start" | bc) s"
