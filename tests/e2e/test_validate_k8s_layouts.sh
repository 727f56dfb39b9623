#!/usr/bin/env bash
# sluice validate k8s on real repository layouts (issue 21): duplicates are judged per apply unit
# (a file, a kustomization, stdin, a declared directory), kustomize directories are understood
# without rendering, Helm charts and CI files beside manifests are noted, not reported as errors.
. "$(dirname "$0")/lib.sh"
SCHEMAS="${SLUICE_SHARED_DIR:-}/data/k8s-schemas"
require_shared "$SCHEMAS"
FX="$SLUICE_SOURCE_DIR/tests/fixtures/k8s"
GITOPS="$FX/gitops"
LAY="$FX/layouts"
# Argo CD's Application/AppProject are manifests: checked against (test-only) CRD schemas.
V=(validate k8s --strict --disable-check all --schema-location "$SCHEMAS" --schema-location "$FX/crd-schemas")

# The issue's first report: a base and its production copy, both Deployment web, no kustomization.
run_sluice "${V[@]}" "$GITOPS/copy"
expect_rc 0 "base/deploy.yaml and overlays/prod/deploy.yaml are two apply units"
expect_not_contains "$OUT" "[duplicate-resource]" "no duplicate across files"

# Per-environment folders: the same names in envs/dev and envs/prod.
run_sluice "${V[@]}" "$GITOPS/envs"
expect_rc 0 "envs/dev and envs/prod"
run_sluice "${V[@]}" --apply-unit "$GITOPS/envs/dev" --apply-unit "$GITOPS/envs/prod"
expect_rc 0 "each environment declared as its own unit"
expect_contains "$OUT" "4 resources checked" "--apply-unit alone walks the directories"
run_sluice "${V[@]}" --apply-unit "$GITOPS/envs"
expect_rc 1 "both environments declared as one unit"
expect_contains "$OUT" "ConfigMap settings is defined twice in apply unit $GITOPS/envs (declared)" "declared unit named"
run_sluice "${V[@]}" --apply-unit "$E2E_TMP/nope" "$GITOPS/envs"
expect_rc 2 "a declared unit that does not exist is a usage error"
expect_contains "$ERR" "no such directory" "says why"

# A whole GitOps repository: plain manifests, a kustomize base with overlays (patches, a
# generator input), per-environment folders, a Helm chart, Argo CD apps, CI and tool files.
run_sluice "${V[@]}" "$GITOPS"
expect_rc 0 "GitOps repository: no errors"
expect_contains "$OUT" "valid: 25 files, 14 resources checked, 0 skipped: 0 errors, 0 warnings, 13 notes" "summary counts notes"
expect_contains "$OUT" "apps/shop/overlays/prod/replicas.yaml: note: kustomize patch listed in $GITOPS/apps/shop/overlays/prod/kustomization.yaml:7, not validated as a complete object [kustomize-file]" "patch noted"
expect_contains "$OUT" "apps/shop/overlays/prod/resources.yaml: note: kustomize patch" "patchesStrategicMerge noted"
expect_contains "$OUT" "apps/shop/overlays/prod/settings.yaml: note: kustomize generator input" "generator input noted"
expect_contains "$OUT" "charts/api/templates/deployment.yaml: note: template, not validated: render it first" "chart template noted once"
expect_contains "$OUT" "charts/api/templates/service.yaml: note: template, not validated" "quoted {{ }} in a chart template"
expect_not_contains "$OUT" "serviceaccount.yaml" "a template without {{ }} is validated, and valid"
expect_contains "$OUT" "charts/api/Chart.yaml: note: Helm chart metadata" "Chart.yaml"
expect_contains "$OUT" "charts/api/values.yaml: note: Helm chart values" "values.yaml"
expect_contains "$OUT" "charts/api/values-prod.yaml: note: Helm chart values" "values-prod.yaml"
expect_contains "$OUT" "charts/api/ci/default-values.yaml: note: Helm chart values" "chart ci values"
expect_contains "$OUT" ".github/workflows/ci.yml: note: GitHub configuration" "GitHub workflow"
expect_contains "$OUT" "docker-compose.yml: note: Docker Compose file" "docker-compose"
expect_contains "$OUT" ".pre-commit-config.yaml: note: pre-commit configuration" "pre-commit"
expect_contains "$OUT" "mkdocs.yml: note: MkDocs configuration" "mkdocs"
expect_not_contains "$OUT" "kustomization.yaml: note" "kustomization files are understood, not noted"
run_sluice "${V[@]}" --fail-on warning "$GITOPS"
expect_rc 0 "notes never fail, even with --fail-on warning"
run_sluice "${V[@]}" -o json "$GITOPS"
expect_contains "$OUT" '"notes": 13' "json summary counts notes"
expect_contains "$OUT" '"severity": "note"' "json severity note"
run_sluice "${V[@]}" -o sarif "$GITOPS"
expect_contains "$OUT" '"level": "note"' "sarif level note"

# An overlay given alone pulls in the base it lists (what kustomize would build from it).
run_sluice "${V[@]}" "$GITOPS/apps/shop/overlays/prod"
expect_rc 0 "overlay alone"
expect_contains "$OUT" "2 resources checked" "the base's Deployment and Service are checked"

# Kustomize refuses these, so sluice does: a missing resource path (with file:line:col), a
# missing patch, and the same object from two resources of one kustomization.
run_sluice "${V[@]}" "$LAY/kustomize-broken"
expect_rc 1 "broken kustomization"
expect_contains "$OUT" "kustomize-broken/kustomization.yaml:6:5: error: resources entry \"../no-such-base\": $LAY/no-such-base does not exist [kustomization]" "missing resource path"
expect_contains "$OUT" "kustomize-broken/kustomization.yaml:8:5: error: patchesStrategicMerge entry \"missing-patch.yaml\"" "missing patch path"
expect_contains "$OUT" "settings-b.yaml:4:9: error: metadata.name: ConfigMap settings is defined twice in apply unit $LAY/kustomize-broken/kustomization.yaml (first at $LAY/kustomize-broken/settings-a.yaml:4) [duplicate-resource]" "duplicate in one kustomization"

# Two files with the same object: separate units, unless declared one.
run_sluice "${V[@]}" "$LAY/declared"
expect_rc 0 "two files, two units"
run_sluice "${V[@]}" --apply-unit "$LAY/declared/prod" "$LAY/declared"
expect_rc 1 "declared unit"
expect_contains "$OUT" "prod/b.yaml:4:9: error: metadata.name: ConfigMap settings is defined twice in apply unit $LAY/declared/prod (declared)" "declared duplicate"

# Rendered streams on stdin (helm template ... | sluice validate k8s -) are one unit, never templates.
OUT=$("$SLUICE" "${V[@]}" - < "$LAY/helm-rendered.yaml" 2>&1); RC=$?
expect_rc 0 "rendered helm stream"
expect_contains "$OUT" "valid: 1 file, 3 resources checked" "every rendered object checked"
OUT=$(cat "$LAY/helm-rendered.yaml" "$LAY/helm-rendered.yaml" | "$SLUICE" "${V[@]}" - 2>&1); RC=$?
expect_rc 1 "the same stream twice: duplicates in one unit"
expect_contains "$OUT" "-:47:9: error: metadata.name: ServiceAccount api is defined twice in standard input (first at -:7)" "stdin duplicate"

# The validate: stage takes the same apply units.
WS="$E2E_TMP/ws"
mkdir -p "$WS"
cp -r "$LAY/declared" "$WS/k8s"
cat > "$WS/sluice.yml" <<EOF
version: 1
stages:
  files:
    validate: { kubernetes: k8s, schema_location: "$SCHEMAS", strict: true, disable_checks: [all] }
  unit:
    validate: { kubernetes: k8s, schema_location: "$SCHEMAS", strict: true, disable_checks: [all], apply_units: [k8s/prod] }
EOF
run_sluice -C "$WS" run
expect_rc 1 "pipeline: the stage with the declared unit fails"
LOGS=$(cat "$WS"/.sluice/runs/*/unit.log 2>/dev/null)
expect_contains "$LOGS" "k8s/prod/b.yaml:4:9: error: metadata.name: ConfigMap settings is defined twice in apply unit k8s/prod (declared) (first at k8s/prod/a.yaml:4)" "stage log names the duplicate, workspace-relative"
if ls "$WS"/.sluice/runs/*/files.log >/dev/null 2>&1; then
  expect_not_contains "$(cat "$WS"/.sluice/runs/*/files.log)" "[duplicate-resource]" "stage without units: no duplicate"
fi

finish
