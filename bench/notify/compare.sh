#!/usr/bin/env bash
# Wall time of a sluice run whose failure notification goes to a webhook that answers after
# 10 s, against the same run without notifications (and with a webhook that answers at once).
# The notification leaves from a background queue: the slow webhook may cost the flush bound
# (--notify-flush, 2 s by default) and nothing more. Goal: within 2.1 s of the run without.
# usage: bench/notify/compare.sh path/to/sluice [runs]
set -euo pipefail
sluice="$(realpath "${1:?usage: compare.sh path/to/sluice [runs]}")"
runs="${2:-5}"
here="$(cd "$(dirname "$0")" && pwd)"
tmp=$(mktemp -d)
python3 "$here/../../tests/e2e/report_receiver.py" "$tmp/port" "$tmp/hooks.log" whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw &
receiver=$!
trap 'kill $receiver 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(cat "$tmp/port")
cd "$tmp"
# 12 stages of 0.1 s at -j 4 and one that fails: a failure notification is sent every run.
{
  echo "version: 1"
  echo "notify:"
  echo "  - { on: [failure], webhook: { url_env: HOOK_URL, secret_env: HOOK_SECRET } }"
  echo "stages:"
  for i in $(seq 1 12); do echo "  s$i: { run: 'sleep 0.1' }"; done
  echo "  last: { run: 'exit 1', needs: [s12] }"
} > notify.yml
sed '/^notify:/,/^stages:/{/^stages:/!d}' notify.yml > plain.yml
export HOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw CI=true

"$sluice" run -f plain.yml -j 4 --output quiet >/dev/null 2>&1 || true  # warm: rules, schema
# The three cases in rounds of rotating order (bench/lib/rounds.py), so that no case always runs
# first or last; each run must exit 1 (the failing stage), nothing else.
one() { echo "env $1 $sluice run -f $2 -j 4 --output quiet >/dev/null 2>&1; test \$? -eq 1"; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$here/../lib/rounds.py" --rounds "$runs" --warmup 0 --json "$tmp/r.json" \
  "no notification=$(one CI=true plain.yml)" \
  "webhook answering now=$(one HOOK_URL=http://127.0.0.1:$port/ok notify.yml)" \
  "webhook taking 10 s=$(one HOOK_URL=http://127.0.0.1:$port/slow notify.yml)"
# A run that sent nothing would time as well as one that did: every timed run of the fast case
# must have delivered a correctly signed notification.
delivered=$(python3 -c 'import json,os,sys; f=sys.argv[1]; print(sum(1 for l in (open(f) if os.path.exists(f) else []) if l.strip() and json.loads(l)["path"] == "/ok" and json.loads(l)["signature_ok"]))' "$tmp/hooks.log")
[ "$delivered" -ge "$runs" ] || { echo "compare: $delivered signed notifications reached /ok in $runs runs" >&2; exit 1; }
read -r none fast slow < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(*(round(r[k]["median"]*1000) for k in ("no notification","webhook answering now","webhook taking 10 s")))' "$tmp/r.json")
echo "runs per case: $runs (median wall time of the whole sluice process)"
echo "no notification:        ${none} ms"
echo "webhook answering now:  ${fast} ms (+$((fast - none)) ms)"
echo "webhook taking 10 s:    ${slow} ms (+$((slow - none)) ms; goal <= +2100 ms)"
[ $((slow - none)) -le 2100 ]
