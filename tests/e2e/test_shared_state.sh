#!/usr/bin/env bash
# Runs, stages and the step-cache index on PostgreSQL (docs/scale-out.md), with a real throwaway
# cluster and nginx as the remote cache: the StateStore contract suite against PostgreSQL (the
# postgres cases must run, not skip), two workspaces in different directories sharing one state
# URL (B sees A's runs and stages and restores A's outputs through the shared index and the
# remote cache's blobs), an index entry whose blobs are nowhere is a miss, prune deletes only
# its own workspace's rows, and a runner SIGKILLed mid-run is shown interrupted: at once on
# this machine, after the lease timeout when it was on another machine (never reaped from here).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/servers.sh"
start_postgres
start_nginx_cache
BUILD_DIR=$(dirname "$SLUICE")
unset SLUICE_STATE_URL SLUICE_CACHE_REMOTE SLUICE_CACHE_WRITE SLUICE_CACHE_HMAC_KEY SLUICE_CACHE_TOKEN

# 1. The contract suite, parameterised over both backends, against this server. Every postgres
# case listed must pass; a skipped one fails the test (the suite skips them without a URL).
bin="$BUILD_DIR/src/store/sluice_store_test"
filter='Backends/StateStoreContract.*:SharedStateStore.*'
if [ -x "$bin" ]; then
  listed=$("$bin" --gtest_filter="$filter" --gtest_list_tests | grep -c '/postgres')
  SLUICE_TEST_PG_URL="$PG_URL" "$bin" --gtest_filter="$filter" >"$E2E_TMP/gtest.log" 2>&1
  expect_eq "$?" 0 "the StateStore suite passes against PostgreSQL: $(grep -E 'FAILED|Failure' "$E2E_TMP/gtest.log" | head -5)"
  ran_pg=$(grep -cE '^\[       OK \] Backends/StateStoreContract\.[A-Za-z]+/postgres' "$E2E_TMP/gtest.log")
  ran_sqlite=$(grep -cE '^\[       OK \] Backends/StateStoreContract\.[A-Za-z]+/sqlite' "$E2E_TMP/gtest.log")
  ran_shared=$(grep -cE '^\[       OK \] SharedStateStore\.' "$E2E_TMP/gtest.log")
  [ "$listed" -ge 7 ] && pass || fail "only $listed postgres cases listed"
  expect_eq "$ran_pg" "$listed" "every postgres case ran and passed"
  expect_eq "$ran_sqlite" "$listed" "every sqlite case ran and passed"
  [ "$ran_shared" -ge 1 ] && pass || fail "the two-workspace PostgreSQL case did not run"
  expect_eq "$(grep -c 'SKIPPED' "$E2E_TMP/gtest.log")" 0 "no case skipped with SLUICE_TEST_PG_URL set"
else
  fail "$bin not built"
fi

# 2. Two workspaces, one state URL, one remote cache.
pg_createdb shared
STATE="$PG_DB_URL"
COUNTER="$E2E_TMP/ran"
export COUNTER
make_ws() { # make_ws DIR
  mkdir -p "$1/src"
  printf 'hello\n' >"$1/src/a.txt"
  cat >"$1/sluice.yml" <<EOF
version: 1
cache:
  remote: $CACHE_URL/sluice
stages:
  build:
    inputs: [src/*.txt]
    outputs: [out/joined.txt]
    run: |
      mkdir -p out
      cat src/*.txt > out/joined.txt
      echo "build \$PWD" >> "\$COUNTER"
  package:
    needs: [build]
    inputs: [out/joined.txt]
    outputs: [out/package.txt]
    run: |
      wc -c < out/joined.txt > out/package.txt
      echo "package \$PWD" >> "\$COUNTER"
EOF
}
runs() { [ -f "$COUNTER" ] && wc -l <"$COUNTER" | tr -d ' ' || echo 0; }
psql_() { psql "$STATE" -Atc "$1"; }

make_ws "$E2E_TMP/a"
make_ws "$E2E_TMP/b"
SLUICE_CACHE_WRITE=1 run_sluice -C "$E2E_TMP/a" run --state "$STATE"
expect_rc 0 "A runs"
expect_eq "$(runs)" 2 "A runs both stages"
run_a=$(psql_ "SELECT run_id FROM sluice_runs WHERE seq = 1")
expect_eq "$(psql_ "SELECT status FROM sluice_runs WHERE run_id = '$run_a'")" "success" "A's run is in PostgreSQL"
expect_eq "$(psql_ "SELECT string_agg(name || '=' || status, ',' ORDER BY idx) FROM sluice_stages WHERE run_id = '$run_a'")" \
  "build=success,package=success" "A's stages are in PostgreSQL"
expect_eq "$(psql_ "SELECT count(*) FROM sluice_step_cache")" 2 "A's step-cache entries are in the shared index"
[ ! -s "$E2E_TMP/b/.sluice/state.db" ] || fail "B has state before it ran anything"

# B sees A's run and its stages (SLUICE_STATE_URL this time).
SLUICE_STATE_URL="$STATE" run_sluice -C "$E2E_TMP/b" runs
expect_rc 0 "sluice runs in B"
expect_contains "$OUT" "$run_a" "B lists A's run"
expect_contains "$OUT" "success" "with its status"
expect_contains "$OUT" "$(hostname)" "and where it was recorded"
SLUICE_STATE_URL="$STATE" run_sluice -C "$E2E_TMP/b" report "$run_a"
expect_rc 0 "sluice report of A's run in B"
expect_contains "$OUT" "build" "B's report of A's run shows its stages"
expect_contains "$OUT" "package" "both of them"
expect_contains "$ERR" "recorded by another runner" "B says the logs are on another runner"
SLUICE_STATE_URL="$STATE" run_sluice -C "$E2E_TMP/a" report last
expect_not_contains "$ERR" "another runner" "A's own run needs no such note"

# B restores from the shared index plus the remote cache's blobs: with the action results gone
# from the server, only the index can have told it what the outputs are.
rm -rf "$NGINX_DIR/data/sluice/ac"
SLUICE_STATE_URL="$STATE" run_sluice -C "$E2E_TMP/b" run
expect_rc 0 "B runs"
expect_eq "$(runs)" 2 "B runs nothing"
expect_contains "$OUT" "2 succeeded (2 cached)" "B restores both stages"
for f in out/joined.txt out/package.txt; do
  cmp -s "$E2E_TMP/a/$f" "$E2E_TMP/b/$f" && pass || fail "$f differs between A and B"
done
SLUICE_STATE_URL="$STATE" run_sluice -C "$E2E_TMP/b" runs
expect_contains "$OUT" "here" "B's own run is marked as recorded here"
expect_eq "$(psql_ "SELECT string_agg(seq::text, ',' ORDER BY seq) FROM sluice_runs")" "1,2" \
  "run numbers come from one sequence"
SLUICE_STATE_URL="$STATE" run_sluice -C "$E2E_TMP/b" plan
expect_contains "$OUT" "2 cached" "sluice plan in B reads the shared index"

# An index entry whose blobs are nowhere (the server lost them, C has none) is a miss: the
# stages run again, nothing fails, nothing is called damaged.
mv "$NGINX_DIR/data/sluice/cas" "$NGINX_DIR/data/sluice/cas.away"
make_ws "$E2E_TMP/c"
SLUICE_STATE_URL="$STATE" run_sluice -C "$E2E_TMP/c" run
expect_rc 0 "C runs though the index names blobs that are nowhere"
expect_eq "$(runs)" 4 "C runs both stages again"
expect_not_contains "$OUT$ERR" "damaged" "a missing blob is a miss, not damage"
expect_not_contains "$OUT$ERR" "missing from" "no warning about a missing blob"
cmp -s "$E2E_TMP/a/out/joined.txt" "$E2E_TMP/c/out/joined.txt" && pass || fail "C's output differs"
mv "$NGINX_DIR/data/sluice/cas.away" "$NGINX_DIR/data/sluice/cas"

# 3. Prune with a shared index: B deletes only its own runs and entries, and its local copies.
# C's run re-saved the entries (they are C's now); A and B wrote none since.
entries=$(psql_ "SELECT count(*) FROM sluice_step_cache")
SLUICE_STATE_URL="$STATE" run_sluice prune -C "$E2E_TMP/b" --keep-runs 0 --max-size 0 --apply
expect_rc 0 "prune in B"
expect_contains "$OUT" "shared index    kept 2 entries other workspaces wrote" "prune says what it left to others"
expect_eq "$(psql_ "SELECT count(*) FROM sluice_step_cache")" "$entries" "B's prune leaves others' index entries"
expect_eq "$(psql_ "SELECT string_agg(seq::text, ',' ORDER BY seq) FROM sluice_runs")" "1,3" \
  "B's prune deletes B's run only"
expect_eq "$(find "$E2E_TMP/b/.sluice/cas" -type f | wc -l)" 0 "B's local copies of the blobs are gone"
SLUICE_STATE_URL="$STATE" run_sluice prune -C "$E2E_TMP/c" --keep-runs 0 --max-size 0 --apply
expect_rc 0 "prune in C"
expect_eq "$(psql_ "SELECT count(*) FROM sluice_step_cache")" 0 "C's prune deletes its own entries"
expect_eq "$(psql_ "SELECT string_agg(seq::text, ',' ORDER BY seq) FROM sluice_runs")" "1" "and its run"

# 4. A runner SIGKILLed mid-run. On this machine B sees at once that its process is gone.
mkdir -p "$E2E_TMP/k"
cat >"$E2E_TMP/k/sluice.yml" <<EOF
version: 1
stages:
  slow:
    run: |
      echo \$\$ > "$E2E_TMP/k.pgid"
      exec sleep 120
EOF
# A process that exists and is not a zombie (the killed sluice's orphans may wait to be reaped).
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$s" ] && [[ "$s" != Z* ]]; }
kill_mid_run() { # starts a run in k, waits until its stage is recorded running, SIGKILLs sluice
  rm -f "$E2E_TMP/k.pgid"
  SLUICE_STATE_URL="$STATE" "$SLUICE" -C "$E2E_TMP/k" run >"$E2E_TMP/k.out" 2>&1 &
  local victim=$!
  for _ in $(seq 100); do
    [ -s "$E2E_TMP/k.pgid" ] &&
      [ "$(psql_ "SELECT count(*) FROM sluice_stages WHERE name = 'slow' AND status = 'running' AND pgid_start IS NOT NULL")" -ge 1 ] && break
    sleep 0.1
  done
  kill -KILL "$victim"; wait "$victim" 2>/dev/null
  KILLED_RUN=$(psql_ "SELECT run_id FROM sluice_runs ORDER BY seq DESC LIMIT 1")
}
kill_mid_run
SLUICE_STATE_URL="$STATE" run_sluice -C "$E2E_TMP/b" runs
expect_contains "$(grep "$KILLED_RUN" <<<"$OUT")" "interrupted" "a killed run on this machine is interrupted at once"
SLUICE_STATE_URL="$STATE" run_sluice -C "$E2E_TMP/b" runs --reap
expect_contains "$OUT" "stopped 1 leftover process" "its stage's process group is reaped from another workspace on this machine"
alive "$(cat "$E2E_TMP/k.pgid")" && fail "the leftover stage still runs" || pass

# On another machine (its boot id): alive while its heartbeat is fresh, interrupted once it is
# older than the lease timeout (30 s; aged here in the database rather than waited for), and
# its processes are never signalled from this machine.
kill_mid_run
pgid=$(cat "$E2E_TMP/k.pgid")
psql_ "UPDATE sluice_runs SET boot_id = 'another-machine' WHERE run_id = '$KILLED_RUN'" >/dev/null
SLUICE_STATE_URL="$STATE" run_sluice -C "$E2E_TMP/b" runs
expect_contains "$(grep "$KILLED_RUN" <<<"$OUT")" "running" "another machine's run is running while its heartbeat is fresh"
psql_ "UPDATE sluice_runs SET heartbeat_ms = heartbeat_ms - 60000 WHERE run_id = '$KILLED_RUN'" >/dev/null
SLUICE_STATE_URL="$STATE" run_sluice -C "$E2E_TMP/b" runs --reap
expect_contains "$(grep "$KILLED_RUN" <<<"$OUT")" "interrupted" "after the lease timeout B shows it interrupted"
expect_not_contains "$OUT" "stopped" "another machine's processes are not signalled"
alive "$pgid" && pass || fail "the other machine's stage process was signalled"
expect_eq "$(psql_ "SELECT status FROM sluice_runs WHERE run_id = '$KILLED_RUN'")" "interrupted" \
  "the run is marked interrupted in PostgreSQL"
expect_eq "$(psql_ "SELECT status FROM sluice_stages WHERE run_id = '$KILLED_RUN'")" "interrupted" \
  "and its running stage"
kill -KILL -- "-$pgid" 2>/dev/null

finish
