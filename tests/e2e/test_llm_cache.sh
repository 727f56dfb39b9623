#!/usr/bin/env bash
# sluice cache stats / prune on a state database filled by real runs: llm: stages against the
# local server (tests/e2e/llm_server.py) write the response-cache rows and a cached run: stage
# the step-cache row. The only SQL is moving one row's timestamps 10 days back (sluice has no
# clock override); what prune removed is then proved by the next run calling the server again.
. "$(dirname "$0")/lib.sh"

WS="$E2E_TMP/ws"
mkdir -p "$WS"
export CI=true
unset SLUICE_PROVIDER

run_sluice cache stats -C "$WS"
expect_rc 0 "stats without .sluice"
expect_contains "$OUT" "LLM responses    0 entries" "stats without .sluice shows zero"

run_sluice cache prune -C "$WS" --older-than 7d
expect_rc 0 "prune without .sluice"
expect_contains "$OUT" "nothing to prune" "prune without .sluice"

if ! command -v sqlite3 >/dev/null || ! command -v python3 >/dev/null; then
  fail "sqlite3 CLI or python3 missing (apt-get install sqlite3 python3)"
  finish; exit
fi

cd "$WS"
python3 "$SLUICE_SOURCE_DIR/tests/e2e/llm_server.py" "$E2E_TMP/port" script "$E2E_TMP/script.json" &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null; rm -rf "$E2E_TMP"' EXIT
for _ in $(seq 100); do [ -s "$E2E_TMP/port" ] && break; sleep 0.05; done
requests() { if [ -f "$E2E_TMP/port.requests" ]; then wc -l < "$E2E_TMP/port.requests"; else echo 0; fi; }
# Each call: 1000 tokens in, 500 out at $1000 per million either way = $1.50; the reply is 11 bytes.
printf '{"text": "items: [a]\\n", "usage": {"prompt_tokens": 1000, "completion_tokens": 500}}' > "$E2E_TMP/script.json"
cat > sluice.yml <<YML
version: 1
llm:
  providers:
    default: { kind: openai, base_url: "http://127.0.0.1:$(cat "$E2E_TMP/port")/v1", model: gpt-4o-mini,
               price: { input_per_mtok: 1000, output_per_mtok: 1000 } }
stages:
  old: { llm: { prompt: "the old question", output: { path: out/old.yaml, format: yaml } } }
  new: { llm: { prompt: "the new question", output: { path: out/new.yaml, format: yaml } } }
  build: { run: "echo built", cache: true }
YML

# The "old" entry: written by a real call, then aged by 10 days.
run_sluice run --only old
expect_rc 0 "the old stage runs"
expect_eq "$(requests)" 1 "the old stage called the server"
expect_eq "$(sqlite3 .sluice/state.db "SELECT count(*) FROM llm_response_cache")" 1 "the call wrote one response-cache row"
ten_days=$(( 10 * 86400 * 1000 ))
sqlite3 .sluice/state.db "UPDATE llm_response_cache SET created_ms = created_ms - $ten_days, last_used_ms = last_used_ms - $ten_days"

# The "new" entry and the step-cache entry, then a second run: two hits.
run_sluice run
expect_rc 0 "the full run"
expect_eq "$(requests)" 2 "only the new stage called the server"
expect_contains "$OUT" "answered from the response cache" "the old stage answered from the cache"
run_sluice run
expect_rc 0 "the third run"
expect_eq "$(requests)" 2 "the third run called nothing"

run_sluice cache stats -C "$WS"
expect_rc 0 "stats"
# Entries: 2 replies of 11 bytes; hits: old was hit twice, new once; each hit saved $1.50.
expect_contains "$OUT" "LLM responses    2 entries, 22 bytes, 3 hits, \$4.5000 saved" "stats counts entries, bytes, hits, savings"
expect_contains "$OUT" "step cache       1 entries" "stats reports the step cache"

run_sluice cache stats -C "$WS" --json
expect_contains "$OUT" '"entries": 2' "stats --json"

# The entry last used 10 days ago... was used by the last two runs, so it is recent again:
# prune removes nothing.
run_sluice cache prune -C "$WS" --older-than 7d
expect_rc 0 "prune"
expect_contains "$OUT" "pruned 0 LLM response cache entries" "a hit refreshes last use"
# Age the old entry again (its last use now), and prune it.
old_key=$(sqlite3 .sluice/state.db "SELECT key FROM llm_response_cache ORDER BY created_ms LIMIT 1")
sqlite3 .sluice/state.db "UPDATE llm_response_cache SET last_used_ms = last_used_ms - $ten_days WHERE key = '$old_key'"
run_sluice cache prune -C "$WS" --older-than 7d
expect_rc 0 "prune"
expect_contains "$OUT" "pruned 1 LLM response cache entry" "prune removes only entries unused for 7 days"
expect_eq "$(sqlite3 .sluice/state.db "SELECT count(*) FROM llm_response_cache WHERE key = '$old_key'")" 0 "the old entry is gone"
run_sluice run --json run.json
expect_rc 0 "the run after the prune"
expect_eq "$(requests)" 3 "the pruned stage asks the server again, the kept one does not"

cd "$E2E_TMP"
run_sluice cache prune -C "$WS" --older-than 7
expect_rc 2 "a duration without unit is a usage error"
expect_contains "$ERR" "missing unit" "says why"

run_sluice cache prune -C "$WS"
expect_rc 2 "--older-than is required"

finish
