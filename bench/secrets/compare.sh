#!/usr/bin/env bash
# Whole-process, one-thread comparison on ~200 MB of real source code:
#   sluice + gitleaks' default rules, sluice + its own rules, ripgrep + the same gitleaks regexes.
# Usage: bench/secrets/compare.sh SLUICE_BINARY [CORPUS_DIR]
# Corpus recipe (Debian 12): copy /usr/include and /usr/lib/python3.11 into CORPUS_DIR/include
# and CORPUS_DIR/py (renamed so that gitleaks' global path allowlist, which skips
# lib/python3.x/, does not exclude the Python half). Pinned to CPU 0 with taskset.
set -euo pipefail
SLUICE=${1:?usage: compare.sh SLUICE_BINARY [CORPUS_DIR]}
CORPUS=${2:-/tmp/sluice-secrets-corpus}
SHARED=${SLUICE_SHARED_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}
GITLEAKS="$SHARED/data/gitleaks/gitleaks.toml"
RG_TIMEOUT=${RG_TIMEOUT:-300}
[ -f "$GITLEAKS" ] || { echo "missing $GITLEAKS" >&2; exit 2; }
if [ ! -d "$CORPUS/include" ]; then
  mkdir -p "$CORPUS"
  cp -r /usr/include "$CORPUS/include"
  py=$(ls -d /usr/lib/python3.* | head -1)
  cp -r "$py" "$CORPUS/py"
fi
BYTES=$(du -sb "$CORPUS" | cut -f1)
FILES=$(find "$CORPUS" -type f | wc -l)
echo "corpus: $CORPUS, $FILES files, $((BYTES / 1000000)) MB"
export SLUICE_CACHE_DIR=${SLUICE_CACHE_DIR:-/tmp/sluice-bench-cache}
# Warm the compiled-rule cache and the page cache; print findings counts for the record.
for cfg in "--config $GITLEAKS" ""; do
  n=$(taskset -c 0 "$SLUICE" scan $cfg --threads 1 "$CORPUS" 2>/dev/null | wc -l || true)
  echo "sluice ${cfg:-(default rules)}: $n findings"
done
hyperfine --warmup 1 --runs ${RUNS:-3} -i --export-markdown /tmp/sluice-secrets-bench.md \
  -n "sluice, gitleaks rules" "taskset -c 0 $SLUICE scan --config $GITLEAKS --threads 1 $CORPUS" \
  -n "sluice, sluice rules" "taskset -c 0 $SLUICE scan --threads 1 $CORPUS"
cat /tmp/sluice-secrets-bench.md
# ripgrep with the same regexes (Go syntax is close to Rust regex's; the few patterns rg
# rejects are dropped and counted). One run with a timeout: it is a lower bound if it expires.
PATS=$(mktemp)
python3 - "$GITLEAKS" "$PATS" <<'PY'
import sys, tomllib, subprocess
rules = tomllib.load(open(sys.argv[1], 'rb'))['rules']
ok = 0
with open(sys.argv[2], 'w') as out:
    for r in rules:
        rx = r.get('regex')
        if not rx: continue
        if subprocess.run(['rg', '-q', '-e', rx, '/dev/null'], capture_output=True).returncode == 2: continue
        out.write(rx + '\n'); ok += 1
print(f"ripgrep: {ok} of {len(rules)} gitleaks regexes accepted", file=sys.stderr)
PY
start=$(date +%s.%N)
set +e
timeout "$RG_TIMEOUT" taskset -c 0 rg -j1 --no-ignore --hidden --regex-size-limit 2G --dfa-size-limit 2G -c -f "$PATS" "$CORPUS" > /dev/null
rc=$?
set -e
end=$(date +%s.%N)
secs=$(echo "$end - $start" | bc)
if [ $rc -eq 124 ]; then
  echo "ripgrep, gitleaks regexes: timed out after ${RG_TIMEOUT}s (lower bound: slower than $(echo "scale=2; $BYTES / $RG_TIMEOUT / 1000000" | bc) MB/s)"
else
  echo "ripgrep, gitleaks regexes: ${secs}s (exit $rc), $(echo "$BYTES / $secs / 1000000" | bc) MB/s"
fi
rm -f "$PATS"
