#!/usr/bin/env bash
# Regression tests for what an adversarial afternoon broke (issue 10), named after what broke.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

# A memory cap for the bomb tests, so that a regression fails here instead of exhausting the
# machine. Sanitizer builds reserve terabytes of address space and cannot run under one.
# (grep without -q reads all of ldd's output: with -q and pipefail, ldd's SIGPIPE made the
# pipeline fail at random and the cap was set under ASan too.)
SANITIZED=0; if ldd "$SLUICE" 2>/dev/null | grep libasan >/dev/null; then SANITIZED=1; fi
cap_memory() { [ "$SANITIZED" = 1 ] || ulimit -v 4000000; }

# Nine levels of nine aliases: ~500 bytes, 9^9 nodes if expanded.
alias_bomb() { # alias_bomb INDENT
  local ind=$1 i k line
  echo "${ind}a0: &a0 [x, x, x, x, x, x, x, x, x]"
  for i in 1 2 3 4 5 6 7 8 9; do
    line="${ind}a$i: &a$i ["
    for k in 1 2 3 4 5 6 7 8 9; do line+="*a$((i - 1))"; [ $k -lt 9 ] && line+=", "; done
    echo "$line]"
  done
}

# --- YAML alias bombs: sluice plan, validate k8s, an LLM reply --------------------------------
WS="$E2E_TMP/bomb"; mkdir -p "$WS"
{ echo "version: 1"; echo "unknown_key:"; alias_bomb "  "; echo "stages: {a: {run: 'true'}}"; } > "$WS/sluice.yml"
OUT=$( (cap_memory; timeout 60 "$SLUICE" plan -f "$WS/sluice.yml") 2>&1); RC=$?; ERR=""
expect_rc 2 "yaml_alias_bomb_in_pipeline_file: plan refuses it"
expect_contains "$OUT" "sluice.yml:" "yaml_alias_bomb_in_pipeline_file: names the file"
expect_contains "$OUT" "alias bomb" "yaml_alias_bomb_in_pipeline_file: says why"

{ echo "apiVersion: v1"; echo "kind: ConfigMap"; echo "metadata: {name: x}"; echo "data:"; alias_bomb "  "; } > "$WS/cm.yaml"
SCHEMAS="$E2E_TMP/no-schemas"; mkdir -p "$SCHEMAS"  # the YAML is refused before any schema is needed
OUT=$( (cap_memory; timeout 60 "$SLUICE" validate k8s --schema-location "$SCHEMAS" "$WS/cm.yaml") 2>&1); RC=$?; ERR=""
expect_rc 1 "yaml_alias_bomb_in_manifest: a finding, not a crash"
expect_contains "$OUT" "cm.yaml:" "yaml_alias_bomb_in_manifest: names the file"
expect_contains "$OUT" "alias bomb" "yaml_alias_bomb_in_manifest: says why"
expect_not_contains "$OUT" "bad_alloc" "yaml_alias_bomb_in_manifest: no allocation failure"

# An LLM whose reply is a bomb fails its stage; the parallel stage is stopped, not orphaned.
LWS="$E2E_TMP/llmbomb"; mkdir -p "$LWS"
alias_bomb "" > "$LWS/reply.txt"
python3 "$HERE/openai_server.py" "$LWS/port" "$LWS/reply.txt" & SERVER=$!
for _ in $(seq 100); do [ -s "$LWS/port" ] && break; sleep 0.05; done
PORT=$(cat "$LWS/port")
cat > "$LWS/sluice.yml" <<YML
version: 1
llm:
  providers:
    local: { kind: openai, base_url: "http://127.0.0.1:$PORT/v1", model: gpt-4o-mini }
stages:
  gen:
    llm:
      provider: local
      prompt: "write yaml"
      output: { path: out/gen.yaml, format: yaml }
  slow:
    run: echo \$\$ > slow.pid; sleep 3
YML
OUT=$( (cap_memory; timeout 60 "$SLUICE" -C "$LWS" run -j 2 --output quiet) 2>&1); RC=$?; ERR=""
expect_rc 1 "yaml_alias_bomb_in_llm_reply: the stage fails, sluice does not abort"
expect_contains "$OUT" "alias bomb" "yaml_alias_bomb_in_llm_reply: says why"
if [ -s "$LWS/slow.pid" ] && kill -0 "$(cat "$LWS/slow.pid")" 2>/dev/null; then
  fail "yaml_alias_bomb_in_llm_reply: the parallel stage survived"; kill "$(cat "$LWS/slow.pid")"
else pass; fi
[ -e "$LWS/out/gen.yaml" ] && fail "yaml_alias_bomb_in_llm_reply: the bomb was written" || pass
kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null

# --- Stale cache hits --------------------------------------------------------------------------
# (a) gen is not cached and rewrites version.txt; pkg needs it and is cached on its own inputs.
C="$E2E_TMP/stale"; mkdir -p "$C/src"; echo code > "$C/src/main.c"; echo 1 > "$C/VERSION"
cat > "$C/sluice.yml" <<'YML'
version: 1
stages:
  gen:
    run: cp VERSION version.txt
    outputs: [version.txt]
  pkg:
    needs: [gen]
    run: cat version.txt src/main.c > pkg.txt
    inputs: ["src/*.c"]
    outputs: [pkg.txt]
YML
run_sluice -C "$C" run --output quiet
expect_rc 0 "stale_hit_after_uncached_need_changed: first run"
echo 2 > "$C/VERSION"
run_sluice -C "$C" run
expect_rc 0 "stale_hit_after_uncached_need_changed: second run"
expect_not_contains "$OUT" "[cached] pkg" "stale_hit_after_uncached_need_changed: pkg is not a hit"
expect_eq "$(head -1 "$C/pkg.txt")" "2" "stale_hit_after_uncached_need_changed: pkg has the new version"
run_sluice -C "$C" run
expect_contains "$OUT" "[cached] pkg" "unchanged_need_outputs_still_hit: gen reproduced its output"

# (b) inputs outside the workspace are refused at load, with file:line:col.
cat > "$C/bad.yml" <<'YML'
version: 1
stages:
  a:
    run: "true"
    inputs: ["/abs/path/*.c", "../outside/*", "ok/*.c"]
YML
run_sluice plan -f "$C/bad.yml"
expect_rc 2 "inputs_outside_workspace_refused"
expect_contains "$ERR" 'bad.yml:5:15: input "/abs/path/*.c" is an absolute path' "absolute input named with line:col"
expect_contains "$ERR" 'bad.yml:5:32: input "../outside/*" leaves the workspace' "dotdot input named with line:col"
expect_not_contains "$ERR" '"ok/*.c"' "a good input is not reported"

# (c) a corrupted or missing CAS blob: said, not silent; the stage runs and the entry heals.
K="$E2E_TMP/cas"; mkdir -p "$K"; echo in > "$K/in.txt"
cat > "$K/sluice.yml" <<'YML'
version: 1
stages:
  build:
    run: cp in.txt out.txt
    inputs: [in.txt]
    outputs: [out.txt]
YML
run_sluice -C "$K" run --output quiet
blob=$(find "$K/.sluice/cas" -type f | head -1)
echo garbage > "$blob"; rm -f "$K/out.txt"
run_sluice -C "$K" run
expect_rc 0 "corrupt_cas_blob: the stage runs"
expect_contains "$OUT" "[warning] build: the cache entry of this stage is damaged" "corrupt_cas_blob: said"
expect_contains "$OUT" "corrupted" "corrupt_cas_blob: says what"
expect_eq "$(cat "$K/out.txt")" "in" "corrupt_cas_blob: output is right"
rm -f "$K/out.txt"
run_sluice -C "$K" run
expect_contains "$OUT" "[cached] build" "corrupt_cas_blob: the entry was stored anew"
expect_eq "$(cat "$K/out.txt")" "in" "corrupt_cas_blob: restored content is right"
find "$K/.sluice/cas" -type f -delete; rm -f "$K/out.txt"
run_sluice -C "$K" run
expect_contains "$OUT" "is missing from" "missing_cas_blob: said"

# --- Writes outside the workspace through symlinks ----------------------------------------------
L="$E2E_TMP/link"; mkdir -p "$L/ws" "$L/outside"; ln -s ../outside "$L/ws/link"; echo x > "$L/ws/in.txt"
cat > "$L/ws/sluice.yml" <<'YML'
version: 1
stages:
  make:
    run: '[ ! -L real ] && mkdir -p real && echo data > real/sym.txt'
    inputs: [in.txt]
    outputs: [real/sym.txt]
  wd:
    run: pwd > /dev/null; touch escaped.txt
    working_directory: link
YML
run_sluice -C "$L/ws" run --keep-going --output quiet
expect_rc 1 "symlinked_working_directory: the stage fails"
expect_contains "$OUT" "leads outside the workspace through a symlink" "symlinked_working_directory: says why"
[ -e "$L/outside/escaped.txt" ] && fail "symlinked_working_directory: ran outside the workspace" || pass
# A restore through a directory symlink planted where an output's directory was.
rm -rf "$L/ws/real"; ln -s ../outside "$L/ws/real"
run_sluice -C "$L/ws" run --only make
[ -e "$L/outside/sym.txt" ] && fail "cache_restore_through_symlink: wrote outside the workspace" || pass
expect_contains "$OUT" "leads outside the workspace through a symlink" "cache_restore_through_symlink: says why"

# --- Memory on big output: block mode prints from the log -------------------------------------
B="$E2E_TMP/big"; mkdir -p "$B"
cat > "$B/sluice.yml" <<'YML'
version: 1
stages:
  loud:
    run: head -c 200000000 /dev/zero | tr '\0' 'a' | fold -w 100; echo; echo last-line
YML
if [ "$SANITIZED" = 1 ]; then
  pass  # resident size under ASan says nothing about sluice
else
  /usr/bin/time -f "%M" -o "$B/rss" "$SLUICE" -C "$B" run --output block > "$B/out.txt" 2>"$B/err"; RC=$?
  expect_rc 0 "big_output_block_mode: runs"
  rss=$(tail -1 "$B/rss")
  if [ "$rss" -lt 100000 ]; then pass; else fail "big_output_block_mode: ${rss} KB resident for 200 MB of output"; fi
  expect_eq "$(grep -c '^  | a' "$B/out.txt")" "2000000" "big_output_block_mode: every line printed"
  expect_contains "$(tail -3 "$B/out.txt")" "  | last-line" "big_output_block_mode: to the end"
fi

# --- Messages ----------------------------------------------------------------------------------
M="$E2E_TMP/msg"; mkdir -p "$M"
printf 'version: 1\nstages:\n  a:\n    run:\n' > "$M/sluice.yml"
run_sluice plan -f "$M/sluice.yml"
expect_rc 2 "empty_run_value"
expect_contains "$ERR" 'sluice.yml:4:5: "run" must be a string' "empty_run_value: file:line:col"
printf 'version: "1"\nstages:\n  a:\n    run: "true"\n' > "$M/sluice.yml"
run_sluice plan -f "$M/sluice.yml"
expect_rc 0 "quoted_version_1_is_version_1"
run_sluice run -C "$M" --output quiet
expect_rc 0 "dash_C_after_the_subcommand"
run_sluice teleport now
expect_rc 2 "unknown_command_named"
expect_contains "$ERR" 'unknown command "teleport"' "unknown_command_named: says which"
run_sluice rnu
expect_contains "$ERR" 'did you mean "run"' "unknown_command_named: suggests"

# --- Silent fallbacks (issue 20, item 6): tokenizer rank files that cannot be loaded -------------
R="$E2E_TMP/ranks"; mkdir -p "$R/empty-ranks"
echo "ok" > "$R/reply.txt"
python3 "$HERE/openai_server.py" "$R/port" "$R/reply.txt" & SERVER=$!
for _ in $(seq 100); do [ -s "$R/port" ] && break; sleep 0.05; done
cat > "$R/sluice.yml" <<YML
version: 1
llm:
  providers:
    local: { kind: openai, base_url: "http://127.0.0.1:$(cat "$R/port")/v1", model: gpt-4o-mini }
stages:
  ask:
    llm: { provider: local, prompt: "say ok" }
YML
OUT=$(SLUICE_TIKTOKEN_DIR="$R/empty-ranks" "$SLUICE" -C "$R" run --output quiet 2>&1); RC=$?; ERR=""
expect_rc 0 "rank_files_missing: the stage still runs"
expect_contains "$OUT" "sluice: warning: the tokenizer's rank files could not be loaded" "rank_files_missing: said loudly"
expect_contains "$OUT" "approximation" "rank_files_missing: says what it means"
OUT=$("$SLUICE" -C "$R" run --output quiet 2>&1); RC=$?
expect_not_contains "$OUT" "rank files could not be loaded" "rank_files_present: no warning"
kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null

finish
