#!/usr/bin/env bash
# Times `sluice tokens count` against node + gpt-tokenizer@4.0.0 and node + tiktoken@1.0.22 (WASM)
# on the same ~10 MB corpus of prose and code, whole process including rank loading, both
# encodings, each pinned to core 0 and unpinned, in rounds of rotating order (bench/lib/rounds.py).
# Fails if the three counts differ.
#   bench/tokenize/compare.sh SLUICE_BINARY [RUNS]
# Corpus recipe (files on any Debian 12 machine): /usr/share/common-licenses/* four times (prose),
# then every /usr/include/**/*.h in sorted order (code), cut to 10 MiB, invalid UTF-8 bytes dropped. Prints hyperfine's table
# and a summary with MB/s (1 MB = 10^6 bytes) and the speed-up.
set -euo pipefail
sluice=$(realpath "${1:?usage: compare.sh SLUICE_BINARY [RUNS]}")
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${2:-5}
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
# tiktoken@1.0.22 (OpenAI's Rust core as WebAssembly), pinned and checksummed like the rank files.
ln -s "$("$root/scripts/fetch-node-tiktoken.sh")/tiktoken" "$work/node_modules/tiktoken"
cat > "$work/count.mjs" <<'JS'
import { readFileSync } from "node:fs";
const [, , encoding, file] = process.argv;
const { countTokens } = await import(`gpt-tokenizer/encoding/${encoding}`);
console.log(countTokens(readFileSync(file, "utf8")));
JS
cat > "$work/tiktoken.mjs" <<'JS'
import { readFileSync } from "node:fs";
import { get_encoding } from "tiktoken";
const [, , encoding, file] = process.argv;
const enc = get_encoding(encoding);
console.log(enc.encode_ordinary(readFileSync(file, "utf8")).length);
enc.free();
JS

echo "corpus: $bytes bytes; $(node --version); gpt-tokenizer 4.0.0; tiktoken 1.0.22 (WASM); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
# The three must agree on the count, or the timing compares different work.
for enc in cl100k_base o200k_base; do
  a=$("$sluice" tokens count --encoding "$enc" "$corpus")
  b=$(node "$work/count.mjs" "$enc" "$corpus")
  c=$(node "$work/tiktoken.mjs" "$enc" "$corpus")
  echo "$enc: sluice counts $a tokens, gpt-tokenizer $b, tiktoken $c"
  a=${a%% *}
  [ "$a" = "$b" ] && [ "$a" = "$c" ] || { echo "compare: the counts differ for $enc" >&2; exit 1; }
done
# Each peer pinned to core 0 (one core each, like for like) and unpinned (node may use a second
# core for its JIT and GC; sluice counts on one thread either way). Rounds rotate the order.
for enc in cl100k_base o200k_base; do
  echo "== $enc"
  python3 "$root/bench/lib/rounds.py" --rounds "$runs" --warmup 1 --json "$work/$enc.json" \
    "sluice (core 0)=taskset -c 0 $sluice tokens count --encoding $enc $corpus" \
    "sluice (unpinned)=$sluice tokens count --encoding $enc $corpus" \
    "gpt-tokenizer (core 0)=taskset -c 0 node $work/count.mjs $enc $corpus" \
    "gpt-tokenizer (unpinned)=node $work/count.mjs $enc $corpus" \
    "tiktoken WASM (core 0)=taskset -c 0 node $work/tiktoken.mjs $enc $corpus" \
    "tiktoken WASM (unpinned)=node $work/tiktoken.mjs $enc $corpus"
  python3 - "$work/$enc.json" "$bytes" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); n = int(sys.argv[2])
s = r["sluice (core 0)"]["median"]
for name, v in r.items():
    print(f"  {name:28s} {n / v['median'] / 1e6:6.1f} MB/s (median {v['median']:.3f} s); sluice (core 0) is "
          f"{v['median'] / s:.2f}x faster")
PY
done
