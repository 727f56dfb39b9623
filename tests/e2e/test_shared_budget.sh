#!/usr/bin/env bash
# The proof of the shared budget ledger (docs/scale-out.md): 8 sluice processes x 20 concurrent
# LLM stages against one local OpenAI-compatible server and one PostgreSQL, with a per-day cap
# that fits about 30% of the calls. Settled spend never exceeds the cap, no call beyond the cap
# reaches the server (counted there), and every refused stage says why. Also: the PostgreSQL
# unit tests of the ledger (store, llm) against this server, and password masking.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/servers.sh"
start_postgres "pw-never-shown"
BUILD_DIR=$(dirname "$SLUICE")
unset SLUICE_STATE_URL SLUICE_CACHE_REMOTE

# 1. The ledger's own tests (parameterised: SQLite and PostgreSQL) against this server.
for t in "store/sluice_store_test:Pg*" "llm/sluice_llm_test:*Backends*"; do
  bin="$BUILD_DIR/src/${t%%:*}"
  if [ -x "$bin" ]; then
    if SLUICE_TEST_PG_URL="$PG_URL" "$bin" --gtest_filter="${t#*:}" >"$E2E_TMP/gtest.log" 2>&1 &&
       grep -q "PASSED" "$E2E_TMP/gtest.log" && ! grep -q "SKIPPED" "$E2E_TMP/gtest.log"; then
      pass
    else
      fail "$t against PostgreSQL:"; tail -30 "$E2E_TMP/gtest.log" >&2
    fi
  else
    fail "$bin not built"
  fi
done

# 2. 8 processes x 20 stages, in a database of their own.
pg_createdb proof
python3 "$SLUICE_SOURCE_DIR/tests/e2e/llm_server.py" "$E2E_TMP/port" script "$E2E_TMP/reply.json" &
SERVER_PIDS+=("$!")
# Usage below any reservation (the prompt counts more than 10 tokens; output is capped at 20).
echo '{"text": "ok", "stream": false, "usage": {"prompt_tokens": 10, "completion_tokens": 20}, "delay_ms": 300}' \
  >"$E2E_TMP/reply.json"
for _ in $(seq 100); do [ -s "$E2E_TMP/port" ] && break; sleep 0.05; done
PORT=$(cat "$E2E_TMP/port")
# $1000 a million tokens either way: a call settles at $0.03; the cap fits 48 of 160 calls at that.
CAP=1.44
long_text="summarise the release notes in one word"
for w in $(seq 8); do
  mkdir -p "$E2E_TMP/w$w"
  {
    cat <<YML
version: 1
llm:
  providers:
    default: { kind: openai, base_url: "http://127.0.0.1:$PORT/v1", model: gpt-4o-mini,
               price: { input_per_mtok: 1000, output_per_mtok: 1000 } }
  budget: { per_day_usd: $CAP }
  max_concurrency: 20
stages:
YML
    for s in $(seq 20); do
      printf '  s%02d:\n    llm: { prompt: "runner %d stage %d: %s", max_output_tokens: 20, cache: off, timeout: 60s }\n' \
        "$s" "$w" "$s" "$long_text"
    done
  } >"$E2E_TMP/w$w/sluice.yml"
done
for w in $(seq 8); do
  (SLUICE_STATE_URL="$PG_DB_URL" "$SLUICE" -C "$E2E_TMP/w$w" run -j 20 --keep-going \
     >"$E2E_TMP/out$w" 2>&1; echo $? >"$E2E_TMP/rc$w") &
done
wait_for=$(( $(date +%s) + 120 ))
while [ "$(ls "$E2E_TMP"/rc* 2>/dev/null | wc -l)" -lt 8 ] && [ "$(date +%s)" -lt "$wait_for" ]; do sleep 0.2; done
expect_eq "$(ls "$E2E_TMP"/rc* | wc -l)" 8 "all 8 runners finished"
all=$(cat "$E2E_TMP"/out*)
ok=$(grep -c '^\[ok\]' <<<"$all")
failed=$(grep -c '^\[FAILED\]' <<<"$all")
refused=$(grep -c 'over budget: llm.budget.per_day_usd is \$1.4400' <<<"$all")
served=$(wc -l <"$E2E_TMP/port.requests")
echo "admitted $ok, refused $refused (failed $failed), requests at the server $served"
expect_eq "$((ok + failed))" 160 "every stage ended"
expect_eq "$refused" "$failed" "every refused stage says which limit refused it"
expect_eq "$served" "$ok" "the server saw exactly the admitted calls"
[ "$refused" -gt 0 ] && pass || fail "the cap refused nothing"
[ "$ok" -ge 16 ] && pass || fail "only $ok calls admitted under a cap that fits ~48"
expect_contains "$all" "every runner sharing postgresql://sluice@/proof" "the refusal names the shared ledger"
settled=$(psql "$PG_DB_URL" -Atc "SELECT COALESCE(SUM(cost_nusd), 0) FROM llm_ledger WHERE state = 'settled'")
live=$(psql "$PG_DB_URL" -Atc "SELECT COUNT(*) FROM llm_ledger WHERE state = 'reserved'")
echo "settled spend: $settled nano-USD of a cap of $CAP USD"
[ "$settled" -le 1440000000 ] && pass || fail "settled spend $settled nUSD exceeds the cap"
expect_eq "$((served * 30000000))" "$settled" "the server's count times the price is the settled spend"
expect_eq "$live" 0 "no reservation left live"

# 3. A runner killed with SIGKILL in the middle of a call: the next sluice on this machine
# releases its reservation at once (not after its lease), so the budget it held is free again.
pg_createdb lease
echo '{"text": "ok", "stream": false, "usage": {"prompt_tokens": 1, "completion_tokens": 1}, "delay_ms": 30000}' \
  >"$E2E_TMP/reply.json"
lease_ws() { # lease_ws DIR CAP
  mkdir -p "$1"
  cat >"$1/sluice.yml" <<YML
version: 1
llm:
  providers:
    default: { kind: openai, base_url: "http://127.0.0.1:$PORT/v1", model: gpt-4o-mini,
               price: { input_per_mtok: 1000, output_per_mtok: 1000 } }
  budget: { per_day_usd: $2 }
stages:
  one: { llm: { prompt: "the killed runner's call", max_output_tokens: 20, cache: off, timeout: 10m } }
YML
}
lease_ws "$E2E_TMP/k1" 100
before=$(wc -l <"$E2E_TMP/port.requests")
SLUICE_STATE_URL="$PG_DB_URL" "$SLUICE" -C "$E2E_TMP/k1" run >"$E2E_TMP/k1.out" 2>&1 &
victim=$!
for _ in $(seq 100); do [ "$(wc -l <"$E2E_TMP/port.requests")" -gt "$before" ] && break; sleep 0.1; done
held=$(psql "$PG_DB_URL" -Atc "SELECT reserved_nusd FROM llm_ledger WHERE state = 'reserved'")
kill -KILL "$victim"; wait "$victim" 2>/dev/null
[ -n "$held" ] && pass || fail "the victim's reservation is not in the ledger"
echo '{"text": "ok", "stream": false, "usage": {"prompt_tokens": 1, "completion_tokens": 1}}' >"$E2E_TMP/reply.json"
# A cap that fits one such reservation, not two: only a released one leaves room.
lease_ws "$E2E_TMP/k2" "$(python3 -c "print(${held:-0} * 1.5 / 1e9)")"
SLUICE_STATE_URL="$PG_DB_URL" run_sluice -C "$E2E_TMP/k2" run
expect_rc 0 "the next runner gets the budget the killed one held"
expect_eq "$(psql "$PG_DB_URL" -Atc "SELECT state FROM llm_ledger ORDER BY id LIMIT 1")" "expired" \
  "the killed runner's reservation was released"

# 3b. The same on another machine (a PID namespace this sluice cannot judge): the killed run's
# heartbeat goes stale, and the next sluice marks it interrupted and releases its reservation.
pg_createdb heartbeat
PG_DB_URL_HB="$PG_DB_URL"
echo '{"text": "ok", "stream": false, "usage": {"prompt_tokens": 1, "completion_tokens": 1}, "delay_ms": 30000}' \
  >"$E2E_TMP/reply.json"
lease_ws "$E2E_TMP/h1" 100
before=$(wc -l <"$E2E_TMP/port.requests")
SLUICE_STATE_URL="$PG_DB_URL_HB" "$SLUICE" -C "$E2E_TMP/h1" run >"$E2E_TMP/h1.out" 2>&1 &
victim=$!
for _ in $(seq 100); do [ "$(wc -l <"$E2E_TMP/port.requests")" -gt "$before" ] && break; sleep 0.1; done
for _ in $(seq 50); do [ -n "$(psql "$PG_DB_URL_HB" -Atc "SELECT run_id FROM sluice_runs" 2>/dev/null)" ] && break; sleep 0.1; done
expect_eq "$(psql "$PG_DB_URL_HB" -Atc "SELECT status FROM sluice_runs")" "running" "the live run is recorded as running"
kill -KILL "$victim"; wait "$victim" 2>/dev/null
held=$(psql "$PG_DB_URL_HB" -Atc "SELECT reserved_nusd FROM llm_ledger WHERE state = 'reserved'")
# As if it ran elsewhere and stopped beating a minute ago.
psql "$PG_DB_URL_HB" -qc "UPDATE llm_ledger SET holder_ns = 'pid:[elsewhere]'; UPDATE sluice_runs SET heartbeat_ms = heartbeat_ms - 60000"
echo '{"text": "ok", "stream": false, "usage": {"prompt_tokens": 1, "completion_tokens": 1}}' >"$E2E_TMP/reply.json"
lease_ws "$E2E_TMP/h2" "$(python3 -c "print(${held:-0} * 1.5 / 1e9)")"
SLUICE_STATE_URL="$PG_DB_URL_HB" run_sluice -C "$E2E_TMP/h2" run --json "$E2E_TMP/h2.json"
expect_rc 0 "the next runner gets the budget of the run whose heartbeat went stale"
# The report's spend against the limits is the shared ledger's: this run's call, $0.002.
expect_eq "$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["llm"]["budget"]["spent"]["day_usd"], 6))' "$E2E_TMP/h2.json" 2>&1)" \
  "0.002" "the JSON report shows the day's spend from PostgreSQL"
expect_eq "$(psql "$PG_DB_URL_HB" -Atc "SELECT status FROM sluice_runs ORDER BY started_ms LIMIT 1")" "interrupted" \
  "the dead run is marked interrupted"
expect_eq "$(psql "$PG_DB_URL_HB" -Atc "SELECT status FROM sluice_runs ORDER BY started_ms DESC LIMIT 1")" "success" \
  "the new run is recorded with its result"

# 4. A password never shows, even when the connection fails.
mkdir -p "$E2E_TMP/pw"
cat >"$E2E_TMP/pw/sluice.yml" <<YML
version: 1
llm:
  providers:
    default: { kind: openai, base_url: "http://127.0.0.1:$PORT/v1", model: gpt-4o-mini,
               price: { input_per_mtok: 1, output_per_mtok: 1 } }
  budget: { per_day_usd: 100 }
stages:
  one: { llm: { prompt: "hi", max_output_tokens: 5, cache: off } }
YML
wrong="postgresql://sluice:wrong-secret-9@127.0.0.1:$PG_PORT/sluice"
run_sluice -C "$E2E_TMP/pw" run --state "$wrong"
# The run and its stages are recorded in PostgreSQL: without it nothing runs (exit 2).
expect_rc 2 "a wrong password stops the run before it starts"
expect_contains "$OUT$ERR" "password authentication failed" "libpq's reason is shown"
expect_not_contains "$OUT$ERR" "wrong-secret-9" "the password is masked"
expect_contains "$OUT$ERR" "sluice:***@127.0.0.1" "the URL is shown masked"
SLUICE_PG_PW="pw-never-shown" run_sluice -C "$E2E_TMP/pw" run \
  --state 'postgresql://sluice:${SLUICE_PG_PW}@127.0.0.1:'"$PG_PORT"'/sluice'
expect_rc 0 "a \${NAME} reference in the URL supplies the password"
printf 'state: postgresql://sluice:literal-pw@127.0.0.1:%s/sluice\n' "$PG_PORT" >>"$E2E_TMP/pw/sluice.yml"
run_sluice -C "$E2E_TMP/pw" run
expect_rc 2 "a literal password in sluice.yml is refused"
expect_not_contains "$OUT$ERR" "literal-pw" "and not shown"
finish
