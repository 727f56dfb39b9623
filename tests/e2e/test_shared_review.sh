#!/usr/bin/env bash
# Approvals and the LLM response cache shared through PostgreSQL (docs/review.md, "Approvals
# across runners"; docs/scale-out.md): two workspaces in different temp dirs, one throwaway
# PostgreSQL cluster, one local OpenAI-compatible server that logs every request it serves.
#   1. The review-store and response-cache suites (parameterised: SQLite and PostgreSQL) run
#      against this server; their PostgreSQL cases must have run, not been skipped.
#   2. A gated run in A exits 3; `sluice approve` in B (another workspace, another actor)
#      releases it: the rerun in A passes the gate.
#   3. The same LLM stage in B is answered from the shared response cache: the server saw one
#      request for it, not two.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/servers.sh"
trap 'stop_llm_server; stop_servers' EXIT
start_postgres
BUILD_DIR=$(dirname "$SLUICE")
unset SLUICE_STATE_URL SLUICE_CACHE_REMOTE

# 1. The unit suites against this server.
for t in "store/sluice_store_test:*ReviewBackends*" "llm/sluice_llm_test:*ResponseCacheBackends*"; do
  bin="$BUILD_DIR/src/${t%%:*}"
  if [ ! -x "$bin" ]; then fail "$bin not built"; continue; fi
  if SLUICE_TEST_PG_URL="$PG_URL" "$bin" --gtest_filter="${t#*:}" >"$E2E_TMP/gtest.log" 2>&1; then pass
  else fail "$t against PostgreSQL:"; tail -30 "$E2E_TMP/gtest.log" >&2; fi
  ran_pg=$(grep -c '^\[       OK \] .*/postgres ' "$E2E_TMP/gtest.log")
  [ "$ran_pg" -ge 3 ] && pass || fail "$t: only $ran_pg PostgreSQL cases passed"
  expect_not_contains "$(cat "$E2E_TMP/gtest.log")" "SKIPPED" "$t: no case skipped with SLUICE_TEST_PG_URL set"
done

# 2 and 3: two workspaces sharing one state.
pg_createdb shared
STATE="$PG_DB_URL"
start_llm_server script "$E2E_TMP/script.json"
printf '{"text": "apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: shared\\n", "usage": {"prompt_tokens": 10, "completion_tokens": 20}}' >"$E2E_TMP/script.json"
calls() { [ -f "$E2E_TMP/port.requests" ] && wc -l <"$E2E_TMP/port.requests" || echo 0; }
for w in A B; do
  mkdir -p "$E2E_TMP/$w"
  cat >"$E2E_TMP/$w/sluice.yml" <<YML
version: 1
review:
  critical_paths: ["k8s/**"]
  on_pending: fail
llm:
  providers:
    default: { kind: openai, base_url: "http://127.0.0.1:$PORT/v1", model: gpt-4o-mini,
               price: { input_per_mtok: 1000, output_per_mtok: 1000 } }
  budget: { per_day_usd: 5 }
stages:
  manifests:
    llm:
      prompt: "Write a ConfigMap named shared."
      output: { path: k8s/app.yaml, format: yaml }
      cache: on
  deploy:
    needs: [manifests]
    run: echo deploying \$(grep name k8s/app.yaml)
YML
done
export CI=true

SLUICE_ACTOR=alice@example.com run_sluice -C "$E2E_TMP/A" run --state "$STATE" --json "$E2E_TMP/a1.json"
expect_rc 3 "A: the gated stage awaits approval (exit 3)"
RUN_A=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_id"])' "$E2E_TMP/a1.json")
HASH=$(grep -o 'approve: sluice approve [^ ]* deploy --hash [0-9a-f]*' <<<"$OUT" | awk '{print $NF}')
[ ${#HASH} -eq 16 ] && pass || fail "A: no approve line with a hash; got: $OUT"
expect_not_contains "$OUT" "deploying" "A: the gated command did not run"
expect_eq "$(calls)" 1 "A: one model call"

# B knows nothing of A's run locally: with SQLite state the approval has nowhere to go.
SLUICE_ACTOR=bob@example.com run_sluice -C "$E2E_TMP/B" approve "$RUN_A" deploy --hash "$HASH"
expect_rc 2 "B without --state: A's run is not in B's workspace"
SLUICE_ACTOR=bob@example.com run_sluice -C "$E2E_TMP/B" review --state "$STATE"
expect_rc 0 "B: sluice review --state lists what awaits approval on every runner"
expect_contains "$OUT" "run $RUN_A, gate of deploy: pending" "B sees A's pending gate"
SLUICE_ACTOR=bob@example.com SLUICE_STATE_URL="$STATE" run_sluice -C "$E2E_TMP/B" approve "$RUN_A" deploy --hash "$HASH"
expect_rc 0 "B: approve through SLUICE_STATE_URL"
expect_contains "$OUT" "approved content $HASH of deploy (run $RUN_A) as bob@example.com" "B approved A's content"

SLUICE_ACTOR=alice@example.com run_sluice -C "$E2E_TMP/A" run --state "$STATE"
expect_rc 0 "A: the rerun passes the gate approved on B"
expect_contains "$OUT" "deploying name: shared" "A: the gated command ran"
expect_eq "$(calls)" 1 "A: the rerun made no model call"

# 3. B runs the same LLM stage: the reply A paid for comes from PostgreSQL; the gate over the
# same content is approved already.
SLUICE_ACTOR=bob@example.com run_sluice -C "$E2E_TMP/B" run --state "$STATE" --json "$E2E_TMP/b1.json"
expect_rc 0 "B: the same pipeline passes (same content, approved)"
expect_eq "$(calls)" 1 "the server saw one request for the stage, not two"
expect_eq "$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print([s["llm"]["cache_hit"] for s in j["stages"] if s["name"]=="manifests"][0])' "$E2E_TMP/b1.json")" \
  "True" "B: the LLM stage was a response-cache hit"
expect_eq "$(cat "$E2E_TMP/B/k8s/app.yaml")" "$(cat "$E2E_TMP/A/k8s/app.yaml")" "B wrote what A got"
expect_eq "$(psql "$STATE" -Atc 'SELECT hits FROM llm_response_cache')" 1 "PostgreSQL counted the hit"

# 4. sluice report in B shows the day's shared spend (A's call, $0.03), not B's own ($0).
run_sluice -C "$E2E_TMP/B" report --format json --state "$STATE"
expect_rc 0 "B: sluice report --state"
expect_eq "$(python3 -c 'import json,sys; b=json.loads(sys.argv[1])["llm"]["budget"]["spent"]; print(round(b["day_usd"], 4), b["shared_ledger"])' "$OUT")" \
  "0.03 postgresql://sluice@/shared?host=$PG_DIR/sock&port=$PG_PORT" "B's report: the day's spend of every runner, from PostgreSQL"
SLUICE_STATE_URL="$STATE" run_sluice -C "$E2E_TMP/B" report
expect_contains "$OUT" "of \$5.00, every runner sharing postgresql://sluice@/shared" "the text report names the shared ledger"
# B's runs went to PostgreSQL with the rest of its state: its own SQLite database has none.
run_sluice -C "$E2E_TMP/B" report --format json --state sqlite
expect_rc 2 "with --state sqlite there is no run to report: B recorded its runs in PostgreSQL"

# 5. A gate that waits (on_pending: wait) on A is released while it waits by an approval on B.
printf '{"text": "apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: second\\n", "usage": {"prompt_tokens": 10, "completion_tokens": 20}}' >"$E2E_TMP/script.json"
sed -i -e 's/on_pending: fail/on_pending: wait\n  wait_timeout: 60s/' -e 's/named shared\./named second./' "$E2E_TMP/A/sluice.yml"
(SLUICE_ACTOR=alice@example.com "$SLUICE" -C "$E2E_TMP/A" run --state "$STATE" >"$E2E_TMP/wait.out" 2>&1; echo $? >"$E2E_TMP/wait.rc") &
pending=""
for _ in $(seq 200); do
  pending=$(psql "$STATE" -Atc "SELECT run_id || ' ' || hash FROM review_requests WHERE state = 'pending' AND run_id <> '$RUN_A'" 2>/dev/null)
  [ -n "$pending" ] && break
  sleep 0.1
done
[ -n "$pending" ] && pass || fail "A's waiting gate was never recorded in PostgreSQL: $(cat "$E2E_TMP/wait.out")"
[ -e "$E2E_TMP/wait.rc" ] && fail "A did not wait: $(cat "$E2E_TMP/wait.out")" || pass
read -r RUN_W HASH_W <<<"$pending"
SLUICE_ACTOR=bob@example.com run_sluice -C "$E2E_TMP/B" approve "$RUN_W" deploy --hash "${HASH_W:0:16}" --state "$STATE"
expect_rc 0 "B approves the content A waits on"
for _ in $(seq 100); do [ -e "$E2E_TMP/wait.rc" ] && break; sleep 0.1; done
expect_eq "$(cat "$E2E_TMP/wait.rc" 2>/dev/null)" 0 "A's waiting run went on after B's approval"
expect_contains "$(cat "$E2E_TMP/wait.out")" "deploying name: second" "A ran the gated command"
expect_eq "$(calls)" 2 "the new prompt was one more request"

# The shared log: both runners' events in one chain, verified from either workspace.
run_sluice -C "$E2E_TMP/A" approvals --verify --state "$STATE"
expect_rc 0 "the shared chain verifies"
expect_contains "$OUT" "review event chain intact" "approvals --verify on PostgreSQL"
run_sluice -C "$E2E_TMP/B" approvals --state "$STATE"
expect_contains "$OUT" "approved   run $RUN_A  deploy" "B lists the approval"
expect_contains "$OUT" "bob@example.com" "the approval names its actor"
# The log refuses edits on the server too.
psql "$STATE" -Atc "UPDATE review_events SET actor = 'mallory' WHERE kind = 'approved'" >"$E2E_TMP/psql.out" 2>&1
expect_contains "$(cat "$E2E_TMP/psql.out")" "review_events is append-only" "the trigger refuses an UPDATE"
# ...and a deliberate edit (triggers dropped) is found by --verify and stops gates counting it.
psql "$STATE" -Atc "ALTER TABLE review_events DISABLE TRIGGER USER; UPDATE review_events SET actor = 'mallory' WHERE kind = 'approved'" >/dev/null 2>&1
run_sluice -C "$E2E_TMP/B" approvals --verify --state "$STATE"
expect_rc 1 "an edited shared chain fails --verify"
SLUICE_ACTOR=alice@example.com run_sluice -C "$E2E_TMP/A" run --state "$STATE"
expect_rc 1 "a gate over an edited chain does not open"
expect_contains "$OUT$ERR" "review event chain is broken" "the run says why"
finish
