#!/usr/bin/env bash
# Times `sluice prune --apply` on a workspace whose state holds N step-cache entries (default
# 100,000), each with its own blob in .sluice/cas (real SHA-256 names), plus 200 runs of 10
# stages and 1,000 LLM responses. 90% of the entries were last used 10 days ago; a tenth are
# recent, and the newest 5 runs used some of the old ones. Needs python3 and the sqlite3 CLI.
#   bench/prune/bench_prune.sh build/sluice [N]
# SLUICE_WRAP="strace -c -f -w -o FILE" wraps the timed --apply (where the time goes).
set -euo pipefail
sluice="$(realpath "${1:?usage: bench_prune.sh SLUICE [N]}")"
n="${2:-100000}"
ws="$(mktemp -d "${TMPDIR:-/tmp}/sluice-prune-bench.XXXXXX")"
trap 'rm -rf "$ws"' EXIT
mkdir -p "$ws/.sluice"
"$sluice" cache stats -C "$ws" >/dev/null   # creates the schema

python3 - "$ws" "$n" <<'PY'
import hashlib, os, sys, time
ws, n = sys.argv[1], int(sys.argv[2])
now = int(time.time() * 1000)
old = now - 10 * 86400 * 1000
cas = os.path.join(ws, ".sluice", "cas")
rows = []
for i in range(n):
    content = f"output of entry {i}\n".encode() * 8
    h = hashlib.sha256(content).hexdigest()
    d = os.path.join(cas, h[:2])
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, h[2:]), "wb") as f:
        f.write(content)
    used = now if i % 10 == 0 else old
    key = hashlib.sha256(f"key {i}".encode()).hexdigest()
    rows.append(f"('{key}','stage{i % 50}','[{{\"blob\":\"{h}\",\"mode\":420,\"path\":\"out/{i}.txt\"}}]',{used},{used},5)")
with open(os.path.join(ws, "fill.sql"), "w") as f:
    f.write("BEGIN;\n")
    for j in range(0, len(rows), 500):
        f.write("INSERT INTO step_cache (key, stage, outputs, created_ms, last_used_ms, duration_ms) VALUES "
                + ",".join(rows[j:j + 500]) + ";\n")
    for r in range(1, 201):
        started = old if r <= 195 else now
        f.write(f"INSERT INTO runs (id, seq, pipeline, status, pid, jobs, started_ms, options) VALUES "
                f"('run-{r}', {r}, 'sluice.yml', 'success', 1, 1, {started}, '');\n")
        for s in range(10):
            key = hashlib.sha256(f"key {(r * 10 + s) * 7 % n}".encode()).hexdigest()
            f.write(f"INSERT INTO stages (run_id, name, idx, kind, status, cache_key) VALUES "
                    f"('run-{r}', 's{s}', {s}, 'run', 'success', '{key}');\n")
        os.makedirs(os.path.join(ws, ".sluice", "runs", f"run-{r}"), exist_ok=True)
        with open(os.path.join(ws, ".sluice", "runs", f"run-{r}", "s0.log"), "w") as log:
            log.write("log line\n" * 100)
    for k in range(1000):
        used = now if k % 2 else old
        f.write(f"INSERT INTO llm_response_cache (key, provider_kind, base_url, model, response, tokens_in, "
                f"tokens_out, cost_usd, created_ms, last_used_ms) VALUES ('llm{k}', 'openai', 'http://x', 'm', "
                f"'{'answer ' * 50}', 10, 5, 0.01, {used}, {used});\n")
    f.write("COMMIT;\n")
PY
sqlite3 "$ws/.sluice/state.db" < "$ws/fill.sql"
sync
echo "entries: $(sqlite3 "$ws/.sluice/state.db" 'SELECT COUNT(*) FROM step_cache'), blobs: $(find "$ws/.sluice/cas" -type f | wc -l)"

t0=$(date +%s%N)
"$sluice" prune -C "$ws" --older-than 7d --keep-runs 5 >/dev/null
t1=$(date +%s%N)
echo "dry run:  $(( (t1 - t0) / 1000000 )) ms"
t0=$(date +%s%N)
${SLUICE_WRAP:-} "$sluice" prune -C "$ws" --older-than 7d --keep-runs 5 --apply | tail -8
t1=$(date +%s%N)
echo "apply:    $(( (t1 - t0) / 1000000 )) ms"
echo "left: entries $(sqlite3 "$ws/.sluice/state.db" 'SELECT COUNT(*) FROM step_cache'), blobs $(find "$ws/.sluice/cas" -type f | wc -l)"
t0=$(date +%s%N)
"$sluice" prune -C "$ws" --max-size 1 --apply >/dev/null
t1=$(date +%s%N)
echo "apply --max-size 1 on what is left: $(( (t1 - t0) / 1000000 )) ms"
