#!/usr/bin/env bash
# Issue 23 item 3: output.schema is sent as structured output (OpenAI response_format json_schema
# strict, Anthropic output_config json_schema), a schema the strict modes cannot take is refused
# before any call with its key path, the schema's hash is in the cache key, and the local check
# stays. The request bodies are the ones tests/e2e/llm_server.py received.
. "$(dirname "$0")/lib.sh"
cd "$E2E_TMP"
export CI=true

if ! command -v python3 >/dev/null; then
  fail "python3 missing"
  finish; exit
fi

start_llm_server script "$E2E_TMP/script.json"
requests() { [ -f port.requests ] && wc -l < port.requests | tr -d ' ' || echo 0; }
last_request() { tail -n 1 port.requests; }

pipeline() { # pipeline PROVIDER SCHEMA [EXTRA_OUTPUT_KEYS]
  cat > sluice.yml <<YML
version: 1
llm:
  providers:
    default: { kind: openai, base_url: "http://127.0.0.1:$PORT/v1", model: gpt-4o-mini }
    claude:  { kind: anthropic, base_url: "http://127.0.0.1:$PORT/v1", model: claude-sonnet-4-5 }
stages:
  plan:
    llm:
      provider: $1
      prompt: "Plan the release."
      timeout: 8s
      repair: 0
      output: { path: out/plan.json, format: json, schema: $2 ${3:-} }
YML
}
STRICT='{ type: object, additionalProperties: false, required: [version, replicas], properties: { version: { type: string, description: "semver" }, replicas: { type: integer } } }'
echo '{"text": "{\"version\": \"1.2.3\", \"replicas\": 2}"}' > script.json

for provider in default claude; do
  rm -rf .sluice out
  pipeline $provider "$STRICT"
  n=$(requests)
  run_sluice run --json run.json
  expect_rc 0 "a strict schema runs ($provider)"
  expect_eq "$(requests)" $((n + 1)) "one request ($provider)"
  check=$(last_request | python3 -c '
import json, sys
b = json.loads(sys.stdin.read())
want = {"type": "object", "additionalProperties": False, "required": ["version", "replicas"],
        "properties": {"version": {"type": "string", "description": "semver"}, "replicas": {"type": "integer"}}}
if sys.argv[1] == "default":
    rf = b["response_format"]
    assert rf["type"] == "json_schema", rf
    assert rf["json_schema"]["strict"] is True and rf["json_schema"]["name"], rf
    assert rf["json_schema"]["schema"] == want, rf
else:
    f = b["output_config"]["format"]
    assert f["type"] == "json_schema" and f["schema"] == want, f
print("ok")' $provider 2>&1)
  expect_eq "$check" ok "the request carries the schema as structured output ($provider)"
  expect_contains "$(tr -d ' \n' < run.json)" '"schema_sent":true' "the JSON says the schema was sent ($provider)"

  # The schema's hash is in the cache key: the same schema is a hit, a changed one asks again.
  run_sluice run
  expect_rc 0 "the re-run passes ($provider)"
  expect_eq "$(requests)" $((n + 1)) "the re-run is a cache hit ($provider)"
  pipeline $provider "${STRICT/semver/the release version}"
  run_sluice run
  expect_rc 0 "a changed schema runs ($provider)"
  expect_eq "$(requests)" $((n + 2)) "a changed schema is a new request ($provider)"
done

# Refused at load, before any call, with the key path.
n=$(requests)
pipeline default '{ type: object, additionalProperties: false, required: [version], properties: { version: { type: string }, tag: { type: string } } }'
run_sluice run
expect_rc 2 "an optional property is refused at load"
expect_contains "$ERR" 'sluice.yml:13:60: output.schema:' "the error points at the schema"
expect_contains "$ERR" '$.properties.tag: optional (not in required)' "the error names the key path"
pipeline default '{ type: object, required: [version], properties: { version: { type: string } } }'
run_sluice run
expect_rc 2 "an object without additionalProperties: false is refused"
expect_contains "$ERR" '$: an object needs additionalProperties: false' "named at the root"
pipeline default '{ type: object, additionalProperties: false, required: [n], properties: { n: { type: integer, minimum: 1 } } }'
run_sluice run
expect_rc 2 "an unsupported keyword is refused"
expect_contains "$ERR" '$.properties.n.minimum: keyword not supported' "the keyword is named"
pipeline default '{ type: array, items: { type: string } }'
run_sluice run
expect_rc 2 "an array at the root is refused"
expect_eq "$(requests)" "$n" "nothing was sent for a refused schema"

# A schema file is checked when the stage starts, still before any call.
mkdir -p schemas
echo '{"type": "object", "properties": {"version": {"type": "string"}}}' > schemas/plan.json
pipeline default schemas/plan.json
rm -rf .sluice out
run_sluice run
expect_rc 1 "a schema file the strict mode cannot take fails the stage"
expect_contains "$OUT" 'output.schema schemas/plan.json: the providers'"'"' strict mode cannot take it' "named with the file"
expect_eq "$(requests)" "$n" "and nothing was sent"

# send_schema: false keeps only the local check (for a schema strict mode cannot take).
pipeline default '{ type: object, required: [version], properties: { version: { type: string }, tag: { type: string } } }' ', send_schema: false'
rm -rf .sluice out
run_sluice run
expect_rc 0 "send_schema: false runs a non-strict schema"
expect_not_contains "$(last_request)" 'response_format' "and sends no response_format"

# The local check stays: a reply that does not match still fails.
echo '{"text": "{\"version\": 3, \"replicas\": 2}"}' > script.json
pipeline default "$STRICT"
rm -rf .sluice out
run_sluice run
expect_rc 1 "a reply that breaks the schema fails the local check"
expect_contains "$OUT" 'does not match the schema' "the local check's message"

finish
