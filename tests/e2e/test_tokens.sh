#!/usr/bin/env bash
# `sluice tokens`: count, encode, decode, truncate, special tokens, rank-dir resolution, errors.
# Needs the rank files (scripts/fetch-ranks.sh); ids below are tiktoken's.
. "$(dirname "$0")/lib.sh"

ranks=${SLUICE_TIKTOKEN_DIR:-$HOME/.cache/sluice/tiktoken}
export SLUICE_TIKTOKEN_DIR=$ranks

run_sluice tokens encode --encoding cl100k_base <(printf 'hello world')
expect_rc 0 "encode"
expect_eq "$OUT" "[15339,1917]" "encode cl100k ids"

run_sluice tokens encode --encoding o200k_base <(printf 'hello world')
expect_eq "$OUT" "[24912,2375]" "encode o200k ids"

printf 'hello world' > "$E2E_TMP/in.txt"
run_sluice tokens count --encoding cl100k_base "$E2E_TMP/in.txt"
expect_rc 0 "count"
expect_eq "$OUT" "2" "count prints the number alone"

OUT=$(printf "it's   fine\n\n" | "$SLUICE" tokens count -e o200k_base -); RC=$?
expect_rc 0 "count from stdin"
expect_eq "$OUT" "4" "count from stdin"

run_sluice tokens encode --encoding cl100k_base <(printf '')
expect_eq "$OUT" "[]" "empty input encodes to []"

# decode inverts encode, byte for byte (emoji, CJK, CRLF, trailing spaces).
printf 'caf\xc3\xa9 \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd \xe4\xb8\xad\xe6\x96\x87\r\n  ' > "$E2E_TMP/u.txt"
"$SLUICE" tokens encode -e o200k_base "$E2E_TMP/u.txt" > "$E2E_TMP/ids.json"
"$SLUICE" tokens decode -e o200k_base "$E2E_TMP/ids.json" > "$E2E_TMP/back.txt"
if cmp -s "$E2E_TMP/u.txt" "$E2E_TMP/back.txt"; then pass; else fail "decode(encode(x)) != x"; fi

# Invalid UTF-8 round-trips too (each invalid byte is its own token).
printf 'ab\xffcd\xc3' > "$E2E_TMP/bad.txt"
"$SLUICE" tokens encode -e cl100k_base "$E2E_TMP/bad.txt" > "$E2E_TMP/bad.json"
"$SLUICE" tokens decode -e cl100k_base "$E2E_TMP/bad.json" > "$E2E_TMP/bad.back"
if cmp -s "$E2E_TMP/bad.txt" "$E2E_TMP/bad.back"; then pass; else fail "invalid UTF-8 does not round-trip"; fi

# Special tokens: plain text unless --allow-special.
run_sluice tokens encode -e cl100k_base <(printf 'a<|endoftext|>b')
expect_not_contains "$OUT" "100257" "special token is text by default"
run_sluice tokens encode -e cl100k_base --allow-special <(printf 'a<|endoftext|>b')
expect_eq "$OUT" "[64,100257,65]" "--allow-special"

# truncate: a prefix, on a character boundary, of at most N tokens.
run_sluice tokens truncate -e cl100k_base --max 2 <(printf 'hello world again')
expect_rc 0 "truncate"
expect_eq "$OUT" "hello world" "truncate to 2 tokens"
printf '\xf0\x9f\x98\x80\xf0\x9f\x98\x80' > "$E2E_TMP/emoji.txt"
n=$("$SLUICE" tokens count -e cl100k_base "$E2E_TMP/emoji.txt")
"$SLUICE" tokens truncate -e cl100k_base --max $((n - 1)) "$E2E_TMP/emoji.txt" > "$E2E_TMP/cut.txt"
expect_eq "$(od -An -tx1 "$E2E_TMP/cut.txt" | tr -d ' \n')" "f09f9880" "truncate never cuts inside a character"
run_sluice tokens truncate -e cl100k_base <(printf 'x')
expect_rc 2 "truncate without --max is a usage error"

# Rank directory: --ranks wins over SLUICE_TIKTOKEN_DIR; errors name the path and hash.
run_sluice tokens count --ranks "$E2E_TMP/nowhere" <(printf 'x')
expect_rc 1 "missing rank file"
expect_contains "$ERR" "$E2E_TMP/nowhere/o200k_base.tiktoken" "missing file error names the path"
expect_contains "$ERR" "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d" "missing file error names the hash"
expect_contains "$ERR" "fetch-ranks.sh" "missing file error says how to fetch"
OUT=$(SLUICE_TIKTOKEN_DIR="$E2E_TMP/nowhere" "$SLUICE" tokens count --ranks "$ranks" <(printf 'x') 2>&1); RC=$?
expect_rc 0 "--ranks overrides SLUICE_TIKTOKEN_DIR"
OUT=$(SLUICE_TIKTOKEN_DIR="$E2E_TMP/nowhere" "$SLUICE" tokens count <(printf 'x') 2>&1); RC=$?
expect_rc 1 "SLUICE_TIKTOKEN_DIR is used"
expect_contains "$OUT" "$E2E_TMP/nowhere" "SLUICE_TIKTOKEN_DIR is used"
mkdir -p "$E2E_TMP/corrupt"
sed '1s/^./Z/' "$ranks/cl100k_base.tiktoken" > "$E2E_TMP/corrupt/cl100k_base.tiktoken"
run_sluice tokens count -e cl100k_base --ranks "$E2E_TMP/corrupt" <(printf 'x')
expect_rc 1 "corrupted rank file"
expect_contains "$ERR" "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7" "corruption error names the expected hash"

# Input errors: exit 2.
run_sluice tokens count "$E2E_TMP/no-such-file"
expect_rc 2 "missing input file"
run_sluice tokens decode -e cl100k_base <(printf '[1, "x"]')
expect_rc 2 "decode of a non-id"
run_sluice tokens decode -e cl100k_base <(printf '[99999999]')
expect_rc 2 "decode of an unknown id"
expect_contains "$ERR" "99999999" "unknown id is named"
run_sluice tokens count --encoding p50k_base <(printf 'x')
expect_rc 2 "unknown encoding"

finish
