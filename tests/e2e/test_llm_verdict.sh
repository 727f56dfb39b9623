#!/usr/bin/env bash
# Issue 12 (AI verdict stages) and issue 23 item 5 (samples): a verdict reply is JSON checked by
# the output guard; "fail" fails the stage; findings reach the terminal, --json, --junit and
# --sarif, redacted; samples that do not agree make the stage `unstable` (exit 4), and a re-run
# asks nothing. Against tests/e2e/llm_server.py in script mode, OpenAI and Anthropic formats.
. "$(dirname "$0")/lib.sh"
cd "$E2E_TMP"
export CI=true

if ! command -v python3 >/dev/null; then
  fail "python3 missing"
  finish; exit
fi

start_server() { start_llm_server script "$E2E_TMP/script.json"; }
echo '{"text": "{}"}' > script.json
start_server

# Most cases write `advisory: false`, so a verdict decides the run; ADVISORY= (empty) leaves the
# key out, where a verdict stage is advisory by default (issue 12).
pipeline() { # pipeline PROVIDER EXTRA_STAGE_KEYS
  cat > sluice.yml <<YML
version: 1
secrets: [DB_PASSWORD]
llm:
  providers:
    default: { kind: openai, base_url: "http://127.0.0.1:$PORT/v1", model: gpt-4o-mini }
    claude:  { kind: anthropic, base_url: "http://127.0.0.1:$PORT/v1", model: claude-sonnet-4-5 }
  budget: { per_run_usd: 1, max_calls_per_run: 20 }
stages:
  review:
    ${ADVISORY-advisory: false}
    llm:
      provider: $1
      prompt: "Review the change. Reply with a verdict."
      timeout: 8s
      verdict: true
      $2
YML
}
requests() { [ -f port.requests ] && wc -l < port.requests | tr -d ' ' || echo 0; }
export DB_PASSWORD=hunter2-verdict-password
PASS='{"verdict": "pass", "findings": [{"path": "app/main.py", "line": 3, "severity": "note", "message": "fine"}]}'
FAIL='{"verdict": "fail", "findings": [{"path": "k8s/app.yaml", "line": 12, "severity": "error", "message": "image tag is latest; the password is hunter2-verdict-password"}]}'
script_texts() { python3 -c 'import json,sys; print(json.dumps({"texts": sys.argv[1:]}))' "$@" > script.json; }

for provider in default claude; do
  # A pass: green, findings still shown.
  script_texts "$PASS"
  pipeline $provider ""
  rm -rf .sluice
  run_sluice run --json run.json --sarif run.sarif
  expect_rc 0 "a pass verdict passes ($provider)"
  expect_contains "$OUT" "app/main.py:3: note: fine" "pass findings are printed ($provider)"

  # A fail: the stage fails; findings on the terminal, in JSON, JUnit and SARIF, redacted.
  script_texts "$FAIL"
  rm -rf .sluice
  run_sluice run --json run.json --junit run.xml --sarif run.sarif
  expect_rc 1 "a fail verdict fails the run ($provider)"
  expect_contains "$OUT" "AI verdict: fail, 1 finding (1 error)" "the reason says fail ($provider)"
  expect_contains "$OUT" "k8s/app.yaml:12: error: image tag is latest" "the finding is printed ($provider)"
  json=$(tr -d ' \n' < run.json)
  expect_contains "$json" '"verdict":"fail"' "JSON carries the verdict ($provider)"
  expect_contains "$json" '{"line":12,"message":"imagetagislatest;thepasswordis***","path":"k8s/app.yaml","severity":"error"}' \
    "JSON carries the finding, redacted ($provider)"
  expect_contains "$(cat run.xml)" "k8s/app.yaml:12: error: image tag is latest" "JUnit carries the finding ($provider)"
  sarif_ok=$(python3 - run.sarif <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
r = s["runs"][0]["results"]
assert s["version"] == "2.1.0", s["version"]
assert len(r) == 1 and r[0]["level"] == "error", r
loc = r[0]["locations"][0]["physicalLocation"]
assert loc["artifactLocation"]["uri"] == "k8s/app.yaml" and loc["region"]["startLine"] == 12, loc
print("ok")
PY
)
  expect_eq "$sarif_ok" "ok" "SARIF 2.1.0 holds the finding with path and line ($provider)"
  expect_not_contains "$OUT$(cat run.json run.xml run.sarif .sluice/state.db* | tr -d '\0')" "$DB_PASSWORD" \
    "a secret quoted in a finding is redacted everywhere ($provider)"
done

# Unwritten, `advisory` defaults to true on a verdict stage: a fail is reported (failed_advisory,
# findings in JUnit) but does not fail the run.
script_texts "$FAIL"
ADVISORY= pipeline default ""
rm -rf .sluice
run_sluice run --junit run.xml
expect_rc 0 "a fail verdict is advisory by default"
expect_contains "$OUT" "[failed_advisory] review: AI verdict: fail" "advisory verdict reported as failed_advisory"
expect_contains "$(cat run.xml)" "k8s/app.yaml:12: error: image tag is latest" "JUnit carries the advisory finding"
# In GitHub Actions the findings are annotations on the file and line; in GitLab, Code Quality.
rm -rf .sluice
GITHUB_ACTIONS=true GITHUB_STEP_SUMMARY="$E2E_TMP/summary.md" run_sluice run
expect_contains "$OUT" "::error file=k8s/app.yaml,line=12,title=sluice%3A AI verdict of review::image tag is latest" \
  "GitHub annotation for the verdict's finding"
# (::add-mask:: is the one line that names the value: it is how the runner learns to mask it)
expect_not_contains "$(grep -v '^::add-mask::' <<<"$OUT")" "$DB_PASSWORD" "the annotation is redacted"
rm -rf .sluice
GITLAB_CI=true SLUICE_REPORT_DIR="$E2E_TMP/gl" run_sluice run
expect_contains "$(cat "$E2E_TMP"/gl/*.json 2>/dev/null)" '"check_name": "sluice/ai-verdict/review"' \
  "GitLab Code Quality carries the verdict's finding"

# Malformed verdicts: a clear error naming what is wrong (no repair, so the first reply counts).
for bad in '{"verdict": "maybe", "findings": []}|"verdict" must be "pass" or "fail", got "maybe"' \
           '{"verdict": "pass"}|"findings" is missing' \
           '{"verdict": "fail", "findings": [{"path": "a", "line": 1, "severity": "critical", "message": "m"}]}|findings[0].severity must be "error", "warning" or "note", got "critical"' \
           '{"verdict": "fail", "findings": [{"path": "a", "severity": "error", "message": "m"}]}|findings[0].line is missing' \
           'Looks good to me!|it is not JSON'; do
  script_texts "${bad%%|*}"
  pipeline default "repair: 0"
  rm -rf .sluice
  run_sluice run
  expect_rc 1 "malformed verdict [${bad%%|*}] fails"
  expect_contains "$OUT" "the reply is not a valid verdict: ${bad#*|}" "malformed verdict names the problem"
done
# A repair fixes a malformed verdict.
python3 -c 'import json,sys; print(json.dumps({"text": "no verdict here", "repaired_text": sys.argv[1]}))' "$PASS" > script.json
pipeline default ""
rm -rf .sluice
run_sluice run --json run.json
expect_rc 0 "a repair turns a malformed verdict into a valid one"
expect_contains "$(tr -d ' \n' < run.json)" '"attempts":2' "the repair is counted"

# A verdict kept as a file: the verdict JSON is written (fences dropped).
python3 -c 'import json,sys; print(json.dumps({"text": "```json\n" + sys.argv[1] + "\n```"}))' "$PASS" > script.json
pipeline default "output: { path: out/verdict.json, format: json }"
rm -rf .sluice out
run_sluice run
expect_rc 0 "a verdict with an output file passes"
expect_eq "$(python3 -c 'import json; print(json.load(open("out/verdict.json"))["verdict"])' 2>&1)" pass \
  "the verdict is written as JSON"

# Bad verdict configuration: load errors.
pipeline default "samples: 3
      agree: 1"
run_sluice run
expect_rc 2 "agree must be a majority"
expect_contains "$ERR" "agree must be more than half of samples" "the agree error is clear"
cat > sluice.yml <<YML
version: 1
llm:
  providers: { default: { kind: openai, base_url: "http://127.0.0.1:$PORT/v1", model: gpt-4o-mini } }
stages:
  s: { llm: { prompt: "x", samples: 3 } }
YML
run_sluice run
expect_rc 2 "samples without verdict is a load error"

# Samples: 3 asks, 2 must agree.
start_server
script_texts "$PASS" "$FAIL" "$PASS"
pipeline default "samples: 3
      agree: 2"
rm -rf .sluice
run_sluice run --json run.json
expect_rc 0 "2 of 3 passing samples pass"
expect_eq "$(requests)" 3 "three samples are three requests"
json=$(tr -d ' \n' < run.json)
expect_contains "$json" '"samples":["pass","fail","pass"]' "JSON lists each sample's verdict"
calls=$(sqlite3 .sluice/state.db "SELECT count(*) FROM llm_calls WHERE status = 'ok' AND cache_hit = 0")
expect_eq "$calls" 3 "every sample is a recorded call"
settled=$(sqlite3 .sluice/state.db "SELECT count(*) FROM llm_ledger WHERE state = 'settled'" 2>/dev/null || echo "?")
expect_eq "$settled" 3 "every sample reserved and settled budget"
# A re-run costs nothing: each sample is answered from the response cache.
run_sluice run --json run.json
expect_rc 0 "the re-run passes"
expect_eq "$(requests)" 3 "the re-run makes no request"
expect_contains "$(tr -d ' \n' < run.json)" '"cache_hit":true' "the re-run is a cache hit"

# Unstable: samples that do not reach agree; a distinct status and exit code, never green.
start_server
script_texts "$PASS" "$FAIL" "$PASS"
pipeline default "samples: 3
      agree: 3"
cat >> sluice.yml <<'YML'
  deploy:
    needs: [review]
    run: echo deployed
YML
rm -rf .sluice
run_sluice run --json run.json --junit run.xml
expect_rc 4 "disagreeing samples exit 4 (unstable)"
expect_contains "$OUT" "[unstable] review: AI verdict unstable" "the terminal says unstable"
expect_contains "$OUT" "sluice: unstable" "the run is unstable"
json=$(tr -d ' \n' < run.json)
expect_contains "$json" '"status":"unstable"' "JSON status unstable"
expect_contains "$json" '"name":"deploy","reason":"needs\"review\"whichwasunstable","status":"skipped"' \
  "an unstable verdict does not let its dependents run"
expect_contains "$(cat run.xml)" 'type="unstable"' "JUnit reports it as a failure of type unstable"
expect_eq "$(sqlite3 .sluice/state.db "SELECT status FROM stages WHERE name = 'review' ORDER BY started_ms DESC LIMIT 1")" \
  unstable "the store records unstable"
run_sluice run
expect_rc 4 "the re-run is unstable again"
expect_eq "$(requests)" 3 "and asks nothing"

finish
