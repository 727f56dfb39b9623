#!/usr/bin/env bash
# sluice validate k8s: exit codes, output formats, stdin, options.
. "$(dirname "$0")/lib.sh"
SCHEMAS="${SLUICE_SHARED_DIR:-}/data/k8s-schemas"
require_shared "$SCHEMAS"
FX="$SLUICE_SOURCE_DIR/tests/fixtures/k8s"
V=(validate k8s --schema-location "$SCHEMAS")

run_sluice "${V[@]}" --strict "$FX/valid.yaml"
expect_rc 0 "valid manifest"
expect_contains "$OUT" "valid: 1 file, 2 resources checked, 0 skipped: 0 errors, 0 warnings, 0 notes" "summary line"

run_sluice "${V[@]}" --strict --disable-check all "$FX/unknown-field.yaml"
expect_rc 1 "unknown field is an error with --strict"
expect_contains "$OUT" "unknown-field.yaml:14:7: error: spec.containers[0].imagePulPolicy: unknown field \"imagePulPolicy\" (did you mean \"imagePullPolicy\"?)" "file:line:col, path, suggestion"

run_sluice "${V[@]}" --disable-check all "$FX/unknown-field-lenient.yaml"
expect_rc 0 "without --strict an unknown field is a warning"
run_sluice "${V[@]}" --disable-check all --fail-on warning "$FX/unknown-field-lenient.yaml"
expect_rc 1 "--fail-on warning"

run_sluice "${V[@]}" "$FX/checks.yaml"
expect_rc 0 "best-practice findings are warnings"
expect_contains "$OUT" "[service-selector]" "service selector check"
run_sluice "${V[@]}" --disable-check image-tag,service-selector "$FX/checks.yaml"
expect_not_contains "$OUT" "[image-tag]" "--disable-check takes a list"
expect_not_contains "$OUT" "[service-selector]" "--disable-check second id"
run_sluice "${V[@]}" --disable-check image-tags "$FX/checks.yaml"
expect_rc 2 "unknown check id is a usage error"
expect_contains "$ERR" "did you mean \"image-tag\"" "check id suggestion"

run_sluice "${V[@]}" "$FX/missing-schema.yaml"
expect_rc 1 "missing schema is an error"
run_sluice "${V[@]}" --ignore-missing-schemas "$FX/missing-schema.yaml"
expect_rc 0 "--ignore-missing-schemas"
run_sluice "${V[@]}" --skip Widget,Deployment "$FX/missing-schema.yaml"
expect_rc 0 "--skip kinds"

OUT=$(printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: From_Stdin}\n' | "$SLUICE" "${V[@]}" -o json - 2>/dev/null); RC=$?
expect_rc 1 "stdin with a bad name"
expect_contains "$OUT" '"rule": "name"' "json output rule"
expect_contains "$OUT" '"file": "-"' "stdin is named -"

run_sluice "${V[@]}" -o sarif --disable-check all "$FX/types.yaml"
expect_rc 1 "sarif exit code"
expect_contains "$OUT" '"version": "2.1.0"' "sarif version"
expect_contains "$OUT" '"startLine": 12' "sarif region"
run_sluice "${V[@]}" -o junit --disable-check all "$FX/types.yaml"
expect_contains "$OUT" '<testsuite name="sluice validate k8s" tests="1" failures="3"' "junit"

run_sluice "${V[@]}" "$E2E_TMP/does-not-exist.yaml"
expect_rc 2 "missing input file is an I/O error"
run_sluice validate k8s "$FX/valid.yaml"
expect_rc 2 "no schema location"
expect_contains "$ERR" "--schema-location" "says what to pass"
run_sluice "${V[@]}" -o xml "$FX/valid.yaml"
expect_rc 2 "bad output format"

# A directory: recursive; each file is its own apply unit, so the same object in two files is
# not a duplicate unless the directory is declared one apply unit.
mkdir -p "$E2E_TMP/dir/sub"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n' > "$E2E_TMP/dir/a.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n' > "$E2E_TMP/dir/sub/b.yml"
run_sluice "${V[@]}" "$E2E_TMP/dir"
expect_rc 0 "the same object in two files of a directory: two apply units"
run_sluice "${V[@]}" --apply-unit "$E2E_TMP/dir"
expect_rc 1 "--apply-unit DIR makes the directory one unit"
expect_contains "$OUT" "[duplicate-resource]" "duplicate rule"
expect_contains "$OUT" "defined twice in apply unit $E2E_TMP/dir (declared)" "names the unit"

# Template location (kubeconform style).
run_sluice validate k8s --schema-location "$SCHEMAS/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
  --schema-location "$SCHEMAS" --strict "$FX/valid.yaml"
expect_rc 0 "template location falls back to the directory for core kinds"

finish
