#!/usr/bin/env bash
# Issue 12: review gates on AI output, bound to the reviewed bytes, and advisory stages. The LLM
# stages answer from tests/e2e/llm_server.py in script mode (every request it serves is logged,
# so "no model call" is counted, not assumed).
. "$(dirname "$0")/lib.sh"
cd "$E2E_TMP"
export CI=true
export SLUICE_ACTOR=alice@example.com

SERVER_PID=""
python3 "$SLUICE_SOURCE_DIR/tests/e2e/llm_server.py" "$E2E_TMP/port" script "$E2E_TMP/script.json" &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null; rm -rf "$E2E_TMP"' EXIT
for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
PORT=$(cat port)
calls() { [ -f port.requests ] && wc -l < port.requests || echo 0; }
reply() { printf '{"text": "apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: %s\\n"}' "$1" > script.json; }
mkdir -p prompts

pipeline() { # pipeline REVIEW_EXTRA_LINES
  cat > sluice.yml <<YML
version: 1
review:
  critical_paths: ["k8s/**", "/Dockerfile"]
  on_pending: fail
$1
llm:
  providers:
    default: { kind: openai, base_url: "http://127.0.0.1:$PORT/v1", model: gpt-4o-mini }
stages:
  manifests:
    llm:
      prompt_file: prompts/manifest.md
      output: { path: k8s/app.yaml, format: yaml }
  notes:
    llm:
      prompt: "Write release notes."
      output: { path: docs/notes.md }
  publish_notes:
    needs: [notes]
    run: cat docs/notes.md > /dev/null && echo published
  deploy:
    needs: [manifests]
    run: echo deploying \$(grep name k8s/app.yaml)
  unit:
    run: echo unit ok
  lint:
    advisory: true
    run: echo "style problem" && exit 4
  after_lint:
    needs: [lint]
    run: echo after lint ran
YML
}

# 1. The gate: deploy reads critical AI output and waits; publish_notes (AI output on no
# critical path) and everything unrelated runs; exit 3 with the exact approve line.
pipeline ""
echo "Write a ConfigMap." > prompts/manifest.md
reply one
run_sluice run -j 2 --json run1.json --junit run1.xml
expect_rc 3 "a gated stage awaiting approval exits 3"
RUN1=$(python3 -c 'import json; print(json.load(open("run1.json"))["run_id"])')
H1=$(grep -o 'approve: sluice approve [^ ]* deploy --hash [0-9a-f]*' <<<"$OUT" | awk '{print $NF}')
[ ${#H1} -eq 16 ] && pass || fail "no approve line with a hash; got: $OUT"
expect_contains "$OUT" "approve: sluice approve $RUN1 deploy --hash $H1" "the exact approve command is printed"
expect_contains "$OUT" '[awaiting_approval] deploy' "deploy awaits approval"
expect_contains "$OUT" '[ok] publish_notes' "AI output on a non-critical path is not gated"
expect_contains "$OUT" '[ok] unit' "an unrelated branch runs"
expect_not_contains "$OUT" 'deploying' "the gated command did not run"
expect_eq "$(python3 -c 'import json; j=json.load(open("run1.json")); print(j["status"], [s["status"] for s in j["stages"] if s["name"]=="deploy"][0])')" \
  "awaiting_approval awaiting_approval" "--json carries the gate's state"
expect_contains "$(cat run1.xml)" 'awaiting_approval: awaiting approval of content' "--junit carries the gate's state"
CALLS=$(calls)
expect_eq "$CALLS" 2 "two model calls in the first run"

# 11. An advisory failure is reported and does not cascade (same run).
expect_contains "$OUT" '[failed_advisory] lint' "the advisory failure is reported"
expect_contains "$OUT" '[ok] after_lint' "its dependents still run"
expect_contains "$OUT" '1 failed (advisory)' "the summary counts it"
expect_eq "$(python3 -c 'import json; j=json.load(open("run1.json")); print([s["status"] for s in j["stages"] if s["name"]=="lint"][0])')" \
  "failed_advisory" "--json says failed_advisory"
expect_contains "$(cat run1.xml)" 'failed_advisory: exit code 4' "--junit says failed_advisory"

# 2. Bad approvals: wrong hash, a stage without a gate, an unknown stage: exit 2, precise.
run_sluice approve "$RUN1" deploy --hash 0000000000
expect_rc 2 "a wrong hash is refused"
expect_contains "$ERR" "does not match the content of deploy in run $RUN1 (content $H1)" "the wrong-hash message names the content"
run_sluice approve "$RUN1" unit --hash "$H1"
expect_rc 2 "approving a stage without a gate is refused"
expect_contains "$ERR" 'stage "unit" has no review gate' "the no-gate message"
run_sluice approve "$RUN1" deplyo --hash "$H1"
expect_rc 2 "approving an unknown stage is refused"

# 3. Review shows the files and hash; approve; the re-run passes with no model call.
run_sluice review "$RUN1" deploy
expect_rc 0 "sluice review"
expect_contains "$OUT" "file 100644" "review lists the files"
expect_contains "$OUT" "+  name: one" "review shows the new content as a diff"
run_sluice approve "$RUN1" deploy --hash "$H1" -m "checked the ConfigMap"
expect_rc 0 "approve"
run_sluice run -j 2
expect_rc 0 "the re-run after the approval passes"
expect_contains "$OUT" "[gate] deploy: content $H1 approved by alice@example.com" "the gate names the approval"
expect_contains "$OUT" "deploying name: one" "the gated stage ran"
expect_eq "$(calls)" "$CALLS" "the approved re-run made no model call"

# 4. Changed content is outdated: a new approval is needed, the old one does not carry over.
echo "Write a ConfigMap named two." > prompts/manifest.md
reply two
run_sluice run -j 2
expect_rc 3 "new content waits again"
RUN3=$(grep -o 'approve: sluice approve [^ ]*' <<<"$OUT" | awk '{print $NF}')
H3=$(grep -o 'approve: sluice approve [^ ]* deploy --hash [0-9a-f]*' <<<"$OUT" | awk '{print $NF}')
expect_contains "$OUT" "outdated: the approval of content $H1" "the old approval is called outdated"
[ "$H3" != "$H1" ] && pass || fail "new bytes kept the old hash"
run_sluice review "$RUN3" deploy
expect_contains "$OUT" "-  name: one" "review diffs against the last approved content"
expect_contains "$OUT" "+  name: two" "review shows the change"
# A pending request of an older run is outdated by newer content.
echo "Write a ConfigMap named three." > prompts/manifest.md
reply three
run_sluice run -j 2
expect_rc 3 "third content waits"
H4=$(grep -o 'approve: sluice approve [^ ]* deploy --hash [0-9a-f]*' <<<"$OUT" | awk '{print $NF}')
run_sluice approve "$RUN3" deploy --hash "$H3"
expect_rc 2 "approving outdated content is refused"
expect_contains "$ERR" "is outdated" "the outdated message"

# 5. A rejection sticks while the content stays the same (the cached reply), and names who and why.
run_sluice reject last deploy --hash "$H4"
expect_rc 2 "reject needs -m"
run_sluice reject last deploy --hash "$H4" -m "name three is not allowed"
expect_rc 0 "reject"
run_sluice run -j 2
expect_rc 1 "rejected content fails the gated stage"
expect_contains "$OUT" "rejected by alice@example.com: name three is not allowed" "the rejection is given"
run_sluice approve last deploy --hash "$H4"
expect_rc 2 "rejected content cannot be approved"

# 6. prevent_self_approval: the actor who started the run cannot approve it; someone else can.
pipeline "  prevent_self_approval: true"
echo "Write a ConfigMap named four." > prompts/manifest.md
reply four
run_sluice run -j 2
expect_rc 3 "new content with prevent_self_approval"
H5=$(grep -o 'approve: sluice approve [^ ]* deploy --hash [0-9a-f]*' <<<"$OUT" | awk '{print $NF}')
run_sluice approve last deploy --hash "$H5"
expect_rc 2 "self-approval is refused"
expect_contains "$ERR" "prevent_self_approval forbids approving your own run" "the self-approval message"
SLUICE_ACTOR=bob@example.com run_sluice approve last deploy --hash "$H5"
expect_rc 0 "another actor approves"
run_sluice run -j 2
expect_rc 0 "approved by someone else: passes"

# 7. on_pending: wait with wait_timeout: the timeout is a rejection.
pipeline "  on_pending: wait
  wait_timeout: 1s"
sed -i 's/  on_pending: fail//' sluice.yml
echo "Write a ConfigMap named five." > prompts/manifest.md
reply five
start=$(date +%s%N)
run_sluice run -j 2
took=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 1 "a wait that times out fails"
expect_contains "$OUT" "[awaiting approval] deploy" "the wait is shown"
expect_contains "$OUT" "a timeout is a rejection" "the timeout is a rejection"
[ "$took" -ge 1000 ] && pass || fail "the run waited only ${took} ms"
run_sluice approvals --json
expect_contains "$OUT" '"kind": "timed_out"' "the timeout is in the event log"

# 7b. A wait ends when someone approves from another shell.
sed -i 's/wait_timeout: 1s/wait_timeout: 60s/' sluice.yml
echo "Write a ConfigMap named six." > prompts/manifest.md
reply six
"$SLUICE" run -j 2 > wait.out 2>&1 &
WAIT_PID=$!
for _ in $(seq 100); do grep -q 'awaiting approval' wait.out && break; sleep 0.1; done
H6=$(grep -o 'deploy --hash [0-9a-f]*' wait.out | head -1 | awk '{print $NF}')
SLUICE_ACTOR=bob@example.com run_sluice approve last deploy --hash "$H6"
expect_rc 0 "approve while the run waits"
wait "$WAIT_PID"; RC=$?
OUT=$(cat wait.out)
expect_rc 0 "the waiting run goes on after the approval"
expect_contains "$OUT" "deploying name: six" "the gated stage ran after the approval"
expect_contains "$OUT" "[ok] unit" "an unrelated stage ran while the gate waited"

# 8. Ctrl-C while waiting: exit 130, the gated stage cancelled, nothing left running.
sed -i 's/    run: echo unit ok/    run: sleep 31.25/' sluice.yml
echo "Write a ConfigMap named seven." > prompts/manifest.md
reply seven
"$SLUICE" run -j 2 > int.out 2>&1 &
INT_PID=$!
for _ in $(seq 100); do grep -q 'awaiting approval' int.out && break; sleep 0.1; done
kill -INT "$INT_PID"
wait "$INT_PID"; RC=$?
OUT=$(cat int.out)
expect_rc 130 "Ctrl-C while waiting exits 130"
expect_contains "$OUT" "[cancelled] deploy" "the gated stage is cancelled"
sleep 0.2
if pgrep -f "sleep 31.25" >/dev/null; then fail "a stage process outlived the interrupted run"; else pass; fi

# 9. The event log is hash-chained: an edited or deleted row is found by --verify.
run_sluice approvals --verify
expect_rc 0 "the untouched chain verifies"
expect_contains "$OUT" "review event chain intact" "--verify says intact"
if sqlite3 .sluice/state.db "UPDATE review_events SET actor = 'x' WHERE id = 2" 2>/dev/null; then
  fail "review_events accepted an UPDATE"
else pass; fi
# Someone determined drops the append-only triggers first; the chain still shows the edit.
sqlite3 .sluice/state.db "DROP TRIGGER review_events_no_update; DROP TRIGGER review_events_no_delete"
sqlite3 .sluice/state.db ".backup state.bak"
sqlite3 .sluice/state.db "UPDATE review_events SET actor = 'mallory@example.com' WHERE id = 2"
run_sluice approvals --verify
expect_rc 1 "an edited row breaks the chain"
expect_contains "$OUT" "review_events row 2: its contents do not match its row_hash" "the edited row is named"
cp state.bak .sluice/state.db; rm -f .sluice/state.db-wal .sluice/state.db-shm
sqlite3 .sluice/state.db "DELETE FROM review_events WHERE id = (SELECT MAX(id) FROM review_events)"
run_sluice approvals --verify
expect_rc 1 "a deleted last row breaks the chain"
expect_contains "$OUT" "chain head names row" "the deleted row is found by the head"
cp state.bak .sluice/state.db; rm -f .sluice/state.db-wal .sluice/state.db-shm

# 10. Signed approvals, verified with a real ssh-keygen key against allowed_signers.
ssh-keygen -q -t ed25519 -N '' -C bob -f bob_key
ssh-keygen -q -t ed25519 -N '' -C eve -f eve_key
echo "bob@example.com namespaces=\"sluice-approval\" $(cat bob_key.pub)" > allowed_signers
pipeline "  allowed_signers: allowed_signers"
echo "Write a ConfigMap named eight." > prompts/manifest.md
reply eight
run_sluice run -j 2
expect_rc 3 "signed gate waits"
H8=$(grep -o 'approve: sluice approve [^ ]* deploy --hash [0-9a-f]*' <<<"$OUT" | awk '{print $NF}')
SLUICE_ACTOR=bob@example.com run_sluice approve last deploy --hash "$H8"
expect_rc 2 "an unsigned approval is refused when signatures are mandatory"
expect_contains "$ERR" "add --sign KEY" "the message says how to sign"
SLUICE_ACTOR=bob@example.com run_sluice approve last deploy --hash "$H8" --sign eve_key
expect_rc 2 "a signature by a key not listed for the actor is refused"
expect_contains "$ERR" "does not verify against" "the verification failure is given"
SLUICE_ACTOR=bob@example.com run_sluice approve last deploy --hash "$H8" --sign bob_key
expect_rc 0 "a signature by the actor's key is accepted"
expect_contains "$OUT" "(signed)" "the approval is signed"
run_sluice run -j 2
expect_rc 0 "the signed approval opens the gate"
# Every run verifies again: once bob's listed key is another one, his approval no longer counts.
echo "bob@example.com namespaces=\"sluice-approval\" $(cat eve_key.pub)" > allowed_signers
run_sluice run -j 2
expect_rc 3 "an approval whose signature no longer verifies does not open the gate"
expect_contains "$OUT" "does not verify against" "the run says why the approval was ignored"
echo "bob@example.com namespaces=\"sluice-approval\" $(cat bob_key.pub)" > allowed_signers
# An approval row written into the database by hand breaks the chain: no decision counts.
sqlite3 .sluice/state.db ".backup state2.bak"
sqlite3 .sluice/state.db "INSERT INTO review_events (at_ms, kind, run_id, stage, hash, actor, prev_hash, row_hash) SELECT 1, 'approved', run_id, stage, hash, 'mallory@example.com', row_hash, 'x' FROM review_events ORDER BY id DESC LIMIT 1"
run_sluice run -j 2
expect_rc 1 "a hand-written approval row fails the gate"
expect_contains "$OUT" "the review event chain is broken" "the run names the broken chain"
cp state2.bak .sluice/state.db; rm -f .sluice/state.db-wal .sluice/state.db-shm

# 12. Bad input: unknown keys, bad patterns (sluice.yml and CODEOWNERS, with file:line), exit 2.
pipeline "  min_aprovals: 2"
run_sluice run
expect_rc 2 "an unknown review key"
expect_contains "$ERR" 'min_aprovals' "the unknown key is named"
expect_contains "$ERR" 'did you mean "min_approvals"' "with a suggestion"
pipeline '  critical_paths_file: CODEOWNERS'
sed -i 's|  critical_paths: \["k8s/\*\*", "/Dockerfile"\]|  critical_paths: ["!k8s/"]|' sluice.yml
printf '# owners\nk8s/ @ops\ndeploy/[ab].sh @ops\n' > CODEOWNERS
run_sluice run
expect_rc 2 "bad patterns"
expect_contains "$ERR" 'sluice.yml:3:' "the sluice.yml pattern is located"
expect_contains "$ERR" 'negation ("!") is not supported' "negation is rejected"
expect_contains "$ERR" 'CODEOWNERS:3:1: "deploy/[ab].sh": character ranges' "the CODEOWNERS range is located"

# 13. critical_paths_file: CODEOWNERS semantics, last match wins, an ownerless line un-owns;
# 14. a protected stage downstream of an AI stage is gated even off the critical paths.
cat > sluice.yml <<YML
version: 1
review: { critical_paths_file: .github/CODEOWNERS }
llm:
  providers:
    default: { kind: openai, base_url: "http://127.0.0.1:$PORT/v1", model: gpt-4o-mini }
stages:
  dev_manifest:
    llm: { prompt: "dev manifest", output: { path: k8s/dev/app.yaml } }
  apply_dev:
    needs: [dev_manifest]
    run: echo applied dev
  prod_manifest:
    llm: { prompt: "prod manifest", output: { path: k8s/prod/app.yaml } }
  apply_prod:
    needs: [prod_manifest]
    run: echo applied prod
  release:
    needs: [apply_dev]
    protected: true
    run: echo released
YML
mkdir -p .github
printf 'k8s/ @ops\nk8s/dev/\n' > .github/CODEOWNERS
run_sluice plan
expect_contains "$OUT" 'review gate: reads AI stage "prod_manifest", which writes critical path k8s/prod/app.yaml' "sluice plan shows the gates"
run_sluice run -j 2
expect_rc 3 "CODEOWNERS-critical output is gated"
expect_contains "$OUT" "[ok] apply_dev" "a path un-owned by a later ownerless line is not critical"
expect_contains "$OUT" "[awaiting_approval] apply_prod" "an owned path is critical"
expect_contains "$OUT" "[awaiting_approval] release: awaiting approval of content" "a protected stage downstream of AI is gated"
expect_contains "$OUT" 'protected: true, downstream of AI stage "dev_manifest"' "the protected gate says why"

finish
