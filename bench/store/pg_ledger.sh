#!/usr/bin/env bash
# Budget reservations per second and p99 at 1/8/32 clients on a throwaway PostgreSQL, sluice's
# atomic reserve next to a naive check-then-update (docs/benchmarks.md).
# usage: bench/store/pg_ledger.sh BENCH_BINARY [SECONDS_PER_POINT]
# (BENCH_BINARY: build-bench/src/store/bench_pg_ledger from cmake -DSLUICE_BENCH=ON)
set -uo pipefail
bin=$(realpath "$1"); secs="${2:-5}"
SLUICE=${SLUICE:-/bin/true}
here=$(cd "$(dirname "$0")/../../tests/e2e" && pwd)
. "$here/lib.sh"
. "$here/servers.sh"
start_postgres
"$bin" "$PG_URL" "$secs"
