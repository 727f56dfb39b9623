#!/usr/bin/env bash
# The CI entry points (action.yml, sluice.gitlab-ci.yml, .pre-commit-hooks.yaml, Dockerfile) and
# their examples under examples/ci/: parsed, checked for the inputs they document, and the
# commands they run are run here against the real binary (no GitHub, GitLab or Docker needed).
. "$(dirname "$0")/lib.sh"
src="${SLUICE_SOURCE_DIR:?}"
bindir="$E2E_TMP/bin"; mkdir -p "$bindir"; ln -s "$SLUICE" "$bindir/sluice"
export PATH="$bindir:$PATH"

# Structure: a Python checker prints one line per problem (and "ok N" at the end).
checks=$(python3 - "$src" "$("$SLUICE" run --help)" <<'PY'
import sys, yaml, re
src, run_help = sys.argv[1], sys.argv[2]
bad = []; n = 0
def check(cond, what):
    global n; n += 1
    if not cond: bad.append(what)
load = lambda p: yaml.safe_load(open(f"{src}/{p}"))

a = load("action.yml")
check(a["runs"]["using"] == "composite", "action.yml: not a composite action")
inputs = a["inputs"]
for name in ["file", "jobs", "json", "junit", "html", "upload-report", "version", "release-url", "deb-url"]:
    check(name in inputs and inputs[name].get("description"), f"action.yml: input {name} missing or undocumented")
steps = a["runs"]["steps"]
run_step = next((s for s in steps if s.get("id") == "run"), {})
script = run_step.get("run", "")
for flag in ["-f", "-j", "--json", "--junit"]:
    check(f" {flag} " in script or f"({flag} " in script, f"action.yml: run step never passes {flag}")
    check(re.search(rf"(^|[ ,]){re.escape(flag)}[ ,]", run_help) is not None, f"sluice run --help lacks {flag}")
check("apt-get install" in "".join(s.get("run", "") for s in steps), "action.yml: does not install the .deb")
install = next((s for s in steps if s.get("name") == "Install sluice"), {})
check("releases/download" in install.get("run", "") and "SHA256SUMS" in install.get("run", ""),
      "action.yml: does not download the release's .deb and SHA256SUMS")
check("placeholder" not in open(f"{src}/action.yml").read().lower(), "action.yml: still has a placeholder")
up = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
check(len(up) == 1 and "inputs.json" in up[0]["with"]["path"] and "inputs.junit" in up[0]["with"]["path"],
      "action.yml: the report is not uploaded as an artifact")
# html waits for a flag sluice does not have: documented as pending, and refused if set.
has_html = "--html" in run_help
check(has_html or "PENDING" in inputs["html"]["description"], "action.yml: html input not marked pending")
check(has_html or "--html" not in script, "action.yml: passes --html, which sluice run lacks")
wf = load("examples/ci/github-workflow.yml")
for job in wf["jobs"].values():
    for s in job["steps"]:
        if "sluice" in str(s.get("uses", "")) and "checkout" not in s["uses"]:
            for k in s.get("with", {}):
                check(k in inputs, f"examples/ci/github-workflow.yml: with.{k} is no input of action.yml")

g = load("sluice.gitlab-ci.yml")
job = g[".sluice"]
check(job["artifacts"]["reports"]["junit"].endswith("junit.xml"), "sluice.gitlab-ci.yml: no JUnit report")
check(job["artifacts"]["when"] == "always", "sluice.gitlab-ci.yml: artifacts not kept on failure")
check(any("--junit" in l and "--json" in l for l in job["script"]), "sluice.gitlab-ci.yml: run writes no JUnit/JSON")
for var in ["SLUICE_FILE", "SLUICE_JOBS", "SLUICE_IMAGE", "SLUICE_REPORT_DIR"]:
    check(var in g["variables"], f"sluice.gitlab-ci.yml: variable {var} not declared")
ex = load("examples/ci/gitlab-ci.yml")
check({"local": "sluice.gitlab-ci.yml"} in ex["include"], "examples/ci/gitlab-ci.yml: does not include the template")
for name, j in ex.items():
    if isinstance(j, dict) and "extends" in j:
        check(j["extends"] in g, f"examples/ci/gitlab-ci.yml: {name} extends unknown {j['extends']}")

hooks = {h["id"]: h for h in load(".pre-commit-hooks.yaml")}
check(hooks.get("sluice-scan", {}).get("entry") == "sluice scan --staged", "pre-commit: no sluice scan --staged hook")
check(hooks.get("sluice-check-refs", {}).get("entry") == "sluice check refs", "pre-commit: no sluice check refs hook")
for h in hooks.values():
    check(h.get("language") == "system" and h.get("name"), f"pre-commit: hook {h['id']} incomplete")
pc = load("examples/ci/pre-commit-config.yaml")
for r in pc["repos"]:
    for h in r["hooks"]:
        check(h["id"] in hooks, f"examples/ci/pre-commit-config.yaml: unknown hook {h['id']}")

d = open(f"{src}/Dockerfile").read()
check(re.search(r"^FROM debian:12-slim$", d, re.M), "Dockerfile: not FROM debian:12-slim")
check(re.search(r"^COPY sluice_\*\.deb ", d, re.M), "Dockerfile: does not COPY the .deb")
check("apt-get install" in d and "/tmp/sluice_*.deb" in d, "Dockerfile: does not install the .deb")
user = re.findall(r"^USER (\S+)$", d, re.M)
check(user and user[-1] not in ("root", "0"), "Dockerfile: runs as root")
for b in bad: print("BAD", b)
print("ok", n)
PY
)
while IFS= read -r line; do
  case "$line" in BAD*) fail "${line#BAD }" ;; ok*) E2E_PASSES=$((E2E_PASSES + ${line#ok })) ;; esac
done <<<"$checks"
[[ "$checks" == *"ok "* ]] || fail "the YAML checker did not finish: $checks"

# The Action's run step, run as the runner would (GITHUB_OUTPUT a file), on a two-stage pipeline.
work="$E2E_TMP/ws"; mkdir -p "$work"
cat >"$work/ci.yml" <<'YML'
version: 1
stages:
  build: { run: echo built }
  test: { needs: [build], run: echo tested }
YML
action_script=$(python3 -c 'import sys,yaml; print(next(s for s in yaml.safe_load(open(sys.argv[1]))["runs"]["steps"] if s.get("id")=="run")["run"])' "$src/action.yml")
(cd "$work" && GITHUB_OUTPUT="$work/out" IN_FILE=ci.yml IN_JOBS=2 IN_JSON=rep/run.json IN_JUNIT=rep/junit.xml IN_HTML= \
  bash -c "$action_script" >"$E2E_TMP/action.log" 2>&1); RC=$?; OUT=$(cat "$E2E_TMP/action.log"); ERR=""
expect_rc 0 "action.yml run step"
expect_eq "$(cat "$work/out" 2>/dev/null)" "exit-code=0" "action.yml sets the exit-code output"
[ -s "$work/rep/run.json" ] && [ -s "$work/rep/junit.xml" ] && pass || fail "action.yml run step wrote no reports"
(cd "$work" && GITHUB_OUTPUT="$work/out2" IN_FILE=ci.yml IN_JOBS= IN_JSON= IN_JUNIT= IN_HTML=r.html \
  bash -c "$action_script" >/dev/null 2>&1); RC=$?; OUT=""; ERR=""
expect_rc 0 "action.yml passes html to sluice run --html"
grep -q '<svg class="gantt"' "$work/r.html" 2>/dev/null && pass || fail "action.yml html input wrote no HTML report"

# The Action's install step against a release laid out as `make release-assets` lays it out
# (release-url file://..., GitHub's <base>/<tag>/<asset>): the version from the ref the action is
# used at (its checkout path), the asset name of the .deb CPack builds, SHA256SUMS checked.
# sudo and apt-get are stand-ins that record what they were asked (nothing is installed here).
if [ "${SLUICE_SANITIZED:-0}" != 1 ] && command -v cpack >/dev/null && command -v dpkg-deb >/dev/null; then
  version=$("$SLUICE" --version | head -1 | cut -d' ' -f2)
  (cd "${SLUICE_BUILD_DIR:?}" && cpack -G DEB -B "$E2E_TMP/pkg" >"$E2E_TMP/cpack.log" 2>&1) || fail "cpack: $(tail -3 "$E2E_TMP/cpack.log")"
  "$src/scripts/release-assets.sh" "$E2E_TMP/releases/v$version" "$E2E_TMP"/pkg/sluice_*.deb >/dev/null
  RC=$?; OUT=""; ERR=""
  expect_rc 0 "scripts/release-assets.sh"
  stubs="$E2E_TMP/stubs"; mkdir -p "$stubs"
  printf '#!/bin/sh\nexec "$@"\n' >"$stubs/sudo"
  printf '#!/bin/sh\necho "apt-get $*" >>"%s"\n' "$E2E_TMP/apt.log" >"$stubs/apt-get"
  chmod +x "$stubs/sudo" "$stubs/apt-get"
  install_script=$(python3 -c 'import sys,yaml; print(next(s for s in yaml.safe_load(open(sys.argv[1]))["runs"]["steps"] if s.get("name")=="Install sluice")["run"])' "$src/action.yml")
  run_install() { # run_install VERSION_INPUT ACTION_PATH
    rm -rf "$E2E_TMP/rt" "$E2E_TMP/apt.log"; mkdir -p "$E2E_TMP/rt"
    OUT=$(PATH="$stubs:$PATH" RUNNER_TEMP="$E2E_TMP/rt" RUNNER_ARCH=X64 SLUICE_VERSION="$1" ACTION_PATH="$2" \
          ACTION_REF= ACTION_REPOSITORY= SLUICE_RELEASE_URL="file://$E2E_TMP/releases" SLUICE_DEB_URL= \
          bash -c "$install_script" 2>&1); RC=$?; ERR=""
  }
  run_install "" "/home/runner/work/_actions/sluice-ci/sluice/v$version"
  expect_rc 0 "action.yml install step, version from the ref the action is used at"
  expect_contains "$OUT" "sluice_${version}_amd64.deb: OK" "the .deb checked against SHA256SUMS"
  expect_eq "$(grep install "$E2E_TMP/apt.log")" "apt-get install -y -qq $E2E_TMP/rt/sluice_${version}_amd64.deb" "apt-get installs the release's .deb"
  cmp -s "$E2E_TMP/rt/sluice_${version}_amd64.deb" "$E2E_TMP"/pkg/sluice_*.deb && pass || fail "downloaded .deb differs from the release's"
  run_install "" "/home/runner/work/_actions/sluice-ci/sluice/main"
  expect_rc 2 "a branch ref without a version input"
  expect_contains "$OUT" "set the version input to a release tag such as v0.1.0 (the action is used at 'main')" "says to set version"
  run_install "v$version" "/home/runner/work/_actions/sluice-ci/sluice/main"
  expect_rc 0 "the version input wins over the ref"
  printf 'x' >>"$E2E_TMP/releases/v$version/sluice_${version}_amd64.deb"
  run_install "v$version" ""
  expect_rc 1 "a .deb that does not match SHA256SUMS is refused"
  expect_contains "$OUT" "FAILED" "sha256sum says which file failed"
  [ ! -e "$E2E_TMP/apt.log" ] && pass || fail "apt-get ran despite the bad checksum"
fi

# The GitLab template's script, with its variables, in the same workspace.
rm -rf "$work/rep" "$work/.sluice"
gl_script=$(python3 -c 'import sys,yaml; print("\n".join(yaml.safe_load(open(sys.argv[1]))[".sluice"]["script"]))' "$src/sluice.gitlab-ci.yml")
(cd "$work" && SLUICE_FILE=ci.yml SLUICE_JOBS=2 SLUICE_REPORT_DIR=rep bash -e -c "$gl_script" >"$E2E_TMP/gl.log" 2>&1)
RC=$?; OUT=$(cat "$E2E_TMP/gl.log"); ERR=""
expect_rc 0 "sluice.gitlab-ci.yml script"
expect_contains "$(cat "$work/rep/junit.xml" 2>/dev/null)" "<testsuite" "GitLab job writes JUnit"

# The pre-commit hooks' entries in a git repository: a staged secret fails, a clean one passes.
repo="$E2E_TMP/repo"; mkdir -p "$repo"
git -C "$repo" init -q && git -C "$repo" -c user.email=t@t -c user.name=t commit -q --allow-empty -m init
echo 'print("hello")' >"$repo/ok.py"; git -C "$repo" add ok.py
(cd "$repo" && sluice scan --staged >/dev/null 2>&1); RC=$?; OUT=""; ERR=""
expect_rc 0 "pre-commit sluice-scan on clean staged changes"
(cd "$repo" && sluice check refs ok.py >/dev/null 2>&1); RC=$?
expect_rc 0 "pre-commit sluice-check-refs on a clean file"
echo 'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYQ"' >"$repo/leak.cfg"
echo 'AKIA''Z7VRSQ5TJN2XMY6K' >>"$repo/leak.cfg"
git -C "$repo" add leak.cfg
(cd "$repo" && sluice scan --staged >/dev/null 2>&1); RC=$?
expect_rc 1 "pre-commit sluice-scan on a staged secret"
finish
