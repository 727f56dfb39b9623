#!/usr/bin/env bash
# The remote step cache (Bazel HTTP protocol) against a real nginx WebDAV server: two workspaces
# in different directories share it, a corrupted blob is detected, a stopped server costs only
# misses, HMAC-signed results, read-only runs, and ccache sharing the same server.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/servers.sh"
start_nginx_cache

COUNTER="$E2E_TMP/ran"
export COUNTER
unset SLUICE_CACHE_WRITE SLUICE_CACHE_REMOTE SLUICE_CACHE_HMAC_KEY SLUICE_CACHE_TOKEN

make_ws() { # make_ws DIR [URL]
  mkdir -p "$1/src"
  printf 'hello\n' >"$1/src/a.txt"
  printf 'world\n' >"$1/src/b.txt"
  cat >"$1/sluice.yml" <<EOF
version: 1
cache:
  remote: ${2:-$CACHE_URL/sluice}
stages:
  build:
    inputs: [src/*.txt]
    outputs: [out/joined.txt, out/bin.sh]
    run: |
      mkdir -p out
      cat src/*.txt > out/joined.txt
      printf '#!/bin/sh\necho built\n' > out/bin.sh
      chmod 755 out/bin.sh
      echo "build \$PWD" >> "\$COUNTER"
  package:
    needs: [build]
    inputs: [out/joined.txt]
    outputs: [out/package.txt]
    run: |
      wc -c < out/joined.txt > out/package.txt
      echo "package \$PWD" >> "\$COUNTER"
EOF
}
runs() { [ -f "$COUNTER" ] && wc -l <"$COUNTER" | tr -d ' ' || echo 0; }

# 1. The first runner writes, the second (another directory, nothing local) runs nothing.
make_ws "$E2E_TMP/w1"
SLUICE_CACHE_WRITE=1 run_sluice -C "$E2E_TMP/w1" run
expect_rc 0 "first runner"
expect_eq "$(runs)" 2 "first runner runs both stages"
expect_contains "$ERR" "5 uploaded" "the first runner uploads 3 blobs and 2 action results"
expect_eq "$(find "$NGINX_DIR/data/sluice/ac" -type f 2>/dev/null | wc -l)" 2 "two action results on the server"

make_ws "$E2E_TMP/w2"
run_sluice -C "$E2E_TMP/w2" run
expect_rc 0 "second runner"
expect_eq "$(runs)" 2 "second runner runs nothing"
expect_contains "$OUT" "2 succeeded (2 cached)" "second runner: both stages restored"
expect_contains "$ERR" "2 hits" "remote hits reported"
for f in out/joined.txt out/bin.sh out/package.txt; do
  cmp -s "$E2E_TMP/w1/$f" "$E2E_TMP/w2/$f" && pass || fail "$f differs between the runners"
done
[ -x "$E2E_TMP/w2/out/bin.sh" ] && pass || fail "the restored script lost its mode"
# A read-only runner uploads nothing.
expect_not_contains "$ERR" "uploaded" "a runner without remote_write does not upload"

# 2. A corrupted blob on the server is detected: the stage runs again, the output is right.
blob=$(find "$NGINX_DIR/data/sluice/cas" -type f | while read -r f; do
  [ "$(cat "$f")" = "$(printf 'hello\nworld')" ] && echo "$f"; done | head -1)
[ -z "$blob" ] && blob=$(grep -rl "world" "$NGINX_DIR/data/sluice/cas" | head -1)
[ -n "$blob" ] && pass || fail "cannot find the joined.txt blob on the server"
printf 'tampered\n' >"$blob"
make_ws "$E2E_TMP/w3"
run_sluice -C "$E2E_TMP/w3" run
expect_rc 0 "runner after corruption"
expect_contains "$OUT$ERR" "does not match its SHA-256" "the corrupted blob is named"
expect_eq "$(grep -c "^build $E2E_TMP/w3" "$COUNTER")" 1 "the stage with the corrupted blob ran again"
cmp -s "$E2E_TMP/w1/out/joined.txt" "$E2E_TMP/w3/out/joined.txt" && pass || fail "w3 output wrong after corruption"
expect_not_contains "$(cat "$E2E_TMP/w3/out/joined.txt")" "tampered" "tampered content never restored"
# A writer that has the right content repairs the server's copy (HEAD is not trusted for it).
make_ws "$E2E_TMP/w3b"
SLUICE_CACHE_WRITE=1 run_sluice -C "$E2E_TMP/w3b" run
expect_rc 0 "writer after corruption"
expect_eq "$(cat "$blob")" "$(cat "$E2E_TMP/w1/out/joined.txt")" "the corrupted blob was overwritten"

# 3. Signed action results: a reader with another key refuses them; the right key hits.
make_ws "$E2E_TMP/s1" "$CACHE_URL/signed/sluice"
SLUICE_CACHE_WRITE=1 SLUICE_CACHE_HMAC_KEY=k-one run_sluice -C "$E2E_TMP/s1" run
expect_rc 0 "signed writer"
before=$(runs)
make_ws "$E2E_TMP/s2" "$CACHE_URL/signed/sluice"
SLUICE_CACHE_HMAC_KEY=k-two run_sluice -C "$E2E_TMP/s2" run
expect_rc 0 "reader with the wrong key"
expect_contains "$OUT$ERR" "HMAC signature" "a wrong signature is named"
expect_eq "$(runs)" $((before + 2)) "wrong key: the stages ran"
make_ws "$E2E_TMP/s3" "$CACHE_URL/signed/sluice"
SLUICE_CACHE_HMAC_KEY=k-one run_sluice -C "$E2E_TMP/s3" run
expect_rc 0 "reader with the right key"
expect_eq "$(runs)" $((before + 2)) "right key: nothing ran"

# 4. ccache (layout=bazel) and sluice share the server without interfering.
if command -v ccache >/dev/null && command -v cc >/dev/null; then
  mkdir -p "$E2E_TMP/cc"
  printf 'int main(void) { return 0; }\n' >"$E2E_TMP/cc/hello.c"
  cc_remote="$CACHE_URL/|layout=bazel"
  for n in 1 2; do
    (cd "$E2E_TMP/cc" && CCACHE_DIR="$E2E_TMP/cc/ccache$n" CCACHE_REMOTE_STORAGE="$cc_remote" \
       ccache cc -c hello.c -o hello$n.o)
  done
  stats=$(CCACHE_DIR="$E2E_TMP/cc/ccache2" ccache --print-stats 2>/dev/null)
  expect_contains "$stats" "remote_storage_hit	1" "ccache: the second cache dir hits the shared server"
  make_ws "$E2E_TMP/w4" "$CACHE_URL"
  SLUICE_CACHE_WRITE=1 run_sluice -C "$E2E_TMP/w4" run
  before=$(runs)
  make_ws "$E2E_TMP/w5" "$CACHE_URL"
  run_sluice -C "$E2E_TMP/w5" run
  expect_eq "$(runs)" "$before" "sluice hits on the server ccache also uses"
  (cd "$E2E_TMP/cc" && CCACHE_DIR="$E2E_TMP/cc/ccache3" CCACHE_REMOTE_STORAGE="$cc_remote" ccache cc -c hello.c -o hello3.o)
  stats=$(CCACHE_DIR="$E2E_TMP/cc/ccache3" ccache --print-stats 2>/dev/null)
  expect_contains "$stats" "remote_storage_hit	1" "ccache still hits after sluice wrote"
else
  echo "note: ccache or cc missing; interop part not run"
fi

# 5. The server stops in the middle of a run: later lookups and uploads fail, the run does not.
mkdir -p "$E2E_TMP/w6/src"
printf 'x\n' >"$E2E_TMP/w6/src/x.txt"
cat >"$E2E_TMP/w6/sluice.yml" <<EOF
version: 1
cache: { remote: $CACHE_URL/mid, remote_write: true }
stages:
  first:
    inputs: [src/x.txt]
    outputs: [one.txt]
    run: cp src/x.txt one.txt
  stop-server:
    needs: [first]
    run: kill $NGINX_PID; while kill -0 $NGINX_PID 2>/dev/null; do sleep 0.1; done
  after:
    needs: [stop-server]
    inputs: [one.txt]
    outputs: [two.txt]
    run: cp one.txt two.txt
EOF
start=$(date +%s)
run_sluice -C "$E2E_TMP/w6" run
expect_rc 0 "a stopped server never fails the run"
expect_eq "$(cat "$E2E_TMP/w6/two.txt" 2>/dev/null)" "x" "stages after the stop ran"
expect_contains "$ERR" "remote cache $CACHE_URL/mid" "the summary names the cache"
elapsed=$(( $(date +%s) - start ))
[ "$elapsed" -lt 20 ] && pass || fail "a stopped server slowed the run to ${elapsed}s"

# 6. llm: { cache: shared }: a second runner with the same prompt does not call the provider.
start_nginx_cache  # the previous one was stopped above
python3 "$SLUICE_SOURCE_DIR/tests/e2e/llm_server.py" "$E2E_TMP/llm-port" script "$E2E_TMP/reply.json" &
SERVER_PIDS+=("$!")
echo '{"text": "shared answer", "stream": false}' >"$E2E_TMP/reply.json"
for _ in $(seq 100); do [ -s "$E2E_TMP/llm-port" ] && break; sleep 0.05; done
for w in l1 l2; do
  mkdir -p "$E2E_TMP/$w"
  cat >"$E2E_TMP/$w/sluice.yml" <<EOF
version: 1
cache: { remote: $CACHE_URL/llm }
llm:
  cache: shared
  providers:
    default: { kind: openai, base_url: "http://127.0.0.1:$(cat "$E2E_TMP/llm-port")/v1", model: gpt-4o-mini }
stages:
  ask: { llm: { prompt: "name one colour", max_output_tokens: 10, output: { path: answer.txt } } }
EOF
done
SLUICE_CACHE_WRITE=1 run_sluice -C "$E2E_TMP/l1" run
expect_rc 0 "llm runner 1"
run_sluice -C "$E2E_TMP/l2" run
expect_rc 0 "llm runner 2"
expect_eq "$(wc -l <"$E2E_TMP/llm-port.requests")" 1 "the second runner's identical call came from the shared cache"
expect_eq "$(cat "$E2E_TMP/l2/answer.txt" 2>/dev/null)" "shared answer" "the shared reply was written"
sed -i 's/name one colour/name two colours/' "$E2E_TMP/l2/sluice.yml"
run_sluice -C "$E2E_TMP/l2" run
expect_eq "$(wc -l <"$E2E_TMP/llm-port.requests")" 2 "another prompt is another call"

# 7. Entries written elsewhere are not trusted: no setuid bit, malformed ones are misses.
make_ws "$E2E_TMP/m1" "$CACHE_URL/modes"
SLUICE_CACHE_WRITE=1 run_sluice -C "$E2E_TMP/m1" run
expect_rc 0 "mode writer"
python3 - "$NGINX_DIR/data/modes/ac" <<'PY'
import json, os, sys
for name in os.listdir(sys.argv[1]):
    path = os.path.join(sys.argv[1], name)
    entry = json.load(open(path))
    for o in entry["outputs"]:
        o["mode"] = 0o4777
    json.dump(entry, open(path, "w"))
PY
make_ws "$E2E_TMP/m2" "$CACHE_URL/modes"
run_sluice -C "$E2E_TMP/m2" run
expect_rc 0 "mode reader"
expect_contains "$OUT" "(2 cached)" "the tampered-mode entries still restore"
expect_eq "$(stat -c %a "$E2E_TMP/m2/out/bin.sh")" "777" "a remote entry cannot make a setuid file"
for f in "$NGINX_DIR"/data/modes/ac/*; do echo '{"outputs": [{"blob": 1, "path": ["x"], "mode": "rwx"}]}' >"$f"; done
before=$(runs)
make_ws "$E2E_TMP/m3" "$CACHE_URL/modes"
run_sluice -C "$E2E_TMP/m3" run
expect_rc 0 "malformed entries are misses"
expect_eq "$(runs)" $((before + 2)) "malformed entries: the stages ran"

# 8. Basic auth from the environment; without it every request is refused and says so.
make_ws "$E2E_TMP/a1" "$CACHE_URL/private"
SLUICE_CACHE_WRITE=1 SLUICE_CACHE_USER=sluice SLUICE_CACHE_PASSWORD=cache-pw run_sluice -C "$E2E_TMP/a1" run
expect_rc 0 "authenticated writer"
expect_contains "$ERR" "5 uploaded" "authenticated uploads"
before=$(runs)
make_ws "$E2E_TMP/a2" "$CACHE_URL/private"
SLUICE_CACHE_USER=sluice SLUICE_CACHE_PASSWORD=cache-pw run_sluice -C "$E2E_TMP/a2" run
expect_eq "$(runs)" "$before" "authenticated reader restores everything"
expect_not_contains "$OUT$ERR" "cache-pw" "the password never shows"
make_ws "$E2E_TMP/a3" "$CACHE_URL/private"
run_sluice -C "$E2E_TMP/a3" run
expect_rc 0 "a refused reader still runs"
expect_contains "$ERR" "failed request" "refusals are reported, not passed off as misses"

# 9. Bad configuration is an error before anything runs; a password in the URL is masked.
make_ws "$E2E_TMP/w7" "ftp://user:hunter2@127.0.0.1:1"
run_sluice -C "$E2E_TMP/w7" run
expect_rc 2 "ftp:// is refused"
expect_not_contains "$OUT$ERR" "hunter2" "the password never shows"
finish
