#!/usr/bin/env bash
# Times `sluice tokens count` against node + gpt-tokenizer@4.0.0 on the same ~10 MB corpus of prose
# and code, one core (taskset -c 0), whole process including rank loading, both encodings.
#   bench/tokenize/compare.sh SLUICE_BINARY [RUNS]
# Corpus recipe (files on any Debian 12 machine): /usr/share/common-licenses/* four times (prose),
# then every /usr/include/**/*.h in sorted order (code), cut to 10 MiB, invalid UTF-8 bytes dropped. Prints hyperfine's table
# and a summary with MB/s (1 MB = 10^6 bytes) and the speed-up.
set -euo pipefail
sluice=$(realpath "${1:?usage: compare.sh SLUICE_BINARY [RUNS]}")
runs=${2:-5}
command -v hyperfine >/dev/null || { echo "compare: hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-tokbench.XXXXXX")
trap 'rm -rf "$work"' EXIT

corpus=$work/corpus.txt
{
  for _ in 1 2 3 4; do cat /usr/share/common-licenses/*; done
  find /usr/include -name '*.h' -type f | LC_ALL=C sort | xargs cat
} 2>/dev/null | head -c 10485760 > "$corpus.raw" || true  # head closes the pipe early
# A few headers hold Latin-1 bytes; node would read them as U+FFFD, so drop them for a like-for-like
# input (sluice's policy for invalid bytes differs from a U+FFFD replacement by design).
iconv -c -f UTF-8 -t UTF-8 "$corpus.raw" > "$corpus" || true
bytes=$(stat -c %s "$corpus")

(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund gpt-tokenizer@4.0.0 >/dev/null)
cat > "$work/count.mjs" <<'JS'
import { readFileSync } from "node:fs";
const [, , encoding, file] = process.argv;
const { countTokens } = await import(`gpt-tokenizer/encoding/${encoding}`);
console.log(countTokens(readFileSync(file, "utf8")));
JS

echo "corpus: $bytes bytes; $(node --version); gpt-tokenizer 4.0.0; $(nproc) cores, pinned to core 0"
for enc in cl100k_base o200k_base; do
  a=$("$sluice" tokens count --encoding "$enc" "$corpus")
  b=$(node "$work/count.mjs" "$enc" "$corpus")
  echo "$enc: sluice counts $a tokens, gpt-tokenizer $b"
done
hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$work/result.json" \
  -n "sluice cl100k" "taskset -c 0 $sluice tokens count --encoding cl100k_base $corpus" \
  -n "gpt-tokenizer cl100k" "taskset -c 0 node $work/count.mjs cl100k_base $corpus" \
  -n "sluice o200k" "taskset -c 0 $sluice tokens count --encoding o200k_base $corpus" \
  -n "gpt-tokenizer o200k" "taskset -c 0 node $work/count.mjs o200k_base $corpus"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
const bytes = Number(process.argv[2]);
const med = Object.fromEntries(r.map((x) => [x.command, x.median]));
for (const e of ["cl100k", "o200k"]) {
  const s = med["sluice " + e], g = med["gpt-tokenizer " + e];
  console.log(`${e}: sluice median ${s.toFixed(3)} s = ${(bytes / s / 1e6).toFixed(1)} MB/s; ` +
              `gpt-tokenizer median ${g.toFixed(3)} s = ${(bytes / g / 1e6).toFixed(1)} MB/s; speed-up ${(g / s).toFixed(2)}x`);
}' "$work/result.json" "$bytes"
