#!/usr/bin/env bash
# The "valid" verdicts of tests/fixtures/k8s/examples-expected.txt, checked by a second,
# independent JSON-Schema validator (Python jsonschema, Debian python3-jsonschema) against the
# same schemas (CTest differential/k8s_examples_jsonschema). Where the two disagree is recorded in
# tests/fixtures/k8s/examples-jsonschema.txt (why: tests/fixtures/k8s/README.md); any change on
# either side fails. Without ../shared or the module: skipped (77) locally, a failure under CI=true.
set -uo pipefail
: "${SLUICE_SOURCE_DIR:?}"
shared=${SLUICE_SHARED_DIR:-$SLUICE_SOURCE_DIR/../shared}
ci() { case "${CI:-}" in ""|0|false) return 1 ;; *) return 0 ;; esac; }
missing() { if ci; then echo "FAIL: $1, and CI=true" >&2; exit 1; fi; echo "SKIP: $1"; exit 77; }
[ -d "$shared/data/k8s-examples" ] && [ -d "$shared/data/k8s-schemas" ] || missing "$shared/data/k8s-examples or k8s-schemas not found"
python3 -c 'import jsonschema, yaml' 2>/dev/null || missing "python3 jsonschema or yaml missing (apt-get install python3-jsonschema python3-yaml)"
echo "running against $shared"
fx="$SLUICE_SOURCE_DIR/tests/fixtures/k8s"
python3 "$fx/verify_examples.py" "$shared/data/k8s-examples" "$shared/data/k8s-schemas" "$fx/examples-expected.txt" \
  --check "$fx/examples-jsonschema.txt"
