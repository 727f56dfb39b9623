#!/usr/bin/env bash
# `make demo` inside `make test`: examples/ai-deploy/run-demo.sh, on a copy of the example, with
# the built binary, offline (any HTTP(S) request goes to a closed port and fails). The LLM stage
# answers from the committed cassette, whose key is computed from the prompt after the real
# redactor: a redactor or renderer change that alters the prompt fails here as a missing cassette.
. "$(dirname "$0")/lib.sh"
cd "$E2E_TMP"

cp -r "$SLUICE_SOURCE_DIR/examples/ai-deploy" demo
rm -rf demo/.sluice demo/build demo/k8s/generated
export http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9
unset OPENAI_API_KEY SLUICE_PROVIDER no_proxy NO_PROXY
OUT=$(demo/run-demo.sh "$SLUICE" 2>"$E2E_TMP/.stderr"); RC=$?; ERR=$(cat "$E2E_TMP/.stderr")
expect_rc 0 "run-demo.sh succeeds"
expect_contains "$OUT" "== second run: the gate passes; the model is not called again" "both runs happened"
expect_contains "$OUT" "sluice approve " "run 1 printed the approve command"
expect_contains "$OUT" "(expected: the stage failed before app/fetch_status.py was written)" \
  "the reference check stopped the hallucinated import"
expect_contains "$OUT" "unresolved python import" "the hallucinated import is named"
[ -s demo/build/report.html ] && pass || fail "the HTML report was written"
expect_contains "$OUT" "valid: 1 file, 2 resources checked, 0 skipped: 0 errors" "the generated manifest validates"

# stage NAME FIELD RUN: one field of one stage of the run's JSON.
stage() {
  python3 -c 'import json,sys; j=json.load(open(sys.argv[3])); s=[s for s in j["stages"] if s["name"]==sys.argv[1]][0]
v=s
for k in sys.argv[2].split("."): v=v[k]
print(json.dumps(v))' "$1" "$2" "demo/build/$3.json" 2>/dev/null
}
# Run 1: the AI-written manifest is on a critical path, so its readers wait for the review.
for s in lint security manifests test; do
  expect_eq "$(stage $s status run1)" '"success"' "run 1: $s succeeded"
done
expect_eq "$(stage validate status run1)" '"awaiting_approval"' "run 1: validate awaits approval"
expect_eq "$(stage deploy status run1)" '"skipped"' "run 1: deploy (after validate) did not run"
# Run 2, after the approval: everything passes; the advisory stage is reported, not fatal.
for s in lint security manifests validate test deploy; do
  expect_eq "$(stage $s status run2)" '"success"' "run 2: $s succeeded"
done
expect_eq "$(stage todos status run2)" '"failed_advisory"' "run 2: the advisory stage failed without failing the run"
expect_eq "$(stage ai-review status run1)" '"failed_advisory"' "run 1: the AI review's fail verdict is advisory"
expect_contains "$OUT" "app/greet.sh:5: warning: unfinished work" "the AI review's finding is printed"
expect_eq "$(stage manifests llm.provider_kind run1)" '"replay"' "the LLM stage answered from the cassette"
expect_eq "$(stage manifests llm.cache_hit run1)" false "run 1 is not a response-cache hit"
expect_eq "$(stage manifests llm.cache_hit run2)" true "run 2 answers from the response cache"
for s in lint security test; do
  expect_eq "$(stage $s cache_hit run2)" true "run 2: $s is a step-cache hit"
done
expect_eq "$(stage validate validate.resources run2)" 2 "the validate stage checked the Deployment and the Service"
# The written manifest is the cassette's reply (YAML, the fences stripped).
# (the manifest's cassette: the one whose reply is a Deployment; refs-demo.yml has its own)
reply=$(python3 -c '
import json, glob
for f in sorted(glob.glob("demo/cassettes/*.json")):
    c = json.load(open(f)); t = c.get("response", c).get("text", "")
    if "kind: Deployment" in t:
        print(t, end=""); break' 2>/dev/null)
[ -n "$reply" ] && pass || fail "the cassette has no response text"
expect_contains "$reply" "$(head -3 demo/k8s/generated/app.yaml 2>/dev/null)" "the manifest written is the cassette's reply"
git_status=$(cd "$SLUICE_SOURCE_DIR" && git status --porcelain examples/ai-deploy 2>/dev/null)
expect_eq "$git_status" "" "the test leaves the example in the source tree untouched"

finish
