#!/usr/bin/env bash
# Times `sluice validate k8s` on the ORIGINAL files of the Kubernetes examples repository (the 215
# files sluice calls valid, as they are: comments, flow style, anchors, multi-document files),
# copied COPIES times into copy-N/ directories (default 8: ~1,900 resources), whole process
# (schema loading included), pinned to one core, side by side with a second validator that
# installs here (Python jsonschema, bench/k8s/jsonschema_peer.py), in rounds of rotating order.
# For continuity it also times the older corpus (make_corpus.py: the same files rewritten by
# PyYAML into one block style, with unique names), which favours sluice's fast YAML path.
# kubeconform, the usual peer, cannot be built here: no Go toolchain or Go module download, and
# Debian 12 does not package it. Its figures are therefore not measured.
# Usage: bench/k8s/compare.sh [BUILD_DIR | SLUICE_BINARY]   (ROUNDS=10, COPIES=8)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
if [ -f "$BUILD" ]; then SLUICE=$(realpath "$BUILD"); else SLUICE=$(realpath "$BUILD/sluice"); fi
SHARED=${SLUICE_SHARED_DIR:-$ROOT/../shared}
SCHEMAS=$SHARED/data/k8s-schemas
EXAMPLES=$SHARED/data/k8s-examples
EXPECTED=$ROOT/tests/fixtures/k8s/examples-expected.txt
[ -x "$SLUICE" ] || { echo "no sluice binary at $SLUICE" >&2; exit 2; }
[ -d "$SCHEMAS" ] || { echo "$SCHEMAS not found: the benchmark needs ../shared" >&2; exit 2; }
python3 -c 'import jsonschema, yaml' || { echo "python3-jsonschema and python3-yaml are needed" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-k8s-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

python3 - "$EXAMPLES" "$EXPECTED" "$WORK/original" "${COPIES:-8}" <<'PY'
import os, shutil, sys
examples, expected, out, copies = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
listed = {l.split('\t')[0] for l in open(expected) if l.strip() and not l.startswith('#')}
for root, _, names in os.walk(examples):
    for n in names:
        rel = os.path.relpath(os.path.join(root, n), examples)
        if n.endswith(('.yaml', '.yml')) and rel not in listed:
            for c in range(copies):
                d = os.path.join(out, 'copy-%d' % c, os.path.dirname(rel))
                os.makedirs(d, exist_ok=True)
                shutil.copy(os.path.join(examples, rel), d)
PY
python3 "$ROOT/bench/k8s/make_corpus.py" "$EXAMPLES" "$EXPECTED" "$WORK/rewritten" 2000 > /dev/null
for c in original rewritten; do
  # Each corpus must be valid (warnings allowed), or the benchmark would time error reporting.
  "$SLUICE" validate k8s --strict --schema-location "$SCHEMAS" "$WORK/$c" > "$WORK/$c.out" ||
    { tail -5 "$WORK/$c.out"; echo "the $c corpus is not valid" >&2; exit 1; }
  echo "$c corpus: $(find "$WORK/$c" -type f | wc -l) files, $(find "$WORK/$c" -type f -exec cat {} + | wc -c) bytes; $(tail -1 "$WORK/$c.out")"
done
echo "peer on the original corpus: $(python3 "$ROOT/bench/k8s/jsonschema_peer.py" "$SCHEMAS" "$WORK/original") (numbers as quantities, see tests/fixtures/k8s/README.md)"
N=$(sed -n 's/.* \([0-9]*\) resources checked.*/\1/p' "$WORK/original.out")
NR=$(sed -n 's/.* \([0-9]*\) resources checked.*/\1/p' "$WORK/rewritten.out")
python3 "$ROOT/bench/lib/rounds.py" --rounds "${ROUNDS:-10}" --warmup 2 --json "$WORK/r.json" \
  "sluice, original files=taskset -c 0 $SLUICE validate k8s --strict --schema-location $SCHEMAS $WORK/original" \
  "python jsonschema, original files=taskset -c 0 python3 $ROOT/bench/k8s/jsonschema_peer.py $SCHEMAS $WORK/original" \
  "sluice, rewritten corpus (older method)=taskset -c 0 $SLUICE validate k8s --strict --schema-location $SCHEMAS $WORK/rewritten"
python3 - "$WORK/r.json" "$N" "$NR" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); n, nr = int(sys.argv[2]), int(sys.argv[3])
for name, v in r.items():
    k = nr if "rewritten" in name else n
    print(f"  {name:42s} {k / v['median']:9,.0f} resources/s wall, {k / v['cpu_median']:9,.0f} by CPU ({k} resources)")
PY
