#!/usr/bin/env bash
# The 2,000-stage report figures of docs/benchmarks.md ("Reports and notifications"): a run of
# 2,000 `true` stages (chains of 250 at -j 8, the pipeline of tests/e2e/test_reports.sh), then
#   - `sluice report last --html --trace --otlp`, whole process, ROUNDS runs (bench/lib/rounds.py:
#     wall and CPU medians);
#   - the HTML report's first render in headless Chromium, ROUNDS loads: the page runs
#     tests/e2e/check_report_dom.js, which forces layout, reads every bar back and reports
#     performance.now() (navigation start to the end of the checks); tests/e2e/check_reports.py
#     checks the DOM and prints it. Median and min-max; a failed check fails the script.
# usage: bench/report/report.sh path/to/sluice [ROUNDS]
set -euo pipefail
sluice="$(realpath "${1:?usage: report.sh path/to/sluice [ROUNDS]}")"
rounds="${2:-5}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "chromium is needed (scripts/install-deps.sh installs it)" >&2; exit 2; }
work="$(mktemp -d "${TMPDIR:-/tmp}/sluice-reportbench.XXXXXX")"; trap 'rm -rf "$work"' EXIT
cd "$work"
{ echo "version: 1"; echo "stages:"; for i in $(seq 0 1999); do
    if [ "$i" -ge 8 ]; then echo "  s$i: { run: 'true', needs: [s$((i - 8))] }"; else echo "  s$i: { run: 'true' }"; fi
  done; } > sluice.yml
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$sluice" run -j 8 --json big.json --output quiet > /dev/null
python3 "$root/bench/lib/rounds.py" --rounds "$rounds" --warmup 1 \
  "report last --html --trace --otlp=$sluice report last --html r.html --trace t.json --otlp o.jsonl"
echo "sizes: HTML $(wc -c < r.html) bytes, trace $(wc -c < t.json) bytes, OTLP $(wc -c < o.jsonl) bytes"
{ cat r.html; echo "<script>"; cat "$root/tests/e2e/check_report_dom.js"; echo "</script>"; } > big.check.html
: > render.txt
for ((i = 0; i <= rounds; i++)); do  # the first load is a warm-up
  rm -rf chrome
  timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --user-data-dir="$work/chrome" \
    --dump-dom "file://$work/big.check.html" > big.dom 2> chrome.log
  res=$(python3 "$root/tests/e2e/check_reports.py" dom big.dom big.json) ||
    { echo "the report's DOM checks failed: $(echo "$res" | head -5)" >&2; exit 1; }
  [ "$i" -eq 0 ] || echo "$res" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["render_ms"])' >> render.txt
done
python3 - render.txt <<'PY'
import statistics, sys
ms = [float(l) for l in open(sys.argv[1]) if l.strip()]
print(f"first render in Chromium, {len(ms)} loads: median {statistics.median(ms):.0f} ms ({min(ms):.0f}-{max(ms):.0f})")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
