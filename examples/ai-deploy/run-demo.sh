#!/usr/bin/env bash
# make demo: runs examples/ai-deploy twice with the real sluice binary. The LLM stage answers
# from recorded cassettes (the replay provider), so this needs no network and no API key; the
# second run shows the step cache and the response cache at work; a third (refs-demo.yml) shows
# the reference check stopping an AI-written file that imports a package that does not exist.
set -euo pipefail
sluice="${1:?usage: run-demo.sh path/to/sluice}"
cd "$(dirname "$0")"
# A name in secrets: that is set nowhere fails the run under CI=true; the demo deploys nothing.
export DEPLOY_TOKEN="${DEPLOY_TOKEN:-demo-deploy-token-not-a-secret}"
rm -rf .sluice build k8s/generated
echo "== first run: everything executes"
"$sluice" run -j 2 --json build/run1.json
echo
echo "== second run: unchanged inputs are cache hits"
"$sluice" run -j 2 --json build/run2.json
echo
"$sluice" report last
echo
echo "== an AI-written file with a hallucinated import: the reference check stops it (refs-demo.yml)"
rm -f app/fetch_status.py
if "$sluice" run -f refs-demo.yml; then
  echo "demo: the hallucinated import was not caught" >&2
  exit 1
fi
[ ! -e app/fetch_status.py ] || { echo "demo: app/fetch_status.py was written" >&2; exit 1; }
echo "(expected: the stage failed before app/fetch_status.py was written)"
