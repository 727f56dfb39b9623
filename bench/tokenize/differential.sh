#!/usr/bin/env bash
# Opt-in differential test on a large corpus: real files found on any Debian machine (licenses,
# C headers, X11 compose tables with many scripts) cut into chunks, plus many generated cases;
# the reference ids come from tiktoken (npm, WebAssembly build of OpenAI's Rust code) and the
# golden test of sluice_tokenize_test compares every case.
#   bench/tokenize/differential.sh BUILD_DIR [RANDOM_CASES]
set -euo pipefail
build=${1:?usage: differential.sh BUILD_DIR [RANDOM_CASES]}
random_cases=${2:-20000}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-diff.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Chunks of ~1500 bytes cut at line ends, separated by "\x1e\n" (see gen.mjs). Files that are not
# valid UTF-8 are skipped (the goldens are strings).
{
  for f in /usr/share/common-licenses/* /usr/include/*.h /usr/include/c++/12/bits/*.h \
           /usr/share/X11/locale/*/Compose; do
    [ -f "$f" ] || continue
    iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1 || continue
    awk 'BEGIN{n=0} {buf = buf $0 "\n"; n += length($0) + 1; if (n > 1500) {printf "%s\x1e\n", buf; buf=""; n=0}}
         END{if (n > 0) printf "%s\x1e\n", buf}' "$f"
  done
} > "$work/extra.txt"
echo "differential: $(grep -c $'\x1e' "$work/extra.txt") file chunks + $random_cases generated cases" >&2
GOLDEN_RANDOM_CASES=$random_cases "$root/tests/golden/tokenize/regen.sh" "$work" "$work/extra.txt"
SLUICE_SOURCE_DIR=$root SLUICE_TOKENIZE_GOLDEN_DIR=$work \
  "$build/src/tokenize/sluice_tokenize_test" --gtest_filter='*Golden*'
