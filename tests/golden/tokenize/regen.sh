#!/usr/bin/env bash
# Regenerates the tokenizer goldens in this directory with node: the npm packages `tiktoken`
# (reference ids) and `gpt-tokenizer` (cross-check) are installed into a temp dir, never here.
#   tests/golden/tokenize/regen.sh [OUT_DIR]
# Also used by bench/tokenize/differential.sh on a large corpus (OUT_DIR elsewhere, extra cases).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
extra=${2:-}
command -v node >/dev/null && command -v npm >/dev/null || { echo "regen: node and npm are needed" >&2; exit 1; }
mods=${SLUICE_NODE_MODULES:-}
if [ -z "$mods" ]; then
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-golden.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund tiktoken@1.0.22 gpt-tokenizer@4.0.0 >/dev/null)
  mods=$tmp/node_modules
fi
# Node resolves bare imports from the script's directory upwards; run a copy beside node_modules.
cp "$here/gen.mjs" "$mods/../sluice-gen.mjs"
node "$mods/../sluice-gen.mjs" "$out" $extra
rm -f "$mods/../sluice-gen.mjs"
