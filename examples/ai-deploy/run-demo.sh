#!/usr/bin/env bash
# make demo: runs examples/ai-deploy with the real sluice binary. The LLM stage answers from
# recorded cassettes (the replay provider), so this needs no network and no API key.
#  1. first run: the AI-written manifest lands on a critical path (review: in sluice.yml), so
#     validate and deploy wait for a human; everything else runs; sluice exits 3 and prints the
#     exact approve command;
#  2. a reviewer looks at the content (sluice review) and approves exactly those bytes;
#  3. second run: the gate passes without calling the model again (response and step caches);
#     the advisory `todos` stage and the model's advisory review (`ai-review`, an AI verdict with
#     its findings) fail and are reported without failing the run.
#  4. refs-demo.yml: the reference check stops an AI-written file that imports a package that
#     does not exist.
set -euo pipefail
sluice="${1:?usage: run-demo.sh path/to/sluice}"
cd "$(dirname "$0")"
# A name in secrets: that is set nowhere fails the run under CI=true; the demo deploys nothing.
export DEPLOY_TOKEN="${DEPLOY_TOKEN:-demo-deploy-token-not-a-secret}"
export SLUICE_ACTOR="${SLUICE_ACTOR:-developer@example.com}"
rm -rf .sluice build k8s/generated
mkdir -p build
echo "== first run: the manifest the model wrote is on a critical path; its readers wait for a review"
set +e
"$sluice" run -j 2 --json build/run1.json | tee build/run1.txt
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 3 ]; then
  echo "run-demo: expected exit 3 (awaiting approval), got $rc" >&2
  exit 1
fi
echo
echo "== the reviewer reads the content the gate holds"
"$sluice" review last
approve=$(grep -o 'approve: sluice approve .*' build/run1.txt | head -1 | sed 's/^approve: //')
echo "== the reviewer approves exactly those bytes:"
echo "\$ SLUICE_ACTOR=reviewer@example.com $approve"
# shellcheck disable=SC2086 # the printed command, split into its words
SLUICE_ACTOR=reviewer@example.com "$sluice" ${approve#sluice }
echo
echo "== second run: the gate passes; the model is not called again"
"$sluice" run -j 2 --json build/run2.json
echo
"$sluice" report last
echo
"$sluice" approvals
"$sluice" approvals --verify
# The same run as one self-contained HTML file (timeline, critical path, LLM phases, spend).
"$sluice" report last --html "$PWD/build/report.html"
echo "== an AI-written file with a hallucinated import: the reference check stops it (refs-demo.yml)"
rm -f app/fetch_status.py
if "$sluice" run -f refs-demo.yml; then
  echo "demo: the hallucinated import was not caught" >&2
  exit 1
fi
[ ! -e app/fetch_status.py ] || { echo "demo: app/fetch_status.py was written" >&2; exit 1; }
echo "(expected: the stage failed before app/fetch_status.py was written)"
