#!/usr/bin/env bash
# Every pipeline-file error is reported with file:line:col, all at once, exit 2, nothing run.
. "$(dirname "$0")/lib.sh"
cd "$E2E_TMP"

cat > sluice.yml <<'YML'
version: 1
stages:
  lint:
    run: touch ran-lint
  security:
    nedds: [lint]
    run: ./run_security.sh
    timeout: 2 fortnights
  deploy:
    needs: [securty]
    run: ""
  a: { run: x, needs: [b] }
  b: { run: x, needs: [a] }
YML
run_sluice run
expect_rc 2 "bad pipeline exits 2"
expect_contains "$ERR" 'sluice.yml:6:5: unknown key "nedds" (did you mean "needs"?)' "unknown key"
expect_contains "$ERR" 'sluice.yml:8:14: "timeout": invalid duration "2 fortnights"' "bad duration"
expect_contains "$ERR" 'sluice.yml:10:12: stage "deploy" needs "securty", which does not exist (did you mean "security"?)' "unknown need"
expect_contains "$ERR" 'stage "deploy" has an empty command' "empty command"
expect_contains "$ERR" 'dependency cycle: a -> b -> a' "cycle"
[ ! -e ran-lint ] && pass || fail "nothing may run when the file is invalid"

printf 'version: 1\nstages:\n  a: { run: x }\n  a: { run: y }\n' > dup.yml
run_sluice run -f dup.yml
expect_rc 2 "duplicate stage"
expect_contains "$ERR" 'dup.yml:4:3: duplicate key "a"' "duplicate stage names"

run_sluice run -f missing.yml
expect_rc 2 "missing file"
expect_contains "$ERR" "missing.yml" "missing file is named"

run_sluice run --jobs 0
expect_rc 2 "bad -j"

finish
