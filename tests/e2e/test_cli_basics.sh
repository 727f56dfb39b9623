#!/usr/bin/env bash
. "$(dirname "$0")/lib.sh"

run_sluice --version
expect_rc 0 "--version"
expect_contains "$OUT" "sluice " "--version prints name"

run_sluice --help
expect_rc 0 "--help"

run_sluice no-such-command
expect_rc 2 "unknown command is a usage error"

mkdir -p "$E2E_TMP/sub"
printf 'version: 1\nstages:\n  a: { run: "echo here=$(basename $PWD)" }\n' > "$E2E_TMP/sub/sluice.yml"
run_sluice -C "$E2E_TMP/sub" run --output stream
expect_rc 0 "-C runs in another directory"
expect_contains "$OUT" "here=sub" "-C changes the working directory"
run_sluice -C "$E2E_TMP/missing-dir" run
expect_rc 2 "-C with a missing directory"

finish
