#!/usr/bin/env bash
# sluice check refs on fixture workspaces: exit codes, text/json output, allow files, images.
. "$(dirname "$0")/lib.sh"
W="$E2E_TMP/ws"; mkdir -p "$W/pkg" && cd "$W"
printf 'PyYAML\n' > requirements.txt
printf 'import os\nimport yaml\nfrom pkg import util\nimport fastjson_utils\n' > app.py
printf '' > pkg/__init__.py; printf 'x = 1\n' > pkg/util.py

run_sluice check refs --no-probe app.py
expect_rc 1 "a hallucinated import fails"
expect_contains "$OUT" 'app.py:4:8: unresolved python import "fastjson_utils"' "text finding with position"
expect_not_contains "$OUT" '"yaml"' "yaml resolves through PyYAML"

run_sluice check refs --no-probe --format json app.py
expect_contains "$OUT" '"count": 1' "json count"
expect_contains "$OUT" '"reference": "fastjson_utils"' "json reference"

printf 'fastjson_*\n' > allow.txt
run_sluice check refs --no-probe --allow allow.txt app.py
expect_rc 0 "allowed by glob"

run_sluice check refs --no-probe missing.py
expect_rc 2 "unreadable input"
run_sluice check refs --no-probe --format xml app.py
expect_rc 2 "bad format"

printf 'spec:\n  containers:\n    - image: Nginx:latest\n' > k.yaml
run_sluice check refs --no-probe k.yaml
expect_rc 1 "invalid image reference"
expect_contains "$OUT" 'k.yaml:3:14: invalid image reference "Nginx:latest"' "image grammar"

mkdir -p "$W/js" && cd "$W/js"
printf '{"name":"a","dependencies":{"lodash":"^4"}}\n' > package.json
printf '{"packages":{"":{},"node_modules/other":{}}}\n' > package-lock.json
printf "import _ from 'lodash';\nimport x from './nope.js';\n" > a.js
run_sluice check refs --no-probe .
expect_rc 1 "js findings"
expect_contains "$OUT" 'package.json:1:1: javascript dependency "lodash" is declared in package.json but missing from package-lock.json' "lock finding"
expect_contains "$OUT" 'a.js:2:16: unresolved javascript import "./nope.js"' "relative import"
finish
