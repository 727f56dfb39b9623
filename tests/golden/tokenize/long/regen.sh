#!/usr/bin/env bash
# Regenerates the long tokenizer goldens (every case >= 8 KiB) with the npm package tiktoken@1.0.22,
# fetched pinned and checksummed by scripts/fetch-node-tiktoken.sh (never installed in the repo).
#   tests/golden/tokenize/long/regen.sh [OUT_DIR]     (default: this directory)
# GOLDEN_SEED changes the generated cases (tests/tokenize_long_differential.sh uses another one).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
out=${1:-$here}
command -v node >/dev/null || { echo "regen: node is needed" >&2; exit 1; }
mods=$("$root/scripts/fetch-node-tiktoken.sh")
# Node resolves bare imports from the script's directory upwards: run a copy beside node_modules.
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-long.XXXXXX")
trap 'rm -rf "$work"' EXIT
ln -s "$mods" "$work/node_modules"
cp "$here/gen_long.mjs" "$work/gen_long.mjs"
node "$work/gen_long.mjs" "$out" "$root"
