# Shared helpers for end-to-end tests. Source it: . "$(dirname "$0")/lib.sh"
# Each test gets a scratch directory; failures print what was expected and what came out.
set -uo pipefail
: "${SLUICE:?SLUICE must point at the sluice binary}"
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sluice-e2e.XXXXXX")
SERVER_PID=""
trap 'stop_llm_server; rm -rf "$E2E_TMP"' EXIT

# start_llm_server ARGS...: tests/e2e/llm_server.py ARGS on a free 127.0.0.1 port (sets PORT and
# SERVER_PID), replacing one this test started before; stopped by PID when the test exits.
start_llm_server() {
  stop_llm_server
  rm -f "$E2E_TMP/port" "$E2E_TMP/port.requests"
  python3 "$SLUICE_SOURCE_DIR/tests/e2e/llm_server.py" "$E2E_TMP/port" "$@" &
  SERVER_PID=$!
  for _ in $(seq 100); do [ -s "$E2E_TMP/port" ] && break; sleep 0.05; done
  PORT=$(cat "$E2E_TMP/port")
}
stop_llm_server() {
  if [ -n "${SERVER_PID:-}" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  SERVER_PID=""
}
E2E_FAILS=0
E2E_PASSES=0

# Sanitizer builds: a report must fail the test even where the test expects exit code 1 (a
# sanitizer's default exit code). Reports go to files under $E2E_TMP, checked by finish(),
# and a sanitizer error exits 86, which no sluice command uses.
if [ "${SLUICE_SANITIZED:-0}" = 1 ]; then
  export ASAN_OPTIONS="exitcode=86:halt_on_error=1:log_path=$E2E_TMP/sanitizer${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
  export UBSAN_OPTIONS="halt_on_error=1:exitcode=86:print_stacktrace=1:log_path=$E2E_TMP/sanitizer${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
fi

# require_shared DIR: the test needs reference data from ../shared. Absent on a developer
# machine: the script skips (exit 0); absent under CI=true: it fails, since a CI run that
# skipped it would claim what nothing checked.
require_shared() {
  if [ -d "$1" ]; then echo "running against $1"; return 0; fi
  case "${CI:-}" in
    ""|0|false) echo "SKIP: $1 not found (set SLUICE_SHARED_DIR)"; exit 0 ;;
    *) echo "FAIL: $1 not found, and CI=true: the reference data must be there" >&2; exit 1 ;;
  esac
}

fail() { echo "FAIL: $*" >&2; E2E_FAILS=$((E2E_FAILS + 1)); }
pass() { E2E_PASSES=$((E2E_PASSES + 1)); }

# run_sluice ARGS...: runs sluice, leaving stdout in $OUT, stderr in $ERR, exit code in $RC.
run_sluice() {
  OUT=$("$SLUICE" "$@" 2>"$E2E_TMP/.stderr"); RC=$?
  ERR=$(cat "$E2E_TMP/.stderr")
}

expect_rc() { # expect_rc WANT LABEL
  if [ "$RC" -eq 86 ] && [ "${SLUICE_SANITIZED:-0}" = 1 ]; then
    fail "$2: exit code 86: a sanitizer report (see the end of this test's output)"
  elif [ "$RC" -eq "$1" ]; then pass; else fail "$2: exit code $RC, want $1; stdout: $OUT; stderr: $ERR"; fi
}
expect_contains() { # expect_contains HAYSTACK NEEDLE LABEL
  if [[ "$1" == *"$2"* ]]; then pass; else fail "$3: output lacks [$2]; got: $1"; fi
}
expect_not_contains() {
  if [[ "$1" != *"$2"* ]]; then pass; else fail "$3: output contains [$2]; got: $1"; fi
}
expect_eq() { # expect_eq GOT WANT LABEL
  if [ "$1" == "$2" ]; then pass; else fail "$3: got [$1], want [$2]"; fi
}
# expect_files LABEL PATH...: each path exists and is not empty. Call it before a check that
# something is NOT in those files: a file that was never written passes such a check vacuously.
# An unmatched glob arrives as the literal pattern and fails here.
expect_files() {
  local label=$1 f
  shift
  [ $# -gt 0 ] || { fail "$label: no file given"; return; }
  for f in "$@"; do
    if [ -s "$f" ]; then pass; else fail "$label: $f is missing or empty, so a check of its content proves nothing"; fi
  done
}

finish() {
  local report
  for report in "$E2E_TMP"/sanitizer.*; do
    [ -e "$report" ] || continue
    fail "sanitizer report $(basename "$report"):"; head -40 "$report" >&2
  done
  echo "$E2E_PASSES passed, $E2E_FAILS failed"
  [ "$E2E_FAILS" -eq 0 ]
}
