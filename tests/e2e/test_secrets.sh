#!/usr/bin/env bash
# sluice scan / redact / secrets rules: exit codes, output formats, baseline, inline allow,
# .gitignore, streaming redaction and the gitleaks config.
. "$(dirname "$0")/lib.sh"
export SLUICE_CACHE_DIR="$E2E_TMP/cache"
# Fake, format-valid tokens (random characters, never real credentials).
PAT="ghp_aB3dE5gH7jK9mN1pQ3sT5vW7xY9zA1cD3fG5"
AKID="AKIAQWERTYUIOPASDF23"
W="$E2E_TMP/repo"
mkdir -p "$W/src" "$W/.git" "$W/build" "$W/docs"
printf 'token = "%s"\n' "$PAT" > "$W/src/config.py"
printf 'AWS_ACCESS_KEY_ID=%s\n' "$AKID" > "$W/src/deploy.sh"
printf 'clean file\n' > "$W/src/clean.txt"
printf 'x = "%s"  # sluice:allow\n' "$PAT" > "$W/docs/allowed.md"
printf '%s\n' "$PAT" > "$W/.git/config"
printf '%s\n' "$PAT" > "$W/build/out.txt"
printf '%s\n' "$PAT" > "$W/src/debug.log"
printf 'build/\n*.log\n' > "$W/.gitignore"
printf 'bin\0ary %s\n' "$PAT" > "$W/src/blob.bin"

run_sluice secrets rules check
expect_rc 0 "rules check passes"
expect_contains "$OUT" "all pass" "rules check summary"
n=$(printf '%s\n' "$OUT" | sed -n 's/^\([0-9]*\) rules.*/\1/p')
if [ "${n:-0}" -ge 300 ]; then pass; else fail "at least 300 default rules, got $n"; fi

run_sluice scan "$W"
expect_rc 1 "scan with findings exits 1"
expect_contains "$OUT" "src/config.py:1:10: github-pat: ghp_*****" "text finding"
expect_contains "$OUT" "src/deploy.sh:1:19: aws-access-key-id: AKIA*****" "second finding"
expect_not_contains "$OUT" "$PAT" "secret never printed"
expect_not_contains "$OUT" "allowed.md" "inline sluice:allow"
expect_not_contains "$OUT" ".git/config" ".git skipped"
expect_not_contains "$OUT" "build/out.txt" "gitignored dir skipped"
expect_not_contains "$OUT" "debug.log" "gitignored glob skipped"
expect_not_contains "$OUT" "blob.bin" "binary skipped"
expect_eq "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" "2" "exactly two findings"

run_sluice scan --no-gitignore "$W"
expect_contains "$OUT" "debug.log" "--no-gitignore scans ignored files"

run_sluice scan "$W/src/clean.txt"
expect_rc 0 "clean file exits 0"

run_sluice scan "$E2E_TMP/does-not-exist"
expect_rc 2 "missing path exits 2"

run_sluice scan --format json "$W"
expect_contains "$OUT" '"rule": "github-pat"' "json rule"
expect_contains "$OUT" '"count": 2' "json count"
expect_not_contains "$OUT" "$PAT" "json never prints the secret"

run_sluice scan --format sarif "$W"
expect_contains "$OUT" '"version": "2.1.0"' "sarif version"
expect_contains "$OUT" '"ruleId": "aws-access-key-id"' "sarif result"
if command -v python3 >/dev/null; then
  if printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["runs"][0]["results"])==2'; then pass; else fail "sarif is valid JSON with 2 results"; fi
fi

# Baseline: record, then only new findings are reported, even after the old one moves lines.
run_sluice scan --write-baseline "$E2E_TMP/baseline.json" "$W"
expect_rc 0 "write baseline"
expect_not_contains "$(cat "$E2E_TMP/baseline.json")" "$PAT" "baseline stores no secret"
run_sluice scan --baseline "$E2E_TMP/baseline.json" "$W"
expect_rc 0 "baseline suppresses all"
printf '\n\n# moved\ntoken = "%s"\nother = "ghp_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8"\n' "$PAT" > "$W/src/config.py"
run_sluice scan --baseline "$E2E_TMP/baseline.json" "$W"
expect_rc 1 "new secret after baseline"
expect_contains "$OUT" "src/config.py:5:" "only the new secret is reported"
expect_not_contains "$OUT" "src/config.py:4:" "moved baselined secret stays suppressed"

# gitleaks' own default configuration.
GL="$SLUICE_SHARED_DIR/data/gitleaks/gitleaks.toml"
if [ -f "$GL" ]; then
  echo "running against $GL"
  run_sluice scan --config "$GL" "$W/src/deploy.sh"
  expect_rc 1 "gitleaks config finds the AWS key"
  expect_contains "$OUT" "aws-access-token" "gitleaks rule id"
else
  case "${CI:-}" in ""|0|false) echo "SKIP: $GL not found" ;; *) fail "$GL not found, and CI=true" ;; esac
fi
printf '[[rules]]\nid = "bad"\nregex = """(unclosed"""\n' > "$E2E_TMP/bad.toml"
run_sluice scan --config "$E2E_TMP/bad.toml" "$W"
expect_rc 2 "broken config exits 2"
expect_contains "$ERR" 'rule "bad"' "error names the rule"

# Redaction: file, stdin streaming, known values.
printf 'url: x\nGITHUB_TOKEN=%s\n' "$PAT" > "$E2E_TMP/log.txt"
run_sluice redact "$E2E_TMP/log.txt"
expect_rc 0 "redact file"
expect_eq "$OUT" $'url: x\nGITHUB_TOKEN=[REDACTED:github-pat]' "redact output"
OUT=$( { printf 'GITHUB_TOKEN=ghp_aB3dE5gH7j'; sleep 0.2; printf 'K9mN1pQ3sT5vW7xY9zA1cD3fG5 done\npass=hunter2-Secret and aHVudGVyMi1TZWNyZXQ=\n'; } \
  | DEPLOY_PW=hunter2-Secret SHORT=abc "$SLUICE" redact --mask-env DEPLOY_PW --mask-env SHORT - 2>"$E2E_TMP/err"); RC=$?
expect_rc 0 "redact stdin"
expect_eq "$OUT" $'GITHUB_TOKEN=[REDACTED:github-pat] done\npass=*** and ***' "secret split across writes and known values"
expect_contains "$(cat "$E2E_TMP/err")" "not masking SHORT" "short value reported"

# Git history: a secret added in one commit and removed in the next is still found, with its
# commit, author and line; baselines, sluice:allow, ranges, --staged and errors.
if command -v git >/dev/null; then
  G="$E2E_TMP/history"
  mkdir -p "$G"
  git_() { GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git -C "$G" -c user.name="Ada Lovelace" -c user.email=ada@example.com "$@" >/dev/null; }
  git_ init -q -b main
  printf '# demo\n' > "$G/README.md"; git_ add -A; git_ commit -q -m init --date=2026-01-01T10:00:00Z
  printf 'import os\n\nTOKEN = "%s"\n' "$PAT" > "$G/app.py"; git_ add -A; git_ commit -q -m "add token" --date=2026-01-02T10:00:00Z
  ADDED=$(git -C "$G" rev-parse HEAD)
  printf 'import os\n\nTOKEN = os.environ["TOKEN"]\n' > "$G/app.py"
  printf 'KEY=%s  # sluice:allow\n' "$AKID" > "$G/allowed.sh"
  git_ add -A; git_ commit -q -m "remove token" --date=2026-01-03T10:00:00Z
  [ -f "$G/app.py" ] && ! grep -q ghp_ "$G/app.py" && pass || fail "fixture: token removed from the work tree"

  run_sluice scan "$G"
  expect_rc 0 "the work tree alone is clean"
  run_sluice scan --git "$G"
  expect_rc 1 "history scan finds the removed secret"
  expect_eq "$OUT" "${ADDED:0:12}:app.py:3:10: github-pat: ghp_***** (Ada Lovelace <ada@example.com>, 2026-01-02T10:00:00+00:00)" "history text finding"
  expect_contains "$ERR" "in 3 commits" "history summary"
  expect_not_contains "$OUT$ERR" "$PAT" "history never prints the secret"
  (cd "$G" && "$SLUICE" scan --git >/dev/null 2>&1); RC=$?
  expect_rc 1 "--git defaults to the current directory"
  run_sluice scan --git HEAD~1..HEAD "$G"
  expect_rc 0 "a range limits the commits"
  run_sluice scan --git --format json "$G"
  expect_contains "$OUT" "\"commit\": \"$ADDED\"" "json commit"
  expect_contains "$OUT" '"author": "Ada Lovelace"' "json author"
  expect_contains "$OUT" '"date": "2026-01-02T10:00:00+00:00"' "json date"
  run_sluice scan --git --format sarif "$G"
  if printf '%s' "$OUT" | python3 -c 'import json,sys; r=json.load(sys.stdin)["runs"][0]["results"]; assert len(r)==1 and r[0]["partialFingerprints"]["commitSha"]==sys.argv[1] and r[0]["locations"][0]["physicalLocation"]["region"]["startLine"]==3' "$ADDED"; then pass; else fail "sarif partialFingerprints per commit"; fi
  run_sluice scan --git --write-baseline "$E2E_TMP/git-baseline.json" "$G"
  expect_rc 0 "history baseline written"
  run_sluice scan --git --baseline "$E2E_TMP/git-baseline.json" "$G"
  expect_rc 0 "history baseline suppresses"
  expect_contains "$ERR" "1 suppressed by baseline" "history baseline count"
  run_sluice scan --git no-such-branch "$G"
  expect_rc 2 "unknown revision exits 2"
  expect_contains "$ERR" "no-such-branch" "git's message is shown"
  run_sluice scan --git --output=/tmp/x "$G"
  expect_rc 2 "a range that looks like an option is refused"
  run_sluice scan --git "$E2E_TMP/does-not-exist"
  expect_rc 2 "missing repository exits 2"

  # --staged, as a pre-commit hook runs it: only what is staged counts.
  printf 'clean\nAWS_ACCESS_KEY_ID=%s\n' "$AKID" > "$G/deploy.sh"
  printf 'unstaged %s\n' "$PAT" > "$G/notes.txt"
  git_ add deploy.sh
  run_sluice scan --staged "$G"
  expect_rc 1 "staged secret blocks the commit"
  expect_eq "$OUT" "deploy.sh:2:19: aws-access-key-id: AKIA*****" "staged finding"
  git_ reset -q deploy.sh
  run_sluice scan --staged "$G"
  expect_rc 0 "nothing staged, nothing found"
fi

finish
