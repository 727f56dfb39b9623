#!/usr/bin/env bash
# Issue 22: what a newcomer meets before reading any docs: bare `sluice`, `sluice run` where there
# is no sluice.yml, and a failing run that must print each event once.
. "$(dirname "$0")/lib.sh"

# Bare `sluice`: an overview of the commands on stdout, exit 0 (as git, cargo and kubectl do).
run_sluice
expect_rc 0 "bare sluice exits 0"
expect_contains "$OUT" "usage: sluice [-C DIR] COMMAND" "bare sluice: usage line"
for cmd in init plan run report scan validate tokens; do
  expect_contains "$OUT" "  $cmd " "bare sluice lists $cmd"
done
expect_not_contains "$OUT$ERR" "A subcommand is required" "bare sluice: no CLI11 error"
# Options but no command: the same overview on stderr, a usage error.
mkdir -p "$E2E_TMP/empty"
run_sluice -C "$E2E_TMP/empty"
expect_rc 2 "sluice -C DIR without a command"
expect_contains "$ERR" "a command is required" "no command: says so"
expect_contains "$ERR" "  run " "no command: overview on stderr"

# No sluice.yml: say what to do.
for cmd in run plan graph; do
  run_sluice -C "$E2E_TMP/empty" "$cmd"
  expect_rc 2 "$cmd without sluice.yml"
  expect_contains "$ERR" "no sluice.yml in $E2E_TMP/empty" "$cmd: names the missing file and where"
  expect_contains "$ERR" "sluice init" "$cmd: suggests sluice init"
  expect_contains "$ERR" "-f FILE" "$cmd: suggests -f"
  expect_contains "$ERR" "-C DIR" "$cmd: suggests -C"
  expect_not_contains "$ERR" "cannot open" "$cmd: no raw open error"
done
run_sluice -C "$E2E_TMP/empty" run -f other.yml
expect_rc 2 "run -f with a missing file"
expect_contains "$ERR" "no other.yml in $E2E_TMP/empty" "run -f: names the file given"

# A skipped stage is printed once: deploy needs test and security; test fails while security
# still runs, so deploy is skipped then, and must not be skipped again when security ends.
# (All three first stages start at once with -j 4, so the order of events is fixed.)
mkdir -p "$E2E_TMP/dup"
cat > "$E2E_TMP/dup/sluice.yml" <<'YAML'
version: 1
stages:
  lint: { run: "true" }
  security: { run: "sleep 0.5" }
  test: { run: "sleep 0.1; exit 3" }
  deploy: { needs: [test, security], run: "true" }
YAML
run_sluice -C "$E2E_TMP/dup" run -j 4
expect_rc 1 "failing run"
expect_eq "$(grep -c '^\[skipped\] deploy: needs "test" which failed' <<<"$OUT")" 1 "deploy skipped once"
expect_eq "$(grep -c '^\[FAILED\] test' <<<"$OUT")" 1 "test failed once"
expect_contains "$OUT" "2 succeeded (0 cached), 1 failed, 1 skipped or cancelled" "summary counts"
finish
