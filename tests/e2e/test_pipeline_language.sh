#!/usr/bin/env bash
# The pipeline language (docs/pipeline.md) with the real binary on real git repositories made
# here: matrix, if (branches), changes/changed() against a branch, --since and the last
# successful run, stage outputs (dependents, cache hits, --json, redaction), params (-p),
# templates/extends and include with errors naming file:line:col, and `sluice plan`'s reasons.
. "$(dirname "$0")/lib.sh"
cd "$E2E_TMP"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
unset GITHUB_ACTIONS GITLAB_CI GITHUB_BASE_REF CI_MERGE_REQUEST_DIFF_BASE_SHA GITHUB_HEAD_REF GITHUB_REF_TYPE

new_repo() { # new_repo DIR: a git repository on branch main with docs/ and src/, one commit
  rm -rf "$1"; mkdir -p "$1/docs" "$1/src"; cd "$1" || exit 1
  git init -q -b main . && echo guide > docs/guide.md && echo 'int main(){}' > src/main.c
}

# --- matrix, if on the branch, outputs, params ---------------------------------------------
new_repo "$E2E_TMP/lang"
cat > sluice.yml <<'YML'
version: 1
params:
  environment: { default: staging, values: [staging, prod] }
stages:
  build:
    run: |
      echo "version=1.2.3" >> "$SLUICE_OUTPUT"
      printf 'notes<<EOF\nfirst line\nsecond line\nEOF\n' >> "$SLUICE_OUTPUT"
      echo built
    inputs: [src/**]
  test:
    matrix: { python: ["3.10", "3.11"], os: [debian, alpine] }
    run: echo "py=${{ matrix.python }} os=${{ matrix.os }}" > "test-${{ matrix.python }}-${{ matrix.os }}.txt"
    max_parallel: 1
  deploy:
    needs: [build, test]
    if: git.branch == 'main' && params.environment == 'prod'
    run: echo "deploying ${{ stages.build.outputs.version }} to ${{ params.environment }}" > deployed.txt
  notify:
    needs: [deploy]
    run: echo notified > notified.txt
  report:
    needs: [deploy]
    if: always()
    run: echo reported > reported.txt
YML
git add -A && git commit -qm init

run_sluice plan
expect_rc 0 "plan"
expect_contains "$OUT" "test[python=3.10,os=debian]" "plan shows the expanded matrix"
expect_contains "$OUT" "test[python=3.11,os=alpine]" "plan shows every combination"
expect_contains "$OUT" "skip (condition false: if: git.branch == 'main' && params.environment == 'prod' is false)" "plan says why deploy skips"
expect_contains "$OUT" "skip (needs \"deploy\", which is skipped; if: always() would run it)" "plan: dependents skip"
expect_contains "$OUT" "if: always() is true" "plan: always() runs"
expect_contains "$OUT" "params: environment=staging" "plan shows the params"

run_sluice run --json run1.json
expect_rc 0 "a run whose only skips are conditions succeeds"
expect_contains "$OUT" "deploy: condition false" "skipped: condition false"
expect_contains "$OUT" "notify: needs \"deploy\" which was skipped (condition false)" "dependents skip with the reason"
[ -f reported.txt ] && pass || fail "if: always() ran after a skipped need"
[ ! -f deployed.txt ] && pass || fail "deploy must not run outside prod"
[ -f "test-3.10-debian.txt" ] && [ -f "test-3.11-alpine.txt" ] && pass || fail "every matrix combination ran"
expect_eq "$(cat test-3.11-debian.txt)" "py=3.11 os=debian" "matrix values in run"
expect_eq "$(python3 -c 'import json,sys; d=json.load(open("run1.json")); print([s for s in d["stages"] if s["name"]=="build"][0]["outputs"]["notes"])')" \
  "first line
second line" "--json shows the multi-line output"
expect_eq "$(python3 -c 'import json; d=json.load(open("run1.json")); print([s["status"] for s in d["stages"] if s["name"]=="deploy"][0])')" "skipped" "deploy skipped in --json"

run_sluice run -p environment=prod --json run2.json
expect_rc 0 "run -p environment=prod"
expect_eq "$(cat deployed.txt)" "deploying 1.2.3 to prod" "outputs and params reach the dependent's run"
expect_contains "$OUT" "1 cached" "build hits the cache"
# The cached build still hands its outputs on.
expect_eq "$(python3 -c 'import json; d=json.load(open("run2.json")); b=[s for s in d["stages"] if s["name"]=="build"][0]; print(b["cache_hit"], b["outputs"]["version"])')" "True 1.2.3" "a cache hit restores the outputs"

run_sluice run -p environment=qa
expect_rc 2 "an out-of-range param"
expect_contains "$ERR" "sluice: -p environment=qa: param \"environment\" is one of staging, prod" "out-of-range message"
run_sluice run -p region=eu
expect_rc 2 "an unknown param"
expect_contains "$ERR" "declares no param \"region\"" "unknown param message"
run_sluice run -p novalue
expect_rc 2 "-p without ="

# The output values are part of the dependents' keys: a new version reruns the cached dependent.
cat > sluice.yml <<'YML'
version: 1
secrets: [DEPLOY_TOKEN]
stages:
  version:
    run: echo "v=$(cat VERSION)" >> "$SLUICE_OUTPUT"; echo "token=$DEPLOY_TOKEN" >> "$SLUICE_OUTPUT"
  package:
    needs: [version]
    run: echo "packaged ${{ stages.version.outputs.v }}" > pkg.txt
    cache: true
    outputs: [pkg.txt]
YML
echo 1 > VERSION
export DEPLOY_TOKEN=s3cr3t-value-that-must-not-leak
run_sluice run --json o1.json
expect_rc 0 "outputs run"
expect_eq "$(cat pkg.txt)" "packaged 1" "the dependent read v=1"
run_sluice run
expect_contains "$OUT" "2 succeeded (1 cached)" "same value: the dependent hits its cache"
echo 2 > VERSION
run_sluice run
expect_contains "$OUT" "2 succeeded (0 cached)" "a new value changes the dependent's key"
expect_eq "$(cat pkg.txt)" "packaged 2" "the dependent read v=2"
if grep -q "s3cr3t-value" o1.json; then fail "a secret output value leaked into --json"; else pass; fi
expect_contains "$(cat o1.json)" '"token"' "the secret output is listed, redacted"
unset DEPLOY_TOKEN

# --- changes: against a branch, --since, the last successful run -----------------------------
new_repo "$E2E_TMP/paths"
cat > sluice.yml <<'YML'
version: 1
stages:
  docs:
    changes: ["docs/**"]
    run: echo docs >> ran.txt
  code:
    if: changed("src/**/*.c", "src/*.c")
    run: echo code >> ran.txt
YML
echo ran.txt > .gitignore; echo .sluice >> .gitignore
git add -A && git commit -qm init
git checkout -q -b feature
echo more >> docs/guide.md && git commit -qam "docs only"
run_sluice plan --since main
expect_contains "$OUT" "changes since --since main" "plan names the base"
expect_contains "$OUT" "docs/** changed since --since main" "plan: docs changed"
expect_contains "$OUT" "skip (condition false: if: changed(\"src/**/*.c\", \"src/*.c\") is false)" "plan: code did not change"
rm -f ran.txt
run_sluice run --since main
expect_rc 0 "run --since main"
expect_eq "$(cat ran.txt)" "docs" "only the docs stage ran on a docs-only branch"
expect_contains "$OUT" "code: condition false" "the code stage is skipped: condition false"
echo 'int x;' >> src/main.c && git commit -qam "code"
rm -f ran.txt
run_sluice run --since main
expect_eq "$(sort ran.txt | tr '\n' ' ')" "code docs " "both ran once src/ changed too"
run_sluice run --since no-such-branch
expect_rc 2 "an unknown --since"
expect_contains "$ERR" "--since no-such-branch: no such commit or branch" "unknown --since message"
# Without --since or a CI base: the last successful run's commit (recorded by the runs above).
rm -f ran.txt
run_sluice run
expect_rc 0 "run against the last successful run"
if [ -f ran.txt ]; then fail "nothing changed since the last successful run, yet $(cat ran.txt) ran"; else pass; fi
echo again >> docs/guide.md && git commit -qam "docs again"
run_sluice run
expect_eq "$(cat ran.txt)" "docs" "a docs commit since the last success runs docs only"
# GitLab's merge request base.
rm -f ran.txt
CI_MERGE_REQUEST_DIFF_BASE_SHA=$(git rev-parse main) GITLAB_CI=true run_sluice run
expect_eq "$(sort ran.txt | tr '\n' ' ')" "code docs " "CI_MERGE_REQUEST_DIFF_BASE_SHA is the base"

# No git repository: changes are assumed.
mkdir -p "$E2E_TMP/nogit" && cd "$E2E_TMP/nogit" && cp "$E2E_TMP/paths/sluice.yml" .
run_sluice run
expect_eq "$(sort ran.txt | tr '\n' ' ')" "code docs " "without git every changes: condition is true"

# --- templates, extends, include, and errors pointing at the right file ---------------------
mkdir -p "$E2E_TMP/tpl/ci" && cd "$E2E_TMP/tpl"
cat > ci/common.yml <<'YML'
env: { GREETING: hello }
templates:
  shell-job:
    env: { WHO: template }
    timeout: 1m
stages:
  lint: { extends: shell-job, run: echo "$GREETING $WHO from lint" > lint.txt }
YML
cat > sluice.yml <<'YML'
version: 1
include: [ci/common.yml]
stages:
  test:
    extends: shell-job
    env: { WHO: stage }
    needs: [lint]
    run: echo "$GREETING $WHO" > test.txt
YML
run_sluice run
expect_rc 0 "templates and include"
expect_eq "$(cat lint.txt)" "hello template from lint" "an included stage extends an included template"
expect_eq "$(cat test.txt)" "hello stage" "the stage's own keys win over the template"
cat > ci/common.yml <<'YML'
stages:
  lint: { extends: shel-job, run: echo }
YML
run_sluice plan
expect_rc 2 "an unknown template"
expect_contains "$ERR" "ci/common.yml:2:20: extends \"shel-job\": no such template" "the error names the included file"
cat > ci/common.yml <<'YML'
include: [../sluice.yml]
YML
run_sluice plan
expect_rc 2 "an include cycle"
expect_contains "$ERR" "ci/common.yml:1:11: include cycle" "the cycle is reported where it closes"
cat > sluice.yml <<'YML'
version: 1
stages:
  a:
    if: git.branch == 'main' &&
    run: echo
YML
run_sluice plan
expect_rc 2 "an expression error"
expect_contains "$ERR" "sluice.yml:4:32: in \"if\": expected a value, a name or \"(\" but the expression ends" "expression errors carry line:col"

finish
