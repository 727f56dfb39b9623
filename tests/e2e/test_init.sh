#!/usr/bin/env bash
# sluice init on small real projects of each kind it knows; each generated file must load and
# `sluice plan` must work on it (issue 22).
. "$(dirname "$0")/lib.sh"

init_and_plan() { # init_and_plan DIR LABEL EXPECTED-TEXT...
  local dir=$1 label=$2; shift 2
  run_sluice -C "$dir" init
  expect_rc 0 "$label: init"
  expect_contains "$OUT" "wrote sluice.yml" "$label: says what it wrote"
  local yml; yml=$(cat "$dir/sluice.yml")
  for want in "$@"; do expect_contains "$yml" "$want" "$label: sluice.yml"; done
  expect_contains "$yml" '$SLUICE_BIN scan .' "$label: secret scan stage"
  expect_contains "$yml" "# llm:" "$label: commented LLM stage"
  run_sluice -C "$dir" plan
  expect_rc 0 "$label: plan on the generated file"
  expect_contains "$OUT" "nothing was run" "$label: plan output"
}

P=$E2E_TMP/cmake; mkdir -p "$P/src"
printf 'cmake_minimum_required(VERSION 3.16)\nproject(hello CXX)\nenable_testing()\nadd_executable(hello src/main.cpp)\nadd_test(NAME hello COMMAND hello)\n' > "$P/CMakeLists.txt"
printf 'int main() { return 0; }\n' > "$P/src/main.cpp"
init_and_plan "$P" cmake "cmake --build build" "ctest --test-dir build" 'inputs: [CMakeLists.txt, src/**' 

P=$E2E_TMP/python; mkdir -p "$P/pkg" "$P/tests"
printf '[project]\nname = "pkg"\nversion = "0.1"\n[project.optional-dependencies]\ntest = ["pytest"]\n' > "$P/pyproject.toml"
printf 'def add(a, b):\n    return a + b\n' > "$P/pkg/__init__.py"
printf 'from pkg import add\n\ndef test_add():\n    assert add(1, 2) == 3\n' > "$P/tests/test_add.py"
init_and_plan "$P" python "python3 -m pytest -q" "python3 -m compileall" '"**/*.py"'

P=$E2E_TMP/node; mkdir -p "$P/src"
printf '{"name": "n", "version": "1.0.0", "scripts": {"test": "node --test", "lint": "eslint ."}}\n' > "$P/package.json"
printf '{"lockfileVersion": 3}\n' > "$P/package-lock.json"
printf 'module.exports = 1;\n' > "$P/src/index.js"
init_and_plan "$P" node "npm ci" "npm test" "npm run lint"

P=$E2E_TMP/go; mkdir -p "$P"
printf 'module example.com/hello\n\ngo 1.21\n' > "$P/go.mod"
printf 'package main\n\nfunc main() {}\n' > "$P/main.go"
init_and_plan "$P" go "go vet ./..." "go test ./..." "go build ./..."

P=$E2E_TMP/rust; mkdir -p "$P/src"
printf '[package]\nname = "r"\nversion = "0.1.0"\nedition = "2021"\n' > "$P/Cargo.toml"
printf 'fn main() {}\n' > "$P/src/main.rs"
init_and_plan "$P" cargo "cargo test" "cargo clippy"

P=$E2E_TMP/make; mkdir -p "$P/k8s"
printf 'all:\n\techo build\nlint:\n\techo lint\ntest: all\n\techo test\nVAR := x\n' > "$P/Makefile"
printf 'FROM scratch\n' > "$P/Dockerfile"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\n' > "$P/k8s/cm.yaml"
init_and_plan "$P" make "make lint" "make test" "docker build" "validate k8s --schema-location" "needs: [test]"
run_sluice -C "$P" run --only test
expect_rc 0 "make: the generated test stage runs"

P=$E2E_TMP/gh; mkdir -p "$P/.github/workflows"
cat > "$P/.github/workflows/ci.yml" <<'YAML'
name: ci
on: [push, pull_request]
env:
  GREETING: hello
jobs:
  lint:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - uses: actions/checkout@v4
      - name: say
        run: echo "$GREETING from lint"
  test:
    needs: [lint]
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python: ["3.11", "3.12"]
    services:
      redis: { image: redis }
    steps:
      - uses: actions/setup-python@v5
        with: { python-version: "${{ matrix.python }}" }
      - name: tests
        env: { LEVEL: strict }
        run: |
          echo "level $LEVEL"
          echo "done"
YAML
init_and_plan "$P" github "gh-ci-lint:" "gh-ci-test:" "needs: [gh-ci-lint]" "timeout: 5m" "GREETING: hello" \
  "uses: actions/checkout@v4" "strategy.matrix" "services"
run_sluice -C "$P" run --only gh-ci-test
expect_rc 0 "github: translated stages run"
expect_contains "$OUT" "hello from lint" "github: workflow env reaches the step"
expect_contains "$OUT" "level strict" "github: step env reaches the step"

# Never overwrite without --force.
echo "# mine" > "$E2E_TMP/go/sluice.yml"
run_sluice -C "$E2E_TMP/go" init
expect_rc 2 "init refuses to overwrite"
expect_contains "$ERR" "--force" "init: names --force"
expect_eq "$(cat "$E2E_TMP/go/sluice.yml")" "# mine" "init left the file alone"
run_sluice -C "$E2E_TMP/go" init --force
expect_rc 0 "init --force replaces"
expect_contains "$(cat "$E2E_TMP/go/sluice.yml")" "go test" "init --force wrote the new file"

# An empty directory still gets a pipeline that plans.
mkdir -p "$E2E_TMP/empty"
init_and_plan "$E2E_TMP/empty" empty "no build system"
finish
