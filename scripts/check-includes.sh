#!/usr/bin/env bash
# Fails when a file under src/ includes a module above its own, or another engine beside it,
# per the layer table in ARCHITECTURE.md:
#   cli > engine > {pipeline, engines (tokenize | secrets | k8s | refs | llm | registry | report | notify) > store} > base
# Engines never include each other; the pipeline (pure data) includes only base. Tests are held
# to the same rule.
# usage: scripts/check-includes.sh [src-dir]
set -euo pipefail
src="${1:-$(cd "$(dirname "$0")/.." && pwd)/src}"

# What each module may include besides itself (ARCHITECTURE.md, Layers).
allowed() {
  case "$1" in
    base) echo "" ;;
    store) echo "base" ;;
    tokenize|secrets|k8s|refs|llm|registry|report|notify) echo "base store" ;;  # engines: never each other
    pipeline) echo "base" ;;                                # pure data: no engine, no store
    review) echo "base" ;;                                  # review gates: CODEOWNERS matcher, manifest, signatures
    scaffold) echo "base" ;;                                # sluice init: reads a project, returns text
    engine) echo "base store tokenize secrets k8s refs llm registry report review pipeline" ;;
    cli) echo "base store tokenize secrets k8s refs llm registry report notify review scaffold pipeline engine" ;;
    *) echo "?" ;;
  esac
}
modules=" base store tokenize secrets k8s refs llm registry report notify review scaffold pipeline engine cli "

bad=0
while IFS= read -r -d '' file; do
  rel="${file#"$src"/}"
  from="${rel%%/*}"
  ok="$(allowed "$from")"
  if [[ "$ok" == "?" ]]; then
    echo "$rel: module \"$from\" is not in the layer table (scripts/check-includes.sh, ARCHITECTURE.md)" >&2
    bad=1
    continue
  fi
  while IFS=: read -r line inc; do
    to="${inc%%/*}"
    [[ "$to" == "$from" ]] && continue
    [[ "$modules" == *" $to "* ]] || continue  # not one of ours (a system or third-party header)
    if [[ " $ok " != *" $to "* ]]; then
      echo "$rel:$line: includes \"$inc\": $from may not include $to (it may include: ${ok:-nothing})" >&2
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
