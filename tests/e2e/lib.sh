# Shared helpers for end-to-end tests. Source it: . "$(dirname "$0")/lib.sh"
# Each test gets a scratch directory; failures print what was expected and what came out.
set -uo pipefail
: "${SLUICE:?SLUICE must point at the sluice binary}"
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sluice-e2e.XXXXXX")
trap 'rm -rf "$E2E_TMP"' EXIT
E2E_FAILS=0
E2E_PASSES=0

fail() { echo "FAIL: $*" >&2; E2E_FAILS=$((E2E_FAILS + 1)); }
pass() { E2E_PASSES=$((E2E_PASSES + 1)); }

# run_sluice ARGS...: runs sluice, leaving stdout in $OUT, stderr in $ERR, exit code in $RC.
run_sluice() {
  OUT=$("$SLUICE" "$@" 2>"$E2E_TMP/.stderr"); RC=$?
  ERR=$(cat "$E2E_TMP/.stderr")
}

expect_rc() { # expect_rc WANT LABEL
  if [ "$RC" -eq "$1" ]; then pass; else fail "$2: exit code $RC, want $1; stdout: $OUT; stderr: $ERR"; fi
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

finish() {
  echo "$E2E_PASSES passed, $E2E_FAILS failed"
  [ "$E2E_FAILS" -eq 0 ]
}
