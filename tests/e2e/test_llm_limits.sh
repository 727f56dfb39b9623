#!/usr/bin/env bash
# LLM stages against a misbehaving local server (tests/e2e/llm_server.py): replies far past
# max_output_tokens and endless streams fail fast in bounded memory; budget failures and the
# templated system prompt as the CLI shows them.
. "$(dirname "$0")/lib.sh"
cd "$E2E_TMP"
export CI=true

if ! command -v python3 >/dev/null; then
  fail "python3 missing"
  finish; exit
fi

start_server() { start_llm_server "$@"; }  # start_server MODE [ARG]: sets PORT

pipeline() { # pipeline EXTRA_STAGE_KEYS
  cat > sluice.yml <<YML
version: 1
secrets: [DB_PASSWORD]
llm:
  providers:
    default: { kind: openai, base_url: "http://127.0.0.1:$PORT/v1", model: gpt-4o-mini,
               price: { input_per_mtok: 1000, output_per_mtok: 1000 } }
  budget: { per_run_usd: 1 }
stages:
  s07:
    llm:
      system: "Deploy to {{ env.REGION }} with password {{ env.DB_PASSWORD }}."
      prompt: "say hi"
      timeout: 8s
      $1
YML
}

# Peak resident set of one `sluice run`, in KiB (0 where GNU time is missing), and its wall time.
timed_run() {
  rm -rf .sluice
  local start=$(date +%s%N)
  if [ -x /usr/bin/time ]; then
    OUT=$(/usr/bin/time -f "%M" -o rss.txt "$SLUICE" run 2>"$E2E_TMP/.stderr"); RC=$?
    RSS=$(tail -1 rss.txt)
  else
    OUT=$("$SLUICE" run 2>"$E2E_TMP/.stderr"); RC=$?
    RSS=0
  fi
  ERR=$(cat "$E2E_TMP/.stderr")
  WALL_MS=$(( ($(date +%s%N) - start) / 1000000 ))
}

export REGION=eu-west-1 DB_PASSWORD=hunter2-e2e-password

# A normal reply (the request echoed back): the baseline for memory, and the system prompt.
start_server echo 9
pipeline "max_output_tokens: 50
      output: { path: out/reply.json, format: text }"
timed_run
expect_rc 0 "a normal reply succeeds"
BASE_RSS=$RSS
reply=$(cat out/reply.json 2>/dev/null)
expect_contains "$reply" "Deploy to eu-west-1 with password ***." "the system prompt is templated, then redacted"
expect_not_contains "$reply" "{{" "no template expression is sent literally"
expect_not_contains "$(cat port.requests)" "hunter2-e2e-password" "the secret never reaches the server"

# 50 MB of text for max_output_tokens 50: cut while reading, not accepted.
start_server huge 50
pipeline "max_output_tokens: 50"
timed_run
expect_rc 1 "a 50 MB reply to max_output_tokens 50 fails"
expect_contains "$OUT" "[FAILED] s07: provider \"default\" (openai gpt-4o-mini): the reply passed" "says why"
expect_contains "$OUT" "more than max_output_tokens 50 can produce" "names the limit"
[ "$WALL_MS" -lt 4000 ] && pass || fail "the 50 MB reply took $WALL_MS ms"
[ $((RSS - BASE_RSS)) -lt 65536 ] && pass || fail "the 50 MB reply took $RSS KiB resident (a normal one $BASE_RSS KiB)"

# A stream that never ends: same, long before the 8 s timeout.
start_server endless
pipeline "max_output_tokens: 50"
timed_run
expect_rc 1 "an endless reply fails"
expect_contains "$OUT" "more than max_output_tokens 50 can produce" "an endless reply is cut"
[ "$WALL_MS" -lt 4000 ] && pass || fail "the endless reply took $WALL_MS ms"
[ $((RSS - BASE_RSS)) -lt 65536 ] && pass || fail "the endless reply took $RSS KiB resident (a normal one $BASE_RSS KiB)"

# Over budget: the stage is named once, by the engine.
start_server echo 9
pipeline "max_output_tokens: 2000"
timed_run
expect_rc 1 "over budget fails"
expect_contains "$OUT" "[FAILED] s07: over budget: llm.budget.per_run_usd is \$1.0000" "the budget message reads naturally"
expect_not_contains "$OUT" "stage s07" "the stage is not named twice"
[ ! -s port.requests ] && pass || fail "an over-budget stage called the server"

finish
