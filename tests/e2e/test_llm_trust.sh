#!/usr/bin/env bash
# Issue 23: LLM stages that cannot be fooled, against tests/e2e/llm_server.py in script mode
# (OpenAI- and Anthropic-compatible, streamed and not): a truncated reply fails, what comes back
# is redacted, cached tokens are priced, the model actually served is reported.
. "$(dirname "$0")/lib.sh"
cd "$E2E_TMP"
export CI=true

if ! command -v python3 >/dev/null; then
  fail "python3 missing"
  finish; exit
fi

start_llm_server script "$E2E_TMP/script.json"

pipeline() { # pipeline PROVIDER EXTRA_STAGE_KEYS
  cat > sluice.yml <<YML
version: 1
secrets: [DB_PASSWORD]
llm:
  providers:
    default: { kind: openai, base_url: "http://127.0.0.1:$PORT/v1", model: gpt-4o-mini }
    claude:  { kind: anthropic, base_url: "http://127.0.0.1:$PORT/v1", model: claude-sonnet-4-5 }
stages:
  items:
    llm:
      provider: $1
      prompt: "List the items."
      max_output_tokens: 10
      timeout: 8s
      output: { path: out/items.yaml, format: yaml }
      $2
YML
}
export DB_PASSWORD=hunter2-e2e-password

# 1. A cut-off YAML list parses; it must not pass.
for provider in default claude; do
  for stream in true false; do
    printf '{"text": "items:\\n  - a\\n  - b\\n", "finish": "length", "stop_reason": "max_tokens", "stream": %s}' \
      "$stream" > script.json
    pipeline $provider ""
    rm -rf .sluice out
    run_sluice run
    expect_rc 1 "truncated reply ($provider, stream $stream) fails"
    expect_contains "$OUT" "the reply was cut at max_output_tokens 10" "truncation names the limit ($provider, $stream)"
    [ ! -e out/items.yaml ] && pass || fail "a truncated reply was written ($provider, $stream)"
    pipeline $provider "on_truncation: warn"
    run_sluice run --json run.json; OUT="$OUT $(tr -d " \n" < run.json 2>/dev/null)"
    expect_rc 0 "on_truncation: warn keeps the reply ($provider, $stream)"
    expect_contains "$OUT" '"truncated":true' "warn reports the truncation ($provider, $stream)"
  done
done

# 8. A model quoting a secret (here DB_PASSWORD, a declared secret): redacted in the file, the
# JSON, the state database and the cassettes.
for provider in default claude; do
  for stream in true false; do
    printf '{"text": "password: \\"%s\\"\\n", "stream": %s}' "$DB_PASSWORD" "$stream" > script.json
    pipeline $provider ""
    rm -rf .sluice out run.json
    run_sluice run --json run.json
    expect_rc 0 "a reply quoting a secret ($provider, stream $stream) runs"
    expect_contains "$(cat out/items.yaml 2>/dev/null)" 'password: "***"' "the written reply is redacted ($provider, $stream)"
    stored=$(cat out/items.yaml run.json .sluice/state.db* 2>/dev/null | tr -d '\0')
    expect_not_contains "$stored$OUT$ERR" "$DB_PASSWORD" "the secret is nowhere ($provider, $stream)"
  done
done

# 2. Cached tokens at their price: the reference figure (2,000 prompt tokens of which 1,536
# cached, plus 100 output, on gpt-4o-mini at the default table's prices) is $0.0002448.
# And the model actually served, with a change since the last run flagged.
for stream in true false; do
  printf '{"text": "items: [a]\\n", "stream": %s, "model": "gpt-4o-mini-2024-07-18",
    "usage": {"prompt_tokens": 2000, "completion_tokens": 100, "prompt_tokens_details": {"cached_tokens": 1536}}}' \
    "$stream" > script.json
  pipeline default "cache: off"
  rm -rf .sluice out run.json
  run_sluice run --json run.json
  expect_rc 0 "cached-token pricing runs (stream $stream)"
  expect_contains "$OUT" "gpt-4o-mini-2024-07-18 called via default: 2000 tokens in (1536 cached), 100 out, \$0.000245" "the line shows cached tokens and cost ($stream)"
  json=$(tr -d ' \n' < run.json)
  expect_contains "$json" '"tokens_cached_in":1536' "tokens_cached_in in the JSON ($stream)"
  expect_contains "$json" '"cost_usd":0.0002448' "the reference figure ($stream)"
  expect_contains "$json" '"model_served":"gpt-4o-mini-2024-07-18"' "model_served in the JSON ($stream)"
  expect_not_contains "$json" 'model_changed_from' "no change on a first run ($stream)"
  sed -i 's/2024-07-18/2025-02-02/' script.json
  run_sluice run --json run.json
  expect_contains "$OUT" "the provider served gpt-4o-mini-2024-07-18 last run" "a changed model is flagged ($stream)"
  expect_contains "$(tr -d ' \n' < run.json)" '"model_changed_from":"gpt-4o-mini-2024-07-18"' "and in the JSON ($stream)"
done

# 7. Twenty stages (-j 20) against a server that accepts 2 requests a second: one pacer per
# provider slows them all after a 429, so requests stay within 1.5x the successes.
{
  cat <<YML
version: 1
llm:
  providers:
    default: { kind: openai, base_url: "http://127.0.0.1:$PORT/v1", model: gpt-4o-mini }
stages:
YML
  for i in $(seq 1 20); do
    printf '  s%s:\n    llm: { prompt: "stage %s", max_output_tokens: 10, retries: 20, timeout: 120s,\n' "$i" "$i"
    printf '           output: { path: out/%s.yaml, format: yaml } }\n' "$i"
  done
} > sluice.yml
printf '{"text": "items: [a]\\n", "rate_limit": 2}' > script.json
rm -rf .sluice out port.requests port.ok
run_sluice run -j 20
expect_rc 0 "twenty paced stages all succeed"
requests=$(wc -l < port.requests); ok=$(wc -l < port.ok)
echo "paced: $requests requests for $ok successes"
expect_eq "$ok" 20 "twenty successes"
[ $((requests * 2)) -le $((ok * 3)) ] && pass || fail "$requests requests for $ok successes (more than 1.5x)"

# 7. A Retry-After longer than the time left fails now, naming the wait.
printf '{"text": "items: [a]\\n", "rate_limit": 2, "retry_after": 600}' > script.json
pipeline default "retries: 5"
sed -i 's/timeout: 8s/timeout: 60s/' sluice.yml
rm -rf .sluice out
start=$(date +%s)
run_sluice run
expect_rc 1 "a Retry-After past the timeout fails"
expect_contains "$OUT" "600000 ms, as Retry-After asks) would pass the 60000 ms timeout" "the wait is in the message"
[ $(( $(date +%s) - start )) -lt 30 ] && pass || fail "it waited for the timeout"

# 6. A provider that cannot be reached (connection refused) falls back once its retries are
# spent; the JSON says which provider answered.
printf '{"text": "items: [a]\\n"}' > script.json
pipeline default "retries: 1
      fallback: [claude]"
sed -i 's|default: { kind: openai, base_url: "http://127.0.0.1:[0-9]*/v1"|default: { kind: openai, base_url: "http://127.0.0.1:9/v1"|' sluice.yml
rm -rf .sluice out run.json
run_sluice run --json run.json
expect_rc 0 "the fallback answers"
expect_contains "$OUT" "via claude (fallback after default failed)" "the line names the fallback"
expect_contains "$(tr -d ' \n' < run.json)" '"provider_used":"claude"' "provider_used in the JSON"

# 4. One repair: a reply the guard refuses is asked again once with the guard's error.
for provider in default claude; do
  for stream in true false; do
    printf '{"text": "{ items: [a, b", "repaired_text": "items: [a, b]\\n", "stream": %s}' "$stream" > script.json
    pipeline $provider ""
    rm -rf .sluice out run.json port.requests
    run_sluice run --json run.json
    expect_rc 0 "a refused reply is repaired ($provider, stream $stream)"
    expect_contains "$(tr -d ' \n' < run.json)" '"attempts":2' "attempts in the JSON ($provider, $stream)"
    expect_eq "$(cat out/items.yaml 2>/dev/null)" "items: [a, b]" "the repaired reply is written ($provider, $stream)"
    pipeline $provider "repair: 0"
    rm -rf .sluice out port.requests
    run_sluice run
    expect_rc 1 "repair: 0 fails on the refusal ($provider, $stream)"
    expect_eq "$(wc -l < port.requests)" 1 "repair: 0 asks once ($provider, $stream)"
  done
done

finish
