#!/usr/bin/env bash
# Times `sluice validate k8s` on the examples corpus replicated to ~2,000 valid resources, whole
# process (schema loading included), pinned to one core. kubeconform, the usual peer, is not
# installable here; the issue quotes ~4,600 resources/s for it on this corpus.
# Usage: bench/k8s/compare.sh [BUILD_DIR | SLUICE_BINARY]   (default: build; needs hyperfine, python3-yaml)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
if [ -f "$BUILD" ]; then SLUICE=$BUILD; else SLUICE=$BUILD/sluice; fi
SHARED=${SLUICE_SHARED_DIR:-$ROOT/../shared}
SCHEMAS=$SHARED/data/k8s-schemas
EXAMPLES=$SHARED/data/k8s-examples
TARGET=${TARGET:-2000}
[ -x "$SLUICE" ] || { echo "no sluice binary at $SLUICE" >&2; exit 2; }
[ -d "$SCHEMAS" ] || { echo "SKIP: $SCHEMAS not found"; exit 0; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-k8s-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

N=$(python3 "$ROOT/bench/k8s/make_corpus.py" "$EXAMPLES" "$ROOT/tests/fixtures/k8s/examples-expected.txt" "$WORK/corpus" "$TARGET")
CMD="$SLUICE validate k8s --strict --schema-location $SCHEMAS $WORK/corpus"
# The corpus must be valid (warnings allowed), or the benchmark would time error reporting.
$CMD > "$WORK/out.txt" || { tail -5 "$WORK/out.txt"; echo "corpus is not valid" >&2; exit 1; }
CHECKED=$(tail -1 "$WORK/out.txt")
echo "corpus: $N resources in $(ls "$WORK/corpus" | wc -l) files, $(cat "$WORK"/corpus/* | wc -c) bytes; $CHECKED"

hyperfine --warmup 3 --runs ${RUNS:-20} --export-json "$WORK/h.json" \
  -n "sluice validate k8s (taskset -c 0)" "taskset -c 0 $CMD > /dev/null"
python3 - "$WORK/h.json" "$N" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
n = int(sys.argv[2])
print(f"median {r['median']*1000:.1f} ms, mean {r['mean']*1000:.1f} ms +- {r['stddev']*1000:.1f}, "
      f"min {r['min']*1000:.1f} ms -> {n / r['median']:,.0f} resources/s (median)")
PY
