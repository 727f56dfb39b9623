#!/usr/bin/env bash
# sluice doctor: each check against the real thing it checks (rank files hashed, directories
# written, SQLite databases opened, a real PostgreSQL when this machine has one, a TCP listener
# that is not one, PATH searched), exit 0 with nothing wrong, 1 with a problem and what to do,
# --json, and secrets (API key values, the URL's password) never printed.
. "$(dirname "$0")/lib.sh"
unset SLUICE_STATE_URL SLUICE_PROVIDER

ws="$E2E_TMP/ws"
mkdir -p "$ws"
cd "$ws" || exit 1
json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); $1" 2>&1; }

# --- all good: no pipeline here; rank files where the rest of the suite finds them ----------
run_sluice doctor
expect_rc 0 "doctor in an empty directory"
expect_contains "$OUT" "ranks.o200k_base" "names the rank check"
expect_contains "$OUT" "verified (sha256 446a9538cb6c348e" "o200k_base hashed and verified"
expect_contains "$OUT" "not created yet; a new one with schema version" "a new SQLite database works here"
expect_contains "$OUT" "no sluice.yml in" "pipeline checks skipped without a pipeline"
[ ! -e "$ws/.sluice" ] && pass || fail "doctor created .sluice"
[ -z "$(ls -A "$ws")" ] && pass || fail "doctor left files behind: $(ls -A "$ws")"
run_sluice doctor --json
expect_rc 0 "doctor --json"
expect_eq "$(json_field 'print(d["ok"], d["problems"], {c["name"] for c in d["checks"]} >= {"cache.user","cache.workspace","kernel.openat2","kernel.pidfd_open","kernel.cgroup_v2","ranks.cl100k_base","ranks.o200k_base","state","tools.git"})' <<<"$OUT")" \
  "True 0 True" "--json: ok, no problems, every check named"

# --- rank files: missing, then corrupted ------------------------------------------------
mkdir -p "$E2E_TMP/noranks"
OUT=$(SLUICE_TIKTOKEN_DIR="$E2E_TMP/noranks" "$SLUICE" doctor 2>&1); RC=$?; ERR=""
expect_rc 1 "missing rank files are a problem"
expect_contains "$OUT" "FAIL  ranks.o200k_base" "the missing file marked FAIL"
expect_contains "$OUT" "scripts/fetch-ranks.sh" "says how to get the rank files"
expect_contains "$OUT" "2 problems" "summary counts the two missing files"
ranks="$(dirname "$(SLUICE_TIKTOKEN_DIR= "$SLUICE" doctor --json | json_field 'print([c["message"] for c in d["checks"] if c["name"]=="ranks.cl100k_base"][0].split()[0])')")"
mkdir -p "$E2E_TMP/badranks"
cp "$ranks/cl100k_base.tiktoken" "$ranks/o200k_base.tiktoken" "$E2E_TMP/badranks/"
printf 'x' >>"$E2E_TMP/badranks/cl100k_base.tiktoken"
OUT=$(SLUICE_TIKTOKEN_DIR="$E2E_TMP/badranks" "$SLUICE" doctor --json); RC=$?
expect_rc 1 "a corrupted rank file is a problem"
expect_eq "$(json_field 'print([(c["status"], "expected 223921b7" in c["message"]) for c in d["checks"] if c["name"].startswith("ranks.")])' <<<"$OUT")" \
  "[('fail', True), ('ok', False)]" "the corrupted file fails its sha256, the other passes"

# --- cache directories ---------------------------------------------------------------------
touch "$E2E_TMP/afile"
OUT=$(SLUICE_CACHE_DIR="$E2E_TMP/afile/cache" "$SLUICE" doctor 2>&1); RC=$?
expect_rc 1 "an unwritable user cache is a problem"
expect_contains "$OUT" "FAIL  cache.user" "cache.user marked FAIL"
expect_contains "$OUT" "set SLUICE_CACHE_DIR" "says what to do about the cache"

# --- provider keys, by name only -----------------------------------------------------------
cat >"$ws/sluice.yml" <<'EOF'
version: 1
llm:
  providers:
    main: { kind: openai, base_url: "http://127.0.0.1:9", api_key_env: DOCTOR_TEST_KEY, model: gpt-4o-mini }
    tape: { kind: replay, cassettes: cassettes, model: gpt-4o-mini }
stages:
  review:
    llm: { provider: main, prompt: "hi", output: { path: out.txt } }
  history:
    run: git log -1 --format=%H
EOF
OUT=$(env -u DOCTOR_TEST_KEY "$SLUICE" doctor 2>&1); RC=$?
expect_rc 1 "an unset API key is a problem"
expect_contains "$OUT" "FAIL  keys.main" "keys.main marked FAIL"
expect_contains "$OUT" "DOCTOR_TEST_KEY (api_key_env of provider \"main\", used by review) is not set" "names the variable"
expect_contains "$OUT" "export DOCTOR_TEST_KEY=..." "says how to set it"
secret="sk-doctor-$RANDOM-do-not-print"
OUT=$(DOCTOR_TEST_KEY="$secret" "$SLUICE" doctor 2>&1); RC=$?
expect_rc 0 "the key set: all good"
expect_contains "$OUT" "DOCTOR_TEST_KEY (provider \"main\", used by review) is set in the environment" "key found"
expect_not_contains "$OUT" "$secret" "the key's value never printed"
OUT=$(DOCTOR_TEST_KEY="$secret" "$SLUICE" doctor --json 2>&1)
expect_not_contains "$OUT" "$secret" "nor in --json"
OUT=$(env -u DOCTOR_TEST_KEY "$SLUICE" doctor --provider tape 2>&1); RC=$?
expect_rc 0 "--provider tape (replay) needs no key"
expect_contains "$OUT" "provider \"tape\" replays recorded answers" "the override's provider is checked"

# --- tools: git needed by a stage, and missing from PATH -----------------------------------
mkdir -p "$E2E_TMP/bin"
ln -s "$(command -v bash)" "$E2E_TMP/bin/bash"
OUT=$(DOCTOR_TEST_KEY=x PATH="$E2E_TMP/bin" "$SLUICE" doctor 2>&1); RC=$?
expect_rc 1 "git missing while a stage runs it"
expect_contains "$OUT" "FAIL  tools.git" "tools.git marked FAIL"
expect_contains "$OUT" "stage history runs it" "names the stage that needs git"
expect_contains "$OUT" "ok    tools.shell" "bash still found"
rm "$ws/sluice.yml"
OUT=$(PATH="$E2E_TMP/bin" "$SLUICE" doctor 2>&1); RC=$?
expect_rc 0 "git missing but no stage needs it: a warning only"
expect_contains "$OUT" "warn  tools.git" "tools.git a warning"

# --- an invalid pipeline ------------------------------------------------------------------------
printf 'version: 1\nstages:\n  a: { run: "true", nedds: [b] }\n' >"$ws/sluice.yml"
run_sluice doctor
expect_rc 1 "an invalid pipeline is a problem"
expect_contains "$OUT" "sluice.yml:3:" "the first error with its position"
expect_contains "$OUT" "sluice plan lists every error" "says where to see them all"
rm "$ws/sluice.yml"

# --- state: an existing SQLite database, then one from a newer sluice -----------------------
printf 'version: 1\nstages:\n  a: { run: "true" }\n' >"$ws/sluice.yml"
"$SLUICE" run >/dev/null 2>&1 || fail "sluice run to create the state database"
run_sluice doctor
expect_rc 0 "doctor with a real state database"
expect_contains "$OUT" "SQLite $ws/.sluice/state.db (from default): opened, schema version" "existing database opened"
sqlite3 "$ws/.sluice/state.db" "PRAGMA user_version=999" && pass || fail "set user_version"
run_sluice doctor
expect_rc 1 "a database newer than this sluice is a problem"
expect_contains "$OUT" "FAIL  state" "state marked FAIL"
rm -rf "$ws/.sluice" "$ws/sluice.yml"

# --- state: PostgreSQL URLs (password masked) ----------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
OUT=$(SLUICE_STATE_URL="postgres://bob:hunter2secret@127.0.0.1:$port/ci" "$SLUICE" doctor 2>&1); RC=$?
expect_rc 1 "an unreachable PostgreSQL is a problem"
expect_contains "$OUT" "PostgreSQL postgres://bob:***@127.0.0.1:$port/ci (from SLUICE_STATE_URL) is not reachable at 127.0.0.1:$port" "says not reachable"
expect_contains "$OUT" "start the server, or correct the URL in SLUICE_STATE_URL" "says what to do"
expect_not_contains "$OUT" "hunter2secret" "the password never printed"
# A listener that is not PostgreSQL: connecting is not enough.
python3 - "$port" >"$E2E_TMP/http.log" 2>&1 <<'EOF' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4)
while True:
    c, _ = s.accept(); c.recv(64); c.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n"); c.close()
EOF
listener=$!
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break; sleep 0.1; done
run_sluice doctor --state "postgresql://127.0.0.1:$port/ci"
expect_rc 1 "a listener that is not PostgreSQL"
expect_contains "$OUT" "(from --state) is not reachable at 127.0.0.1:$port: it answered, but not as a PostgreSQL server does" "protocol checked"
kill "$listener"; wait "$listener" 2>/dev/null
printf 'state: mysql://db/x\n' >"$ws/sluice.yml"
run_sluice doctor
expect_rc 1 "an unknown backend"
expect_contains "$OUT" "unknown state backend \"mysql://db/x\" (from sluice.yml state:)" "state: read from the pipeline file"
rm "$ws/sluice.yml"

# A real PostgreSQL server, when this machine has one (Debian's postgresql-15; as its user).
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)
if [ -n "$pgbin" ] && [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
  pgdir=$(mktemp -d /tmp/sluice-doctor-pg.XXXXXX); chown postgres "$pgdir"
  pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  if runuser -u postgres -- "$pgbin/initdb" -D "$pgdir/data" -A trust >/dev/null 2>&1 &&
     runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
       -o "-p $pgport -k $pgdir -c listen_addresses=127.0.0.1" start >/dev/null 2>&1; then
    run_sluice doctor --state "postgres://postgres:pw@127.0.0.1:$pgport/postgres"
    expect_rc 0 "a real PostgreSQL over TCP"
    expect_contains "$OUT" "a PostgreSQL server answers at 127.0.0.1:$pgport" "real server answers"
    run_sluice doctor --state "postgres:///postgres?host=$pgdir&port=$pgport"
    expect_rc 0 "a real PostgreSQL over its unix socket"
    expect_contains "$OUT" "answers at $pgdir/.s.PGSQL.$pgport" "unix socket"
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1
  else
    fail "could not start a PostgreSQL server from $pgbin: $(tail -5 "$pgdir/log" 2>/dev/null)"
  fi
  rm -rf "$pgdir"
else
  echo "note: no PostgreSQL server binaries here; the real-server case is not run"
fi
finish
