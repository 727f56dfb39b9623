#!/usr/bin/env bash
# An LLM stage with a realistic ~100k-token prompt through the real binary: the real tokenizer
# (o200k_base) and the real secret redactor, as in llm_bench.cpp, here inside `sluice run`. The context is
# a mix of code (C++, Python, shell), YAML manifests, Markdown prose and multilingual text
# (this repository's files and the long tokenizer goldens), cut to about 100,000 tokens.
# Against tests/e2e/llm_server.py on 127.0.0.1: the first run calls it, the next ones are
# response-cache hits. Prints the pre-processing phases of a miss and of a hit (from --json), and
# the whole-process wall and CPU time of a cache-hit run (bench/lib/rounds.py).
# usage: bench/llm/realistic.sh SLUICE_BINARY [ROUNDS]
set -euo pipefail
sluice=$(realpath "${1:?usage: realistic.sh SLUICE_BINARY [ROUNDS]}")
rounds=${2:-10}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-llmbench.XXXXXX")
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
mkdir ctx
python3 - "$root" "$sluice" <<'PY'
import json, subprocess, sys, glob, os
root, sluice = sys.argv[1], sys.argv[2]
parts = [json.loads(l) for l in open(root + "/tests/golden/tokenize/long/cases.jsonl", encoding="utf-8")][:1]
files = sorted(glob.glob(root + "/src/engine/*.cpp")) + sorted(glob.glob(root + "/tests/fixtures/k8s/gitops/**/*.yaml", recursive=True)) \
    + sorted(glob.glob(root + "/docs/*.md")) + sorted(glob.glob(root + "/tests/e2e/*.py"))
for i, p in enumerate(parts):
    open("ctx/%03d-multilingual.txt" % i, "w", encoding="utf-8").write(p)
def tokens():
    with open("all.txt", "w", encoding="utf-8") as out:
        for c in sorted(glob.glob("ctx/*")):
            out.write(open(c, encoding="utf-8").read())
    return int(subprocess.run([sluice, "tokens", "count", "--encoding", "o200k_base", "all.txt"],
                              capture_output=True, text=True, check=True).stdout.split()[0])
for i, f in enumerate(files):
    name = "ctx/%03d-%s" % (i + 1, os.path.basename(f))
    open(name, "w", encoding="utf-8").write(open(f, encoding="utf-8").read())
    if tokens() >= 100000:  # stop at the first file that reaches 100k tokens
        break
PY
cat ctx/* > all.txt
echo "context: $(ls ctx | wc -l) files, $(wc -c < all.txt) bytes, $("$sluice" tokens count --encoding o200k_base all.txt | cut -d' ' -f1) o200k tokens"
python3 "$root/tests/e2e/llm_server.py" "$work/port" script "$work/script.json" &
server=$!
printf '{"text": "looks good\\n", "usage": {"prompt_tokens": 100000, "completion_tokens": 3}}' > script.json
for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
cat > sluice.yml <<YML
version: 1
secrets: [DB_PASSWORD]
llm:
  providers:
    default: { kind: openai, base_url: "http://127.0.0.1:$(cat port)/v1", model: gpt-4o-mini }
stages:
  review:
    llm: { prompt: "Review this change.", context: ["ctx/*"], max_output_tokens: 100, output: { path: out/review.txt } }
YML
export DB_PASSWORD=bench-db-password-0123456789 CI=true
"$sluice" run --json miss.json > /dev/null
"$sluice" run --json hit.json > /dev/null
python3 - <<'PY'
import json
for f in ("miss", "hit"):
    s = json.load(open(f + ".json"))["stages"][0]["llm"]
    p = s["phases_ms"]
    print(f"{f:4s}: cache_hit {s['cache_hit']}, tokens_in {s['tokens_in']} (usage from provider: {s['usage_from_provider']}), "
          + ", ".join(f"{k} {v:.1f} ms" for k, v in p.items() if k in ("render", "redact", "tokenize", "cache", "post_process")))
PY
python3 "$root/bench/lib/rounds.py" --rounds "$rounds" --warmup 1 \
  "sluice run, a cache hit on a 100k-token prompt (core 0)=taskset -c 0 $sluice run > /dev/null"
