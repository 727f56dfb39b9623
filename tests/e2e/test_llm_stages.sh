#!/usr/bin/env bash
# Issue 20 item 2: `llm:` and `validate:` stages end to end with the real binary, the real
# tokenizer and the real redactor, against two local servers: tests/e2e/llm_server.py (OpenAI-
# and Anthropic-compatible, streamed or not, usage sent or not) and tests/e2e/openai_server.py
# (OpenAI, one JSON body). Every "no request reached the server" is counted at the server
# (PORT_FILE.requests, one line per request).
. "$(dirname "$0")/lib.sh"
cd "$E2E_TMP"
export CI=true
unset SLUICE_PROVIDER

if ! command -v python3 >/dev/null; then
  fail "python3 missing"
  finish; exit
fi

SERVER_PID=""
OPENAI_PID=""
python3 "$SLUICE_SOURCE_DIR/tests/e2e/llm_server.py" "$E2E_TMP/port" script "$E2E_TMP/script.json" &
SERVER_PID=$!
trap 'kill $SERVER_PID $OPENAI_PID 2>/dev/null; rm -rf "$E2E_TMP"' EXIT
for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
PORT=$(cat port)
requests() { if [ -f port.requests ]; then wc -l < port.requests; else echo 0; fi; }
jq_() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
stage_llm() { jq_ "$1" "json.dumps([s for s in j['stages'] if s['name']=='$2'][0]['llm'][sys.argv[3]])" "$3"; }

export OPENAI_TEST_KEY=sk-e2e-test-key-0123456789abcdef
providers() {
  cat <<YML
llm:
  providers:
    default: { kind: openai, base_url: "http://127.0.0.1:$PORT/v1", model: gpt-4o-mini, api_key_env: OPENAI_TEST_KEY }
    claude:  { kind: anthropic, base_url: "http://127.0.0.1:$PORT/v1", model: claude-sonnet-4-5 }
    gpt4:    { kind: openai, base_url: "http://127.0.0.1:$PORT/v1", model: gpt-4-0613 }
    offline: { kind: replay, cassettes: cassettes, model: gpt-4o-mini }
YML
}

# The known counts: two texts and their token ids as tiktoken gives them (the committed goldens
# of tests/golden/tokenize, made by the npm `tiktoken` package, not by sluice).
python3 - "$SLUICE_SOURCE_DIR/tests/golden/tokenize" <<'PY'
import json, sys
d = sys.argv[1]
cases = [json.loads(l) for l in open(d + "/cases.jsonl", encoding="utf-8")]
ids = {e: [json.loads(l) for l in open("%s/%s.jsonl" % (d, e))] for e in ("o200k_base", "cl100k_base")}
def pick(prefix):
    i = next(i for i, c in enumerate(cases) if c.startswith(prefix))
    return cases[i], {e: len(v[i]) for e, v in ids.items()}
prompt, pn = pick("\U0001d7ceЖ∀")   # multilingual
reply, rn = pick("for (int i = 0;")  # code
assert "{{" not in prompt
os = __import__("os"); os.makedirs("prompts", exist_ok=True)
open("prompts/known.md", "w", encoding="utf-8").write(prompt)
json.dump(reply, open("reply.json", "w"))
open("known.env", "w").write("PROMPT_O200K=%d\nPROMPT_CL100K=%d\nREPLY_O200K=%d\nREPLY_CL100K=%d\n"
                             % (pn["o200k_base"], pn["cl100k_base"], rn["o200k_base"], rn["cl100k_base"]))
PY
. ./known.env
echo "known counts: prompt $PROMPT_O200K (o200k) / $PROMPT_CL100K (cl100k), reply $REPLY_O200K / $REPLY_CL100K"
REPLY=$(python3 -c 'import json; print(json.load(open("reply.json")), end="")')

script() { # script STREAM USAGE(json or null) [MORE_JSON]: the server's next reply is the known reply
  printf '{"text": %s, "stream": %s, "usage": %s, "anthropic_usage": %s%s}' \
    "$(cat reply.json)" "$1" "$2" "$(if [ "$2" = null ]; then echo null; else echo '{"input_tokens": 111, "output_tokens": 22}'; fi)" \
    "${3:+, $3}" > script.json
}
one_stage() { # one_stage PROVIDER [EXTRA_KEYS]
  { echo "version: 1"; providers; cat <<YML
stages:
  gen:
    llm:
      provider: $1
      prompt_file: prompts/known.md
      output: { path: out/gen.txt, format: text }
      ${2:-}
YML
  } > sluice.yml
}

# 1. Both wire formats, streamed and not, usage sent and not. With usage the provider's figures
# are reported; without, sluice's own count, exact for OpenAI's models (the tiktoken golden
# count) and flagged approximate for Anthropic's.
for provider in default claude; do
  for stream in true false; do
    for usage in present absent; do
      label="$provider, stream $stream, usage $usage"
      if [ $usage = present ]; then script $stream '{"prompt_tokens": 111, "completion_tokens": 22}'
      else script $stream null; fi
      one_stage $provider
      rm -rf .sluice out port.requests run.json
      run_sluice run --json run.json
      expect_rc 0 "$label: runs"
      expect_eq "$(cat out/gen.txt 2>/dev/null)" "$REPLY" "$label: the reply is written as sent"
      expect_eq "$(requests)" 1 "$label: one request"
      if [ $usage = present ]; then
        expect_eq "$(stage_llm run.json gen tokens_in)/$(stage_llm run.json gen tokens_out)" "111/22" "$label: the provider's usage"
        expect_eq "$(stage_llm run.json gen usage_from_provider)" true "$label: usage_from_provider"
      else
        expect_eq "$(stage_llm run.json gen tokens_in)/$(stage_llm run.json gen tokens_out)" \
          "$PROMPT_O200K/$REPLY_O200K" "$label: sluice's count equals tiktoken's"
        expect_eq "$(stage_llm run.json gen usage_from_provider)" false "$label: usage_from_provider"
      fi
      if [ $provider = default ]; then
        expect_eq "$(stage_llm run.json gen tokenizer)/$(stage_llm run.json gen tokenizer_exact)" '"o200k_base"/true' "$label: exact o200k"
      else
        expect_eq "$(stage_llm run.json gen tokenizer_exact)" false "$label: Anthropic's count is approximate"
        if [ $usage = absent ]; then expect_contains "$OUT" "(approximate count)" "$label: the line says approximate"
        else expect_not_contains "$OUT" "(approximate count)" "$label: the provider's usage is not called approximate"; fi
      fi
      # The request as the server saw it: the prompt file's text, the right endpoint's shape.
      sent=$(python3 -c 'import json; r=json.loads(open("port.requests").readline()); m=r["messages"]; print(m[-1]["content"] if isinstance(m[-1]["content"], str) else m[-1]["content"][0]["text"], end="")' 2>/dev/null)
      expect_eq "$sent" "$(cat prompts/known.md)" "$label: the prompt reached the server unchanged"
    done
  done
done

# gpt-4 models count with cl100k_base, exactly.
script true null
one_stage gpt4
rm -rf .sluice out port.requests
run_sluice run --json run.json
expect_rc 0 "gpt-4-0613 runs"
expect_eq "$(stage_llm run.json gen tokenizer)/$(stage_llm run.json gen tokens_in)/$(stage_llm run.json gen tokens_out)" \
  "\"cl100k_base\"/$PROMPT_CL100K/$REPLY_CL100K" "gpt-4 counts with cl100k_base, as tiktoken does"

# A long prompt (a 12 KiB multilingual golden: the tokenizer's piece cache is on from 8 KiB) and a
# long reply (9 KiB of code from the same goldens), counted by the binary, equal tiktoken's counts.
python3 - "$SLUICE_SOURCE_DIR/tests/golden/tokenize/long" <<'PY'
import json, sys
d = sys.argv[1]
cases = [json.loads(l) for l in open(d + "/cases.jsonl", encoding="utf-8")]
ids = [json.loads(l) for l in open(d + "/o200k_base.jsonl")]
p = 0  # gen_long.mjs writes the multilingual prose first
r = next(i for i, c in enumerate(cases) if c.startswith("#include"))
assert "{{" not in cases[p] and len(cases[p].encode()) >= 8192 and len(cases[r].encode()) >= 8192
open("prompts/long.md", "w", encoding="utf-8").write(cases[p])
json.dump({"text": cases[r], "stream": True, "usage": None}, open("script.json", "w"))
open("long.env", "w").write("LONG_PROMPT=%d\nLONG_REPLY=%d\n" % (len(ids[p]), len(ids[r])))
PY
. ./long.env
echo "long counts: prompt $LONG_PROMPT, reply $LONG_REPLY (o200k, tiktoken)"
one_stage default "max_output_tokens: 4000"
sed -i 's|prompt_file: prompts/known.md|prompt_file: prompts/long.md|' sluice.yml
rm -rf .sluice out
run_sluice run --json run.json
expect_rc 0 "long texts run"
expect_eq "$(stage_llm run.json gen tokens_in)/$(stage_llm run.json gen tokens_out)" "$LONG_PROMPT/$LONG_REPLY" \
  "long texts: sluice's counts equal tiktoken's (piece cache on)"

# 2. The response cache: a second run answers from it, and no request reaches the server.
script true '{"prompt_tokens": 111, "completion_tokens": 22}'
one_stage default
rm -rf .sluice out port.requests
run_sluice run --json run1.json
expect_rc 0 "cache: first run"
run_sluice run --json run2.json
expect_rc 0 "cache: second run"
expect_contains "$OUT" "answered from the response cache" "cache: the line says so"
expect_eq "$(stage_llm run2.json gen cache_hit)" true "cache: cache_hit in the JSON"
expect_eq "$(stage_llm run2.json gen cost_usd)" 0.0 "cache: a hit costs nothing"
expect_eq "$(requests)" 1 "cache: the second run sent no request"
expect_eq "$(cat out/gen.txt 2>/dev/null)" "$REPLY" "cache: the hit writes the same reply"
# cache: off asks again.
one_stage default "cache: off"
run_sluice run
expect_eq "$(requests)" 2 "cache: off sends a request"
# A changed prompt is a miss.
one_stage default
echo " and more" >> prompts/known.md
run_sluice run
expect_eq "$(requests)" 3 "cache: a changed prompt is a miss"
python3 - "$SLUICE_SOURCE_DIR/tests/golden/tokenize" <<'PY'
import json, sys
cases = [json.loads(l) for l in open(sys.argv[1] + "/cases.jsonl", encoding="utf-8")]
open("prompts/known.md", "w", encoding="utf-8").write(next(c for c in cases if c.startswith("\U0001d7ceЖ∀")))
PY

# 3. --record, then replay without the server. The cassette holds no API key.
script true '{"prompt_tokens": 111, "completion_tokens": 22}'
one_stage default
rm -rf .sluice out cassettes port.requests
run_sluice run --record
expect_rc 0 "record: runs against the server"
expect_eq "$(requests)" 1 "record: one request"
expect_eq "$(ls cassettes 2>/dev/null | wc -l)" 1 "record: one cassette written"
cassette_text=$(cat cassettes/*.json 2>/dev/null)
[ -n "$cassette_text" ] && pass || fail "record: the cassette is empty or missing"
expect_contains "$cassette_text" "for (int i = 0;" "record: the cassette holds the reply"
expect_not_contains "$cassette_text$(cat .sluice/state.db* 2>/dev/null | tr -d '\0')" "$OPENAI_TEST_KEY" "record: the API key is in no cassette and not in the state"
rm -rf .sluice out
run_sluice run --provider offline --json run.json
expect_rc 0 "replay: --provider offline runs from the cassette"
expect_eq "$(cat out/gen.txt 2>/dev/null)" "$REPLY" "replay: the recorded reply"
expect_eq "$(stage_llm run.json gen provider_kind)" '"replay"' "replay: provider_kind"
expect_eq "$(requests)" 1 "replay: no request reached the server"
rm -rf .sluice out
SLUICE_PROVIDER=offline run_sluice run
expect_rc 0 "replay: SLUICE_PROVIDER=offline runs from the cassette"
expect_contains "$OUT" "via offline" "replay: SLUICE_PROVIDER chose the replay provider"
expect_eq "$(requests)" 1 "replay: SLUICE_PROVIDER sent no request"
rm -rf .sluice out
SLUICE_PROVIDER=nosuch run_sluice run --provider offline
expect_rc 0 "--provider wins over SLUICE_PROVIDER"
SLUICE_PROVIDER=claude run_sluice run --json run.json
expect_eq "$(stage_llm run.json gen provider)" '"claude"' "SLUICE_PROVIDER overrides the stage's provider"
expect_eq "$(requests)" 2 "SLUICE_PROVIDER=claude called the server"
rm -rf .sluice out
run_sluice run --provider nosuch
expect_rc 2 "an unknown --provider is a usage error"
expect_contains "$ERR" 'sluice: --provider "nosuch": no such LLM provider in sluice.yml (known: default, claude, gpt4, offline)' "and names the known ones"
expect_not_contains "$OUT" "[start]" "nothing ran"
SLUICE_PROVIDER=nosuch run_sluice run
expect_rc 2 "an unknown SLUICE_PROVIDER is a usage error"
expect_contains "$ERR" 'sluice: SLUICE_PROVIDER "nosuch": no such LLM provider' "and says where it came from"
# A request that was never recorded: replay fails, naming the cassette it looked for.
echo " (changed)" >> prompts/known.md
rm -rf .sluice out
run_sluice run --provider offline
expect_rc 1 "replay: an unrecorded request fails"
expect_contains "$OUT" "cassettes/" "replay: the failure names the cassette file"
expect_eq "$(requests)" 2 "replay: a missing cassette never falls through to the network"
run_sluice run --provider offline --record
expect_rc 1 "--record with the replay provider fails"
expect_contains "$OUT" "--record needs a real provider" "and says why"

# 4. Budgets refuse before the network.
script true '{"prompt_tokens": 111, "completion_tokens": 22}'
{ echo "version: 1"; providers; cat <<YML
  budget: { max_calls_per_run: 1 }
  max_concurrency: 1
stages:
  a: { llm: { prompt: "first", output: { path: out/a.txt } } }
  b: { needs: [a], llm: { prompt: "second", output: { path: out/b.txt } } }
YML
} > sluice.yml
rm -rf .sluice out port.requests
run_sluice run
expect_rc 1 "budget: the second call of max_calls_per_run 1 fails"
expect_contains "$OUT" "[FAILED] b: over budget: llm.budget.max_calls_per_run" "budget: names the limit"
expect_eq "$(requests)" 1 "budget: the refused call never reached the server"
{ echo "version: 1"; providers; cat <<YML
  budget: { per_run_usd: 0.0001 }
stages:
  a: { llm: { prompt: "first", max_output_tokens: 1000, output: { path: out/a.txt } } }
YML
} > sluice.yml
rm -rf .sluice out port.requests
run_sluice run
expect_rc 1 "budget: per_run_usd refuses a call whose worst case is over it"
expect_contains "$OUT" "over budget: llm.budget.per_run_usd is \$0.0001" "budget: names the USD limit"
expect_eq "$(requests)" 0 "budget: no request for a USD refusal"
# No price known for the model: a USD budget cannot be kept, so the stage fails before the call.
sed -i 's/^    gpt4: .*/    gpt4:    { kind: openai, base_url: "http:\/\/127.0.0.1:'"$PORT"'\/v1", model: my-local-model }/' sluice.yml
sed -i 's/llm: { prompt: "first"/llm: { provider: gpt4, prompt: "first"/' sluice.yml
run_sluice run
expect_rc 1 "budget: an unpriced model with a USD budget fails"
expect_contains "$OUT" "no price known for model" "budget: says the price is unknown"
expect_eq "$(requests)" 0 "budget: the unpriced call never reached the server"

# 4b. No price known and no USD budget: the stage runs, and its cost is shown as unknown
# ("unpriced", null in the JSON), never as $0; the run's total is null too, not a partial sum.
{ echo "version: 1"; providers; cat <<YML
    local:   { kind: openai, base_url: "http://127.0.0.1:$PORT/v1", model: my-local-model }
stages:
  a: { llm: { provider: local, prompt: "first", output: { path: out/a.txt } } }
  b: { llm: { provider: default, prompt: "second", output: { path: out/b.txt } } }
YML
} > sluice.yml
rm -rf .sluice out
run_sluice run --json run.json
expect_rc 0 "unpriced: a model without a price runs without a USD budget"
expect_contains "$OUT" "22 out, unpriced (no price known for the model; set price:)" "unpriced: the line says unpriced"
expect_not_contains "$OUT" "22 out, \$0.000000" "unpriced: no \$0 for the unpriced call"
expect_contains "$OUT" "gpt-4o-mini called via default: 111 tokens in, 22 out, \$0.000030" "unpriced: the priced stage keeps its cost"
expect_eq "$(stage_llm run.json a cost_usd)/$(stage_llm run.json a priced)" "null/false" "unpriced: cost_usd null in the stage's JSON"
expect_eq "$(stage_llm run.json b priced)" "true" "unpriced: the priced stage says priced"
expect_eq "$(jq_ run.json "json.dumps(j['llm']['cost_usd'])")/$(jq_ run.json "j['llm']['unpriced_stages']")" "null/1" "unpriced: the run's cost is null, one unpriced stage"
run_sluice report last
expect_contains "$OUT" "cost unpriced (1 stage(s) with no known price; \$0.0000 for the others)" "unpriced: sluice report says so"
run_sluice report --format json last
expect_contains "$(echo "$OUT" | tr -d ' \n')" '"cost_usd":null' "unpriced: report --format json has null"

# 5. An LLM stage writes a manifest; a validate: stage checks it offline against the demo's
# schemas. A valid one passes; an invalid one fails naming file:line:col and the field.
cp -r "$SLUICE_SOURCE_DIR/examples/ai-deploy/schemas" schemas
manifest() { # manifest REPLICAS
  python3 - "$1" <<'PY'
import json, sys
m = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: greet
spec:
  replicas: %s
  selector:
    matchLabels: {app: greet}
  template:
    metadata:
      labels: {app: greet}
    spec:
      containers:
        - name: greet
          image: greet:1.0
""" % sys.argv[1]
json.dump({"text": m, "stream": False}, open("script.json", "w"))
PY
}
{ echo "version: 1"; providers; cat <<YML
stages:
  gen:
    llm: { prompt: "write a deployment", cache: off, output: { path: k8s/app.yaml, format: yaml } }
  check:
    needs: [gen]
    validate: { kubernetes: k8s, schema_location: schemas, strict: true }
YML
} > sluice.yml
manifest 2
rm -rf .sluice k8s
run_sluice run --json run.json
expect_rc 0 "validate: a valid generated manifest passes"
expect_eq "$(jq_ run.json "[s['status'] for s in j['stages'] if s['name']=='check'][0]")" success "validate: the stage succeeded"
expect_eq "$(jq_ run.json "[s['validate']['resources'] for s in j['stages'] if s['name']=='check'][0]")" 1 "validate: one resource checked"
manifest '"three"'
run_sluice run --json run.json
expect_rc 1 "validate: an invalid generated manifest fails the run"
expect_contains "$OUT" "k8s/app.yaml:6:14: error: spec.replicas: expected integer or null, got string [type]" "validate: file:line:col and the field"
expect_eq "$(jq_ run.json "[s['validate']['errors'] for s in j['stages'] if s['name']=='check'][0]")" 1 "validate: errors in the JSON"
# A validate: stage whose schemas are missing fails (strict), it does not pass over the file.
rm -rf schemas; mkdir schemas
manifest 2
run_sluice run
expect_rc 1 "validate: no schema for the kind fails"

# 6. The second server (openai_server.py: one JSON body, usage always sent).
mkdir -p o && printf 'items: [a, b]\n' > o/reply.txt
python3 "$SLUICE_SOURCE_DIR/tests/e2e/openai_server.py" "$E2E_TMP/o/port" "$E2E_TMP/o/reply.txt" &
OPENAI_PID=$!
for _ in $(seq 100); do [ -s o/port ] && break; sleep 0.05; done
cat > sluice.yml <<YML
version: 1
llm:
  providers:
    default: { kind: openai, base_url: "http://127.0.0.1:$(cat o/port)/v1", model: gpt-4o-mini }
stages:
  gen: { llm: { prompt: "list", output: { path: out/items.yaml, format: yaml } } }
YML
rm -rf .sluice out
run_sluice run --json run.json
expect_rc 0 "openai_server: runs"
expect_eq "$(stage_llm run.json gen tokens_in)/$(stage_llm run.json gen tokens_out)" "20/20" "openai_server: its usage"
expect_eq "$(cat out/items.yaml 2>/dev/null)" "items: [a, b]" "openai_server: the reply written"
run_sluice run
expect_eq "$(wc -l < o/port.requests)" 1 "openai_server: the second run is a cache hit"

finish
