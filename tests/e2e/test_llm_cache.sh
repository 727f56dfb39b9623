#!/usr/bin/env bash
# sluice cache stats / prune on a real state database (rows inserted with the sqlite3 CLI).
. "$(dirname "$0")/lib.sh"

WS="$E2E_TMP/ws"
mkdir -p "$WS"

run_sluice cache stats -C "$WS"
expect_rc 0 "stats without .sluice"
expect_contains "$OUT" "LLM responses    0 entries" "stats without .sluice shows zero"

run_sluice cache prune -C "$WS" --older-than 7d
expect_rc 0 "prune without .sluice"
expect_contains "$OUT" "nothing to prune" "prune without .sluice"

mkdir -p "$WS/.sluice"
run_sluice cache stats -C "$WS"   # creates the schema
expect_rc 0 "stats creates the database"

if ! command -v sqlite3 >/dev/null; then
  fail "sqlite3 CLI missing (apt-get install sqlite3)"
  finish; exit
fi
now=$(( $(date +%s) * 1000 ))
old=$(( now - 10 * 86400 * 1000 ))
sqlite3 "$WS/.sluice/state.db" "
INSERT INTO llm_response_cache (key, provider_kind, base_url, model, response, tokens_in, tokens_out, cost_usd, created_ms, last_used_ms, hits)
  VALUES ('k-old', 'openai', 'http://x', 'gpt-4o-mini', 'old answer', 10, 5, 0.25, $old, $old, 2),
         ('k-new', 'openai', 'http://x', 'gpt-4o-mini', 'new', 10, 5, 0.5, $now, $now, 1);
INSERT INTO step_cache (key, stage, outputs, created_ms, last_used_ms, duration_ms) VALUES ('s1', 'lint', '[]', $now, $now, 5);"

run_sluice cache stats -C "$WS"
expect_rc 0 "stats"
expect_contains "$OUT" "LLM responses    2 entries, 13 bytes, 3 hits, \$1.0000 saved" "stats counts entries, bytes, hits, savings"
expect_contains "$OUT" "step cache       1 entries" "stats reports the step cache"

run_sluice cache stats -C "$WS" --json
expect_contains "$OUT" '"entries": 2' "stats --json"

run_sluice cache prune -C "$WS" --older-than 7d
expect_rc 0 "prune"
expect_contains "$OUT" "pruned 1 LLM response cache entry" "prune removes only entries unused for 7 days"
expect_eq "$(sqlite3 "$WS/.sluice/state.db" "SELECT key FROM llm_response_cache")" "k-new" "the recent entry stays"

run_sluice cache prune -C "$WS" --older-than 7
expect_rc 2 "a duration without unit is a usage error"
expect_contains "$ERR" "missing unit" "says why"

run_sluice cache prune -C "$WS"
expect_rc 2 "--older-than is required"

finish
