#!/usr/bin/env bash
# Whole-process, one-thread comparison of secret scanners on ~175-200 MB of real source code:
#   sluice + its own rules and sluice + gitleaks' default rules, each with a warm compiled-rule
#   cache and a cold one (an empty SLUICE_CACHE_DIR every run: rules compiled in the timed run);
#   ripgrep as gitleaks works: each rule's keywords as a literal prefilter, then the rule's regex
#   on the files that passed (bench/secrets/rg_gitleaks.py).
# Rounds of rotating order (bench/lib/rounds.py); a run that fails (exit >= 2; 1 means findings)
# stops the benchmark. MB/s are of TEXT actually scanned (what sluice reports scanning; binary
# files are skipped by both), and by CPU time too, as the shared machine is often loaded.
# Usage: bench/secrets/compare.sh SLUICE_BINARY [CORPUS_DIR]   (ROUNDS=3 by default)
# Corpus recipe (Debian 12): copy /usr/include and /usr/lib/python3.11 into CORPUS_DIR/include
# and CORPUS_DIR/py (renamed so that gitleaks' global path allowlist, which skips
# lib/python3.x/, does not exclude the Python half).
set -euo pipefail
SLUICE=$(realpath "${1:?usage: compare.sh SLUICE_BINARY [CORPUS_DIR]}")
CORPUS=${2:-/tmp/sluice-secrets-corpus}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${SLUICE_SHARED_DIR:-$ROOT/../shared}
GITLEAKS="$SHARED/data/gitleaks/gitleaks.toml"
[ -f "$GITLEAKS" ] || { echo "missing $GITLEAKS" >&2; exit 2; }
command -v rg >/dev/null || { echo "ripgrep is needed (apt-get install ripgrep)" >&2; exit 2; }
if [ ! -d "$CORPUS/include" ]; then
  mkdir -p "$CORPUS"
  cp -r /usr/include "$CORPUS/include"
  py=$(ls -d /usr/lib/python3.* | head -1)
  cp -r "$py" "$CORPUS/py"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-secbench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
BYTES=$(du -sb "$CORPUS" | cut -f1)
WARM=$WORK/warm-cache
# Warm the rule cache and the page cache; record what sluice scans and finds.
for cfg in "" "--config $GITLEAKS"; do
  set +e
  SLUICE_CACHE_DIR=$WARM taskset -c 0 "$SLUICE" scan $cfg --threads 1 "$CORPUS" > "$WORK/findings" 2> "$WORK/summary"
  rc=$?
  set -e
  [ $rc -le 1 ] || { cat "$WORK/summary" >&2; exit 1; }
  echo "sluice ${cfg:-(built-in rules)}: $(tail -1 "$WORK/summary")"
done
TEXT_MB=$(sed -n 's/.*files (\([0-9.]*\) MB,.*/\1/p' "$WORK/summary")
echo "corpus: $CORPUS, $(find "$CORPUS" -type f | wc -l) files, $((BYTES / 1000000)) MB, of which $TEXT_MB MB text scanned"
python3 "$ROOT/bench/secrets/rg_gitleaks.py" "$GITLEAKS" "$CORPUS" --check
scan() { echo "taskset -c 0 $SLUICE scan $1 --threads 1 $CORPUS; test \$? -le 1"; }
python3 "$ROOT/bench/lib/rounds.py" --rounds "${ROUNDS:-3}" --warmup 0 --json "$WORK/r.json" \
  "sluice, built-in rules, warm cache=SLUICE_CACHE_DIR=$WARM $(scan "")" \
  "sluice, built-in rules, cold cache=rm -rf $WORK/cold && SLUICE_CACHE_DIR=$WORK/cold $(scan "")" \
  "sluice, gitleaks rules, warm cache=SLUICE_CACHE_DIR=$WARM $(scan "--config $GITLEAKS")" \
  "sluice, gitleaks rules, cold cache=rm -rf $WORK/cold && SLUICE_CACHE_DIR=$WORK/cold $(scan "--config $GITLEAKS")" \
  "ripgrep, gitleaks keywords + regexes=taskset -c 0 python3 $ROOT/bench/secrets/rg_gitleaks.py $GITLEAKS $CORPUS"
python3 - "$WORK/r.json" "$TEXT_MB" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); mb = float(sys.argv[2])
print(f"MB/s of the {mb} MB of text scanned (wall median / CPU median):")
for name, v in r.items():
    print(f"  {name:40s} {mb / v['median']:7.1f} MB/s wall, {mb / v['cpu_median']:7.1f} MB/s CPU")
PY
