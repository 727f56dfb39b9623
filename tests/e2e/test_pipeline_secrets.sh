#!/usr/bin/env bash
# Values of `secrets:` (and secrets the rules recognise) never appear in any output, log,
# report or record, even when a stage writes them in pieces or encodes them.
. "$(dirname "$0")/lib.sh"
cd "$E2E_TMP"
export CI=true
export DEPLOY_TOKEN='dpl-Zq8#rT3vW9!xY2'
export SHORT_ONE='abc'
b64=$(printf '%s' "$DEPLOY_TOKEN" | base64)
b64_1=$(printf 'x%s' "$DEPLOY_TOKEN" | base64)
url='dpl-Zq8%23rT3vW9%21xY2'
fake_pat="ghp_R8xK2mQ9vL4tZ7wP1nB6cH3jF5sD0gY2aE8u"

cat > sluice.yml <<'YML'
version: 1
secrets: [DEPLOY_TOKEN, SHORT_ONE]
stages:
  split:
    shell: bash
    run: |
      printf 'token=%s' "${DEPLOY_TOKEN:0:7}"; sleep 0.2; printf '%s done\n' "${DEPLOY_TOKEN:7}"
  encoded:
    shell: bash
    run: |
      printf '%s' "$DEPLOY_TOKEN" | base64
      printf 'x%s' "$DEPLOY_TOKEN" | base64
      echo "url: dpl-Zq8%23rT3vW9%21xY2"
      echo "json: \"dpl-Zq8#rT3vW9!xY2\""
  rules:
    run: echo "GITHUB_TOKEN=ghp_R8xK2mQ9vL4tZ7wP1nB6cH3jF5sD0gY2aE8u"
  fails:
    needs: [split]
    run: echo "deploying with $DEPLOY_TOKEN"; exit 4
YML

run_sluice run -j 2 --keep-going --json run.json --junit run.xml
expect_rc 1 "the failing stage fails the run"
expect_contains "$ERR" "not masking secret SHORT_ONE" "too-short secret is reported, not masked"
expect_contains "$OUT" "token=*** done" "value split across two writes is masked"
expect_contains "$OUT" "[REDACTED:github-pat]" "rule-detected token is masked"
expect_contains "$OUT" "deploying with ***" "failing stage output masked"

everything="$OUT$ERR$(cat run.json run.xml .sluice/runs/*/*.log)"
"$SLUICE" report --format json last > report.json 2>&1
"$SLUICE" report last > report.txt 2>&1
everything+="$(cat report.json report.txt)"
strings_db=$(strings .sluice/state.db .sluice/state.db-wal 2>/dev/null)
for form in "$DEPLOY_TOKEN" "$b64" "$url" "$fake_pat" 'dpl-Zq8#rT3vW9!xY2'; do
  expect_not_contains "$everything" "$form" "secret form [$form] in output, logs or reports"
  expect_not_contains "$strings_db" "$form" "secret form [$form] in the state database"
done
# The base64 form of the value at another byte alignment (a prefix byte) is masked too.
expect_not_contains "$everything" "${b64_1:4:12}" "base64 at another alignment"

finish
