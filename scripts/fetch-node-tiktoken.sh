#!/usr/bin/env bash
# Installs the npm package tiktoken@1.0.22 (OpenAI's Rust tiktoken compiled to WebAssembly: the
# tokenizer reference) into ${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}/node/tiktoken-1.0.22, for the
# long tokenizer goldens and their differential test. Like fetch-ranks.sh: pinned, the tarball
# checked against its SHA-256 before anything is unpacked, idempotent, quiet when present.
# Prints the node_modules directory that holds it.
set -euo pipefail
version=1.0.22
sha256=55c339e756fdb17604f7c7e3eb35d2bcbffe4d960e8096e50285d1cefa51dd90
cache_base="${SLUICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}"
dest="$cache_base/node/tiktoken-$version"
if [ -f "$dest/node_modules/tiktoken/.sluice-verified" ]; then
  echo "$dest/node_modules"; exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "fetch-node-tiktoken: npm is needed (make deps installs it)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-tiktoken.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "fetch-node-tiktoken: fetching tiktoken@$version into $dest" >&2
(cd "$tmp" && npm pack "tiktoken@$version" --silent >/dev/null)
got=$(sha256sum "$tmp/tiktoken-$version.tgz" | cut -d' ' -f1)
if [ "$got" != "$sha256" ]; then
  echo "fetch-node-tiktoken: tiktoken-$version.tgz has sha256 $got, expected $sha256; not installed" >&2
  exit 1
fi
mkdir -p "$tmp/node_modules/tiktoken"
tar -xzf "$tmp/tiktoken-$version.tgz" -C "$tmp/node_modules/tiktoken" --strip-components=1
touch "$tmp/node_modules/tiktoken/.sluice-verified"
mkdir -p "$(dirname "$dest")"
rm -rf "$dest.tmp" && mkdir -p "$dest.tmp" && mv "$tmp/node_modules" "$dest.tmp/"
rm -rf "$dest" && mv "$dest.tmp" "$dest"   # a reader never sees half a package
echo "$dest/node_modules"
