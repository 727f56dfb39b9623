#!/usr/bin/env bash
# Times `sluice check refs` on a generated 10,000-file repository (Python, JS, Go, C in equal
# parts, 6-10 references each, all resolving), on one core. Not a timed test: run by hand.
#   bench/refs/bench_refs.sh build/sluice
set -euo pipefail
sluice="${1:?usage: bench_refs.sh SLUICE_BINARY}"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
python3 - "$dir" <<'PY'
import os, sys
d = sys.argv[1]
open(f"{d}/requirements.txt", "w").write("PyYAML\nrequests\n")
open(f"{d}/package.json", "w").write('{"name":"b","dependencies":{"lodash":"1"}}\n')
open(f"{d}/go.mod", "w").write("module example.com/b\n\nrequire github.com/spf13/cobra v1.8.0\n")
for i in range(2500):
    sub = f"{d}/pkg{i // 100}"
    os.makedirs(sub, exist_ok=True)
    open(f"{sub}/m{i}.py", "w").write("import os\nimport sys\nimport json\nimport yaml\nfrom requests import get\n" + "x = 1\n" * 40)
    open(f"{sub}/m{i}.js", "w").write("const fs = require('fs');\nimport _ from 'lodash';\nimport path from 'node:path';\n" + "let y = 2;\n" * 40)
    open(f"{sub}/m{i}.c", "w").write("#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\nint f(void) { return 0; }\n" * 5)
    gd = f"{sub}/g{i}"
    os.makedirs(gd, exist_ok=True)
    open(f"{gd}/m.go", "w").write('package g\n\nimport (\n\t"fmt"\n\t"os"\n\t"github.com/spf13/cobra"\n)\n' + "var z = 3\n" * 40)
PY
cd "$dir"
"$sluice" check refs --no-probe . >/dev/null 2>&1 || true  # warm the page cache
for run in 1 2 3; do
  /usr/bin/time -f "%e s wall, %U s user, %M KB peak" taskset -c 0 "$(cd "$OLDPWD" && realpath "$sluice")" check refs --no-probe . 2>&1 >/dev/null | tail -2
done
