#!/usr/bin/env bash
# sluice run / plan / graph / runs / report on fixture pipelines, with the real binary.
. "$(dirname "$0")/lib.sh"
cd "$E2E_TMP"
export CI=true

cat > sluice.yml <<'YML'
version: 1
env: { GREETING: hello }
defaults: { timeout: 1m, shell: bash }
stages:
  lint:
    run: |
      echo "$GREETING from lint"
      mkdir -p build && cat src/*.cc > build/lint.txt
    inputs: ["src/**/*.cc"]
    outputs: [build/lint.txt]
  security:
    needs: [lint]
    locks: [workspace]
    run: echo scanning
  test:
    needs: [lint]
    run: echo testing
YML
mkdir -p src && echo "int x;" > src/a.cc

run_sluice run -j 2 --json run1.json --junit run1.xml
expect_rc 0 "first run succeeds"
expect_contains "$OUT" "hello from lint" "stage output is shown"
expect_contains "$OUT" "[ok] lint" "plain CI lines"
expect_contains "$(cat run1.json)" '"run_id"' "json run_id"
for field in '"status": "success"' '"duration_ms"' '"exit_code": 0' '"attempts": 1' '"cache_hit": false' '"name": "security"'; do
  expect_contains "$(cat run1.json)" "$field" "json has $field"
done
expect_contains "$(cat run1.xml)" '<testsuites name="sluice" tests="3" failures="0"' "junit header"

run_sluice run -j 2 --json run2.json
expect_rc 0 "second run succeeds"
expect_contains "$OUT" "[cached] lint" "second run is a cache hit"
expect_contains "$(cat run2.json)" '"cache_hit": true' "json shows the hit"

echo "int y;" > src/a.cc
run_sluice run -j 2
expect_rc 0 "run after an input changed"
expect_contains "$OUT" "[ok] lint" "changed input re-runs the stage"
expect_eq "$(cat build/lint.txt)" "int y;" "the re-run wrote the new output"

run_sluice plan
expect_rc 0 "plan"
expect_contains "$OUT" "cached (" "plan shows cached stage"
expect_contains "$OUT" "nothing was run" "plan runs nothing"

run_sluice graph --dot
expect_contains "$OUT" '"lint" -> "security";' "dot edges"

run_sluice runs
expect_contains "$OUT" "success" "runs lists history"
expect_eq "$(echo "$OUT" | grep -c success)" "3" "three runs recorded"

run_sluice report 1
expect_rc 0 "report of run 1"
expect_contains "$OUT" "critical path (*): lint ->" "report shows critical path"
expect_contains "$OUT" "parallelism" "report shows parallelism"

run_sluice report --format json last
expect_contains "$OUT" '"critical_path"' "report json"

run_sluice report 99
expect_rc 2 "unknown run"

# Failure, fail-fast, skip reasons, exit code 1.
cat > fail.yml <<'YML'
version: 1
stages:
  security: { run: "echo bad >&2; exit 3" }
  deploy: { run: "echo deploying", needs: [security] }
YML
run_sluice run -f fail.yml --junit fail.xml
expect_rc 1 "failed stage gives exit 1"
expect_contains "$OUT" "[FAILED] security: exit code 3" "failure line"
expect_contains "$OUT" '[skipped] deploy: needs "security" which failed' "skip reason"
expect_contains "$(cat fail.xml)" '<failure message="exit code 3"' "junit failure"
expect_contains "$(cat fail.xml)" 'bad' "junit carries the log tail"

# --only and unknown stage
run_sluice run --only test
expect_rc 0 "--only"
expect_contains "$OUT" "[ok] test" "--only runs the stage asked for"
expect_contains "$OUT" "lint" "--only runs its needs (here a cache hit)"
expect_not_contains "$OUT" "security" "--only runs only what is asked and its needs"
run_sluice run --only tset
expect_rc 2 "--only unknown stage"
expect_contains "$ERR" 'did you mean "test"' "--only did you mean"

# Stream output mode
run_sluice run --no-cache --output stream --only lint
expect_contains "$OUT" "[lint] hello from lint" "stream mode prefixes lines"

finish
