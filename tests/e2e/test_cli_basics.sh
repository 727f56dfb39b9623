#!/usr/bin/env bash
. "$(dirname "$0")/lib.sh"

run_sluice --version
expect_rc 0 "--version"
expect_contains "$OUT" "sluice " "--version prints name"

run_sluice --help
expect_rc 0 "--help"

run_sluice no-such-command
expect_rc 2 "unknown command is a usage error"

finish
