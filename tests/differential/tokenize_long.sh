#!/usr/bin/env bash
# Differential test of the tokenizer on long texts (make test, CTest differential/tokenize_long):
# fresh long cases (another seed than the committed goldens) are encoded by the npm package
# tiktoken@1.0.22 (pinned and checksummed, scripts/fetch-node-tiktoken.sh) and by sluice, and
# every id must match; every case is >= 8 KiB, so sluice's piece cache is on.
# Without npm or the registry: skipped (exit 77) on a developer machine, a failure under CI=true.
set -uo pipefail
: "${SLUICE_SOURCE_DIR:?}" "${SLUICE_BUILD_DIR:?}"
seed=${GOLDEN_SEED:-$(( 20261128 + 7 ))}
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-difflong.XXXXXX")
trap 'rm -rf "$work"' EXIT
ci() { case "${CI:-}" in ""|0|false) return 1 ;; *) return 0 ;; esac; }
if ! command -v node >/dev/null || ! "$SLUICE_SOURCE_DIR/scripts/fetch-node-tiktoken.sh" > "$work/mods" 2> "$work/fetch.err"; then
  cat "$work/fetch.err" >&2
  if ci; then echo "FAIL: node or tiktoken@1.0.22 unavailable, and CI=true" >&2; exit 1; fi
  echo "SKIP: node or tiktoken@1.0.22 unavailable (scripts/fetch-node-tiktoken.sh needs the npm registry)"
  exit 77
fi
ln -s "$(cat "$work/mods")" "$work/node_modules"
cp "$SLUICE_SOURCE_DIR/tests/golden/tokenize/long/gen_long.mjs" "$work/"
mkdir "$work/cases"
GOLDEN_SEED=$seed node "$work/gen_long.mjs" "$work/cases" "$SLUICE_SOURCE_DIR" || exit 1
echo "seed $seed (GOLDEN_SEED=$seed reproduces it)"
SLUICE_TOKENIZE_LONG_GOLDEN_DIR="$work/cases" \
  "$SLUICE_BUILD_DIR/src/tokenize/sluice_tokenize_test" --gtest_filter='*LongGolden*'
