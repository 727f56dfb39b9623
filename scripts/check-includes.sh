#!/usr/bin/env bash
# Fails when a file under src/ includes a module above its own, or another engine beside it,
# per the layer table in ARCHITECTURE.md:
#   cli > engine > pipeline > engines (tokenize | secrets | k8s | llm | report) > store > base
# Engines never include each other. Tests are held to the same rule.
# usage: scripts/check-includes.sh [src-dir]
set -euo pipefail
src="${1:-$(cd "$(dirname "$0")/.." && pwd)/src}"

rank() {
  case "$1" in
    base) echo 0 ;;
    store) echo 1 ;;
    tokenize|secrets|k8s|llm|report) echo 2 ;;
    pipeline) echo 3 ;;
    engine) echo 4 ;;
    cli) echo 5 ;;
    *) echo -1 ;;
  esac
}

bad=0
while IFS= read -r -d '' file; do
  rel="${file#"$src"/}"
  from="${rel%%/*}"
  from_rank="$(rank "$from")"
  if [[ "$from_rank" == -1 ]]; then
    echo "$rel: module \"$from\" is not in the layer table (scripts/check-includes.sh, ARCHITECTURE.md)" >&2
    bad=1
    continue
  fi
  while IFS=: read -r line inc; do
    to="${inc%%/*}"
    [[ "$to" == "$from" ]] && continue
    to_rank="$(rank "$to")"
    [[ "$to_rank" == -1 ]] && continue  # not one of ours (a system or third-party header)
    if (( to_rank > from_rank )); then
      echo "$rel:$line: includes \"$inc\": $from may not include $to (a layer up)" >&2
      bad=1
    elif (( to_rank == from_rank )); then
      echo "$rel:$line: includes \"$inc\": engines never include each other ($from -> $to)" >&2
      bad=1
    fi
  done < <(grep -n -o -E '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[^"]+"' "$file" |
           sed -E 's/^([0-9]+):[^"]*"([^"]+)"/\1:\2/')
done < <(find "$src" -type f \( -name '*.h' -o -name '*.cpp' -o -name '*.inc' \) -print0 | sort -z)

if (( bad )); then
  echo "check-includes: layering violations (see ARCHITECTURE.md, Layers)" >&2
  exit 1
fi
echo "check-includes: every include in $src points down the layers"
