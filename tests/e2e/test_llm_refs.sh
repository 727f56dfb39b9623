#!/usr/bin/env bash
# Issue 13, the llm-stage hook: an AI-written file whose imports, includes, packages or images do
# not resolve fails its stage (check_references, on by default for code outputs), with
# path:line:col, and is never written; `references:` allows names and pins images. Against
# tests/e2e/llm_server.py in script mode (a real HTTP provider on 127.0.0.1).
. "$(dirname "$0")/lib.sh"
cd "$E2E_TMP"
export CI=true

if ! command -v python3 >/dev/null; then
  fail "python3 missing"
  finish; exit
fi

start_llm_server script "$E2E_TMP/script.json"

pipeline() { # pipeline OUTPUT_PATH EXTRA_STAGE_KEYS
  cat > sluice.yml <<YML
version: 1
llm:
  providers:
    default: { kind: openai, base_url: "http://127.0.0.1:$PORT/v1", model: gpt-4o-mini }
stages:
  code:
    llm:
      prompt: "Write the file."
      timeout: 8s
      output: { path: $1 }
      $2
YML
}
reply() { python3 -c 'import json,sys; print(json.dumps({"text": sys.argv[1]}))' "$1" > script.json; }

# 1. A hallucinated import in AI-written Python: the stage fails, names path:line:col, writes nothing.
reply $'import os\nimport fastjson_utils\n\nprint(os.getcwd(), fastjson_utils.dumps({}))\n'
pipeline app/main.py ""
rm -rf .sluice app
run_sluice run --json run.json
expect_rc 1 "a hallucinated import fails the stage"
expect_contains "$OUT" 'app/main.py:2:8: unresolved python import "fastjson_utils"' "the finding names path:line:col"
[ ! -e app/main.py ] && pass || fail "the file with the hallucinated import was written"

# 2. Allowed by name: it passes, is written, and the JSON says it was checked.
pipeline app/main.py "references: { allow: [fastjson_utils] }"
rm -rf .sluice app
run_sluice run --json run.json
expect_rc 0 "references.allow lets the name through"
[ -f app/main.py ] && pass || fail "the allowed file was not written"
expect_contains "$(tr -d ' \n' < run.json)" '"references_checked":true' "the JSON records the check"

# 3. Switched off: passes unchecked.
pipeline app/main.py "check_references: false"
rm -rf .sluice app
run_sluice run --json run.json
expect_rc 0 "check_references: false skips the check"
expect_contains "$(tr -d ' \n' < run.json)" '"references_checked":false' "the JSON says it was not checked"

# 4. Not a code extension: not checked by default; checked when asked.
pipeline notes/plan.txt ""
rm -rf .sluice notes
run_sluice run
expect_rc 0 "a .txt output is not checked by default"
pipeline notes/setup.sh "check_references: true"
reply $'#!/bin/sh\npip install reqeusts-toolbelt-pro\n'
rm -rf .sluice notes
run_sluice run
expect_rc 1 "an install command naming an unknown package fails"
expect_contains "$OUT" 'notes/setup.sh:2:' "the install-command finding has a position"

# 5. A module the workspace has resolves as local (written by a person or an earlier stage).
mkdir -p lib && printf 'def dumps(x):\n    return str(x)\n' > fastjson_utils.py
reply $'import os\nimport fastjson_utils\n'
pipeline app/main.py ""
rm -rf .sluice app
run_sluice run
expect_rc 0 "a workspace module resolves"
rm -f fastjson_utils.py

# 6. Images: a Kubernetes manifest must name an allowed registry, pinned by digest.
reply $'apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec:\n  containers:\n    - name: c\n      image: ghcr.io/example/shop-web:1.4.2\n'
pipeline k8s/pod.yaml "check_references: true
      references: { images: { allow: [\"ghcr.io/example/*\"], require_digest: true } }"
rm -rf .sluice k8s
run_sluice run
expect_rc 1 "an image without a digest fails under require_digest"
expect_contains "$OUT" 'k8s/pod.yaml:7:' "the image finding names its line"
reply $'apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec:\n  containers:\n    - name: c\n      image: ghcr.io/example/shop-web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n'
rm -rf .sluice k8s
run_sluice run
expect_rc 0 "a pinned image from an allowed registry passes"
reply $'apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec:\n  containers:\n    - name: c\n      image: docker.io/evil/miner@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n'
rm -rf .sluice k8s
run_sluice run
expect_rc 1 "an image from another registry fails"

# 7. Bad keys are load errors (exit 2) with the position and a suggestion.
pipeline app/main.py "references: { alow: [x] }"
run_sluice run
expect_rc 2 "an unknown key under references: is a load error"
expect_contains "$ERR" 'did you mean "allow"' "with a suggestion"
pipeline app/main.py "check_references: maybe"
run_sluice run
expect_rc 2 "check_references must be a boolean"

finish
