#!/usr/bin/env bash
# Values of `secrets:` (and secrets the rules recognise) never appear in any output, log,
# report or record, even when a stage writes them in pieces or encodes them.
. "$(dirname "$0")/lib.sh"
cd "$E2E_TMP"
export CI=true
export DEPLOY_TOKEN='dpl-Zq8#rT3vW9!xY2'
export SHORT_ONE='abc'
b64=$(printf '%s' "$DEPLOY_TOKEN" | base64)
b64_1=$(printf 'x%s' "$DEPLOY_TOKEN" | base64)
url='dpl-Zq8%23rT3vW9%21xY2'
fake_pat="ghp_R8xK2mQ9vL4tZ7wP1nB6cH3jF5sD0gY2aE8u"

cat > sluice.yml <<'YML'
version: 1
secrets: [DEPLOY_TOKEN, SHORT_ONE]
stages:
  split:
    shell: bash
    run: |
      printf 'token=%s' "${DEPLOY_TOKEN:0:7}"; sleep 0.2; printf '%s done\n' "${DEPLOY_TOKEN:7}"
  encoded:
    shell: bash
    run: |
      printf '%s' "$DEPLOY_TOKEN" | base64
      printf 'x%s' "$DEPLOY_TOKEN" | base64
      echo "url: dpl-Zq8%23rT3vW9%21xY2"
      echo "json: \"dpl-Zq8#rT3vW9!xY2\""
  rules:
    run: echo "GITHUB_TOKEN=ghp_R8xK2mQ9vL4tZ7wP1nB6cH3jF5sD0gY2aE8u"
  fails:
    needs: [split]
    run: echo "deploying with $DEPLOY_TOKEN"; exit 4
YML

run_sluice run -j 2 --keep-going --json run.json --junit run.xml
expect_rc 1 "the failing stage fails the run"
expect_contains "$ERR" "not masking secret SHORT_ONE" "too-short secret is reported, not masked"
expect_contains "$OUT" "token=*** done" "value split across two writes is masked"
expect_contains "$OUT" "[REDACTED:github-pat]" "rule-detected token is masked"
expect_contains "$OUT" "deploying with ***" "failing stage output masked"

"$SLUICE" report --format json last > report.json 2>&1
"$SLUICE" report last > report.txt 2>&1
expect_files "no-leak inputs" run.json run.xml report.json report.txt .sluice/state.db .sluice/runs/*/*.log
expect_eq "$(ls .sluice/runs/*/*.log 2>/dev/null | wc -l)" 4 "a log for each of the 4 stages"
everything="$OUT$ERR$(cat run.json run.xml .sluice/runs/*/*.log)"
everything+="$(cat report.json report.txt)"
strings_db=$(strings .sluice/state.db .sluice/state.db-wal 2>/dev/null)
for form in "$DEPLOY_TOKEN" "$b64" "$url" "$fake_pat" 'dpl-Zq8#rT3vW9!xY2'; do
  expect_not_contains "$everything" "$form" "secret form [$form] in output, logs or reports"
  expect_not_contains "$strings_db" "$form" "secret form [$form] in the state database"
done
# The base64 form of the value at another byte alignment (a prefix byte) is masked too.
expect_not_contains "$everything" "${b64_1:4:12}" "base64 at another alignment"

# --- Regression (issue 10, 4a): a provider that echoes the API key in its error body, and a
# run: stage that prints the key. Every api_key_env value is a known value.
mkdir -p "$E2E_TMP/apikey" && cd "$E2E_TMP/apikey"
export E2E_PROVIDER_KEY='sk-e2e-9fQ2xLr7TmWb4KcZ1vNp8HsD'
python3 - "$PWD/port" <<'PY' &
import http.server, json, sys
class Echo(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        auth = self.headers.get("Authorization", "")
        body = json.dumps({"error": {"message": "Incorrect API key provided: " + auth.split(" ")[-1],
                                     "header": auth}}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Echo)
open(sys.argv[1] + ".tmp", "w").write(str(server.server_port))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
PY
server_pid=$!
for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
cat > sluice.yml <<YML
version: 1
llm:
  providers:
    echo: { kind: openai, base_url: "http://127.0.0.1:$(cat port)/v1", api_key_env: E2E_PROVIDER_KEY, model: gpt-4o-mini }
stages:
  ask:
    retries: 1
    llm: { provider: echo, prompt: "say hi", max_output_tokens: 10, retries: 0, output: { path: out.txt } }
  prints:
    run: echo "key is \$E2E_PROVIDER_KEY"
YML
run_sluice run --keep-going --json run.json --junit run.xml
kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null
expect_rc 1 "the 401 fails the llm stage"
expect_files "apikey no-leak inputs" run.json run.xml .sluice/state.db .sluice/runs/*/ask.log .sluice/runs/*/prints.log
expect_contains "$OUT$ERR" "answered HTTP 401" "the provider's error is shown"
expect_contains "$OUT" "key is ***" "a run: stage printing the api key is masked"
everything="$OUT$ERR$(cat run.json run.xml .sluice/runs/*/*.log 2>/dev/null)$(strings .sluice/state.db .sluice/state.db-wal 2>/dev/null)"
expect_contains "$everything" "Incorrect API key provided: ***" "the echoed key is masked in the error"
expect_contains "$OUT" "[retry] ask: " "the retry line is shown (its reason masked)"
expect_not_contains "$everything" "$E2E_PROVIDER_KEY" "api key in terminal, --json, --junit, logs or state.db"
cd "$E2E_TMP"

# --- Regression (issue 10, 4b): JSON escapes other encoders use: Go writes '&' as \u0026
# (terraform output -json), PHP-style encoders write '/' as \/.
mkdir -p "$E2E_TMP/json" && cd "$E2E_TMP/json"
export TF_TOKEN='tf-Ab&cd/ef-9xY2<z>'
cat > sluice.yml <<'YML'
version: 1
secrets: [TF_TOKEN]
stages:
  tf:
    run: |
      printf '{"go":"tf-Ab\\u0026cd/ef-9xY2\\u003cz\\u003e"}\n'
      printf '{"php":"tf-Ab&cd\\/ef-9xY2<z>"}\n'
YML
run_sluice run --json run.json
expect_rc 0 "json escapes run"
expect_files "json no-leak inputs" run.json .sluice/runs/*/tf.log
expect_contains "$OUT" '{"go":"***"}' "Go's \\u0026 form is masked"
expect_contains "$OUT" '{"php":"***"}' "the \\/ form is masked"
everything="$OUT$ERR$(cat run.json .sluice/runs/*/*.log)"
expect_not_contains "$everything" 'tf-Ab\u0026cd' "\\u0026 form in output or logs"
expect_not_contains "$everything" 'cd\/ef-9xY2' "\\/ form in output or logs"
cd "$E2E_TMP"

# --- Regression (issue 10, 4c): a private key printed without its END line, by a stage that
# fails or times out, was released in clear; sluice scan found nothing in such a file.
mkdir -p "$E2E_TMP/pem" && cd "$E2E_TMP/pem"
python3 - <<'PY'
import base64, random
rng = random.Random(7)
body = base64.b64encode(bytes(rng.randrange(256) for _ in range(1200))).decode()
lines = [body[i:i + 64] for i in range(0, len(body), 64)]
open("key.pem", "w").write("-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----\n")
PY
head -12 key.pem > truncated.pem
cat > sluice.yml <<'YML'
version: 1
stages:
  fails:
    run: head -12 key.pem; exit 3
  times_out:
    timeout: 1s
    run: head -12 key.pem; sleep 30
YML
run_sluice run --keep-going --json run.json --junit run.xml
expect_rc 1 "the key stages fail"
expect_files "pem no-leak inputs" run.json run.xml .sluice/state.db .sluice/runs/*/fails.log .sluice/runs/*/times_out.log
everything="$OUT$ERR$(cat run.json run.xml .sluice/runs/*/*.log)$(strings .sluice/state.db .sluice/state.db-wal 2>/dev/null)"
expect_contains "$everything" "[REDACTED:private-key" "the open key block is masked"
for n in 2 6 11 12; do
  expect_not_contains "$everything" "$(sed -n "${n}p" key.pem)" "line $n of an unterminated key in output, logs or state"
done
run_sluice scan truncated.pem
expect_rc 1 "sluice scan finds a key without its END line"
expect_contains "$OUT" "truncated.pem:1:1: private-key-rsa" "the finding names the key's rule"
cd "$E2E_TMP"

# --- Regression (issue 10, 4d): a name in secrets: whose value is in the pipeline's env: was not
# masked; a name set nowhere (a typo) was silently ignored.
mkdir -p "$E2E_TMP/env" && cd "$E2E_TMP/env"
cat > sluice.yml <<'YML'
version: 1
env: { DBPASS: "pg-Pw-7hQ2mZ9xK", SVC_API_KEY: "svc-Key-5rT9wQ2z" }
secrets: [DBPASS, STAGE_PASS]
llm:
  providers:
    svc: { kind: openai, base_url: "http://127.0.0.1:9/v1", api_key_env: SVC_API_KEY, model: gpt-4o-mini }
stages:
  db:
    env: { STAGE_PASS: "stage-Pw-4kT8vN" }
    run: echo "connecting with $DBPASS as $STAGE_PASS, key $SVC_API_KEY"
YML
run_sluice run
expect_rc 0 "pipeline env secret run"
expect_files "env no-leak inputs" .sluice/runs/*/db.log
expect_contains "$OUT" "connecting with *** as ***, key ***" "secrets and an api key set in env: are masked"
expect_not_contains "$ERR" "set nowhere" "a name set in a stage's env: is set"
for v in pg-Pw-7hQ2mZ9xK stage-Pw-4kT8vN svc-Key-5rT9wQ2z; do
  expect_not_contains "$OUT$ERR$(cat .sluice/runs/*/*.log)" "$v" "env: secret $v leaks"
done

cat > typo.yml <<'YML'
version: 1
secrets: [DEPLOY_TOKEN,
          DEPLOY_TOKNE]
stages:
  deploy:
    run: echo deploying
YML
CI=false run_sluice run -f typo.yml
expect_rc 0 "an unset secret name is only a warning outside CI"
expect_contains "$ERR" 'typo.yml:3:11: secret "DEPLOY_TOKNE" is set nowhere' "the warning points at the name"
expect_contains "$OUT" "deploying" "the run goes on outside CI"
CI=true run_sluice run -f typo.yml
expect_rc 2 "an unset secret name fails the run under CI=true"
expect_contains "$ERR" 'typo.yml:3:11: secret "DEPLOY_TOKNE" is set nowhere' "the error points at the name"
expect_not_contains "$OUT" "deploying" "nothing runs"
expect_not_contains "$ERR" "$DEPLOY_TOKEN" "the message holds no secret value"
cd "$E2E_TMP"

finish
