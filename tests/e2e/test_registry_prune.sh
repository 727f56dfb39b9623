#!/usr/bin/env bash
# sluice registry prune against Debian's real docker-registry (2.8): images pushed with sluice's
# own push client (OCI and Docker schema 2, an index of two platforms, a digest with two tags,
# old / missing / epoch timestamps, 1,200 tags), a dry run that changes nothing, --apply that
# leaves exactly the expected tags (listed with curl afterwards), max_deletions, bad policies,
# an ECR lifecycle policy; then the same behind htpasswd Basic auth.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry_lib.sh"
cd "$E2E_TMP"
SEED="${SLUICE_BUILD_DIR:-$(dirname "$SLUICE")}/sluice_registry_seed"
if ! command -v docker-registry >/dev/null; then
  case "${CI:-}" in
    ""|0|false) echo "SKIP: docker-registry not installed (scripts/install-deps.sh installs it)"; exit 0 ;;
    *) fail "docker-registry not installed, and CI=true"; finish; exit ;;
  esac
fi
[ -x "$SEED" ] || { fail "no seed tool at $SEED"; finish; exit; }
trap 'stop_registry; rm -rf "$E2E_TMP"' EXIT
export DOCKER_CONFIG="$E2E_TMP/no-docker-config"  # never the developer's docker login

ago() { date -u -d "-$1 days" +%Y-%m-%dT%H:%M:%SZ; }
EPOCH=1970-01-01T00:00:00Z
cat > spec.json <<JSON
{"images": [
  {"tags": ["v1.0", "pr-7"], "format": "oci", "created": "$(ago 40)"},
  {"tags": ["pr-8"], "format": "docker", "created": "$(ago 40)"},
  {"tags": ["pr-9"], "format": "oci", "created": "$EPOCH"},
  {"tags": ["pr-10"], "format": "oci"},
  {"tags": ["pr-11"], "format": "oci", "created": "$EPOCH", "label_created": "$(ago 30)"},
  {"tags": ["multi-old"], "format": "oci", "annotation_created": "$(ago 30)",
   "index": [{"architecture": "amd64", "created": "$(ago 30)"}, {"architecture": "arm64", "created": "$(ago 30)"}]},
  {"tags": ["multi-new"], "format": "docker",
   "index": [{"architecture": "amd64", "created": "$(ago 1)"}, {"architecture": "arm64", "created": "$(ago 1)"}]},
  {"tags": ["latest", "pr-12"], "format": "docker", "created": "$(ago 40)"},
  {"tags": ["fresh", "pr-13"], "format": "oci", "created": "$(ago 1)"},
  {"tags": ["stable"], "format": "oci", "created": "$(ago 100)"}BULK
]}
JSON
cat > policy.yml <<'YML'
keep: [{tags: ["v*"]}, {younger_than: 14d}]
delete: [{tags: ["pr-*", "multi-*", "bulk-*"], older_than: 3d}]
protect_tags: [latest, stable]
max_deletions: 2000
YML
EXPECTED_LEFT="fresh latest multi-new pr-10 pr-13 pr-9 stable v1.0"

# ---- plain registry, with 1,200 more tags on one recent image ----------------------------------
# (kept: docker-registry 2.8 takes ~15 s on a busy machine to delete a digest with 1,200 tags)
start_registry "$E2E_TMP/plain" || { fail "registry did not start"; finish; exit; }
bulk_tags=$(python3 -c 'print(", ".join("\"bulk-%04d\"" % i for i in range(1200)))')
sed "s/BULK/,\n  {\"tags\": [$bulk_tags], \"format\": \"oci\", \"created\": \"$(ago 1)\"}/" spec.json > spec-bulk.json
if ! "$SEED" spec-bulk.json "$REG/app" > pushed.txt; then fail "seeding the registry"; finish; exit; fi
# A second repository without the 1,200 tags, for the checks that need no big listing.
sed 's/BULK//' spec.json > spec-small.json
"$SEED" spec-small.json "$REG/small" > /dev/null || fail "seeding the small repository"
small_before=$(registry_tags small)
digest_of_tag() { awk -v t="$1" '$1 == t { print $2 }' pushed.txt; }
expect_eq "$(registry_tags app | wc -l)" "1213" "every tag pushed (1,213)"
# docker-registry 2.8 ignores n (and last) on the tag list and sends no Link (docs/prune.md,
# "What the Distribution API cannot show"), so this registry cannot show sluice following pages
# (src/registry/client_test.cpp does). Should a newer registry paginate, this fails: then assert
# here that the 1,213-tag plan below fetched more than one page.
page=$(curl -s -D page.headers "http://$REG/v2/app/tags/list?n=10" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tags"]))')
expect_eq "$page" "1213" "docker-registry 2.8 answers ?n=10 with every tag in one page"
expect_eq "$(grep -ci '^link:' page.headers)" "0" "and without a Link header"
before=$(registry_tags app)
multi_old=$(digest_of_tag multi-old)
children=$(curl -s -H 'Accept: application/vnd.oci.image.index.v1+json' "http://$REG/v2/app/manifests/$multi_old" |
  python3 -c 'import json,sys; print(" ".join(m["digest"] for m in json.load(sys.stdin)["manifests"]))')
expect_eq "$(echo $children | wc -w)" "2" "the index has two platform children"

# Dry run: the plan, the JSON, and nothing changed.
run_sluice registry prune --policy policy.yml --json plan.json "$REG/app"
expect_rc 0 "dry run"
expect_contains "$OUT" "dry run, nothing deleted" "dry run says so"
expect_contains "$OUT" "1213 tags on 11 images" "every tag and image planned"
expect_contains "$OUT" "untag pr-7: delete rule 1" "the digest with a kept tag is untagged"
expect_contains "$OUT" "the digest keeps \"v1.0\"" "and says which tag keeps it"
expect_contains "$OUT" "age unknown: epoch timestamp" "an epoch timestamp is an unknown age"
expect_contains "$OUT" "age unknown: no timestamp" "a missing timestamp is an unknown age"
expect_contains "$OUT" "with 2 child manifests of the index" "the index goes with its children"
expect_eq "$(registry_tags app)" "$before" "a dry run deletes nothing"
python3 - plan.json <<'PY' || fail "plan.json"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["applied"] is False, j["applied"]
r = j["repos"][0]
t = r["totals"]
assert t["tags"] == 1213 and t["delete_images"] == 3 and t["untag_tags"] == 2, t
assert t["bytes_reclaimed"] > 0 and t["bytes_total"] > t["bytes_reclaimed"], t
by_tag = {tag: i for i in r["images"] for tag in i["tags"]}
assert by_tag["pr-11"]["age"]["source"] == "label", by_tag["pr-11"]["age"]
assert by_tag["multi-old"]["age"]["source"] == "annotation", by_tag["multi-old"]["age"]
assert by_tag["pr-8"]["age"]["source"] == "config_created"
assert by_tag["pr-9"]["age"]["source"] == "unknown" and "epoch" in by_tag["pr-9"]["age"]["note"]
assert by_tag["pr-7"]["action"] == "untag" and by_tag["pr-7"]["delete_tags"] == ["pr-7"]
assert by_tag["pr-13"]["action"] == "keep", by_tag["pr-13"]
assert by_tag["multi-new"]["action"] == "keep"
assert by_tag["multi-old"]["action"] == "delete" and len(by_tag["multi-old"]["delete_children"]) == 2
assert "delete rule 1" in by_tag["pr-8"]["rule"] and "policy.yml:2:" in by_tag["pr-8"]["rule"]
PY

# max_deletions aborts the apply before anything is deleted.
sed 's/max_deletions: 2000/max_deletions: 4/' policy.yml > capped.yml
run_sluice registry prune --policy capped.yml --apply "$REG/small"
expect_rc 1 "over max_deletions"
expect_contains "$ERR" "the plan deletes 5 (images and untagged tags), more than max_deletions 4: nothing was deleted" "the cap says why"
expect_eq "$(registry_tags small)" "$small_before" "an apply over the cap deletes nothing"

# --apply leaves exactly the expected tags.
run_sluice registry prune --policy policy.yml --apply --json applied.json "$REG/app"
expect_rc 0 "apply"
expect_contains "$OUT" "applied: deleted 3 images (and 2 child manifests), untagged 2 tags" "apply counts"
expect_eq "$(registry_tags app | grep -v '^bulk-' | tr '\n' ' ' | sed 's/ $//')" "$EXPECTED_LEFT" "what is left after --apply"
expect_eq "$(registry_tags app | grep -c '^bulk-')" "1200" "the 1,200 recent tags are kept (younger_than)"
expect_eq "$(manifest_status app "$(digest_of_tag v1.0)")" "200" "the untagged digest stays (v1.0 keeps it)"
expect_eq "$(manifest_status app "$multi_old")" "404" "the old index is gone"
for c in $children; do expect_eq "$(manifest_status app "$c")" "404" "the old index's child $c is gone"; done
expect_eq "$(manifest_status app "$(digest_of_tag pr-8)")" "404" "a deleted digest is gone"
run_sluice registry prune --policy policy.yml "$REG/app"
expect_contains "$OUT" "total: delete 0 images (0 tags), untag 0 tags" "a second run has nothing left to do"

# An ECR lifecycle policy: keep the 2 most recently pushed, expire the rest (dry run).
cat > ecr.json <<'JSON'
{"rules": [{"rulePriority": 1, "description": "keep v", "selection": {"tagStatus": "tagged",
  "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countNumber": 5}, "action": {"type": "expire"}},
 {"rulePriority": 2, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 2},
  "action": {"type": "expire"}}]}
JSON
run_sluice registry prune --ecr-policy ecr.json --json ecr-plan.json "$REG/small"
expect_rc 0 "ECR policy dry run"
expect_contains "$OUT" "ECR rule priority 2 (ecr.json:" "the ECR rule that decided is named"
python3 - ecr-plan.json <<'PY' || fail "ecr-plan.json"
import json, sys
r = json.load(open(sys.argv[1]))["repos"][0]
acts = {tag: i["action"] for i in r["images"] for tag in i["tags"]}
# Unknown ages (pr-9, pr-10) rank newest and fill the count of 2; v1.0 is selected by rule 1.
assert acts["pr-8"] == "delete" and acts["multi-old"] == "delete", acts
assert acts["v1.0"] == "keep" and acts["pr-9"] == "keep" and acts["pr-10"] == "keep", acts
assert acts["stable"] == "delete" and acts["fresh"] == "delete" and acts["multi-new"] == "delete", acts
assert acts["pr-13"] == "delete", acts  # an expired image goes with all its tags
PY
expect_eq "$(registry_tags small)" "$small_before" "the ECR dry run deleted nothing"

# The prune: stage kind, with the same policy language.
mkdir -p ws && printf 'delete: [{tags: ["pr-9"]}]\n' > ws/retention.yml
cat > ws/sluice.yml <<YML
version: 1
stages:
  plan-only:
    prune: { policy: retention.yml, repos: ["$REG/small"] }
  clean:
    needs: [plan-only]
    prune: { policy: retention.yml, repos: ["$REG/small"], apply: true }
YML
cd ws; run_sluice run; cd ..
expect_rc 0 "a pipeline with prune: stages"
expect_contains "$(cat ws/.sluice/runs/*/plan-only.log)" "dry run, nothing deleted" "the prune: stage logs its plan"
expect_contains "$(cat ws/.sluice/runs/*/clean.log)" "applied: deleted 1 images" "the applying prune: stage deletes"
expect_eq "$(registry_tags small)" "$(echo "$small_before" | grep -v '^pr-9$')" "the prune: stage removed pr-9 alone"
printf 'delete: [{tags: ["pr-9"], older_than: 2x}]\n' > ws/retention.yml
cd ws; run_sluice run; cd ..
expect_rc 1 "a prune: stage with a bad policy fails"
expect_contains "$(cat ws/.sluice/runs/*/clean.log ws/.sluice/runs/*/plan-only.log 2>/dev/null)" \
  "retention.yml:1:39: \"older_than\": invalid duration" "the stage names file:line:col"
printf 'version: 1\nstages:\n  p:\n    prune: { policy: r.yml }\n' > ws/bad.yml
cd ws; run_sluice run -f bad.yml; cd ..
expect_rc 2 "a prune: stage without repos"
expect_contains "$ERR" "\"prune\" needs \"repos\"" "a prune: stage without repos is a pipeline error"

# Bad input: file:line:col and exit 2.
printf 'keep: [{newest: 5}]\ndelete: [{tags: ["pr-*"], older_than: 3q}]\n' > bad.yml
run_sluice registry prune --policy bad.yml "$REG/app"
expect_rc 2 "bad duration"
expect_contains "$ERR" "bad.yml:2:39: \"older_than\": invalid duration \"3q\"" "bad duration names file:line:col"
printf 'keep: [{tagz: [v1]}]\n' > bad2.yml
run_sluice registry prune --policy bad2.yml "$REG/app"
expect_rc 2 "unknown key"
expect_contains "$ERR" "bad2.yml:1:9: unknown key \"tagz\" (did you mean \"tags\"?)" "unknown key"
run_sluice registry prune "$REG/app"
expect_rc 2 "no policy"
run_sluice registry prune --policy policy.yml "$REG/app:latest"
expect_rc 2 "a tag is not a repository"
stop_registry

# ---- behind htpasswd Basic auth ----------------------------------------------------------------
start_registry "$E2E_TMP/auth" alice 's3cret-Pw!' || { fail "auth registry did not start"; finish; exit; }
"$SEED" spec-small.json "$REG/team/app" --user alice --password 's3cret-Pw!' > pushed.txt || fail "seeding with auth"
auth_before=$(registry_tags team/app 'alice:s3cret-Pw!')
expect_eq "$(echo "$auth_before" | wc -l)" "13" "every tag pushed behind auth"
run_sluice registry prune --policy policy.yml "$REG/team/app"
expect_rc 1 "no credentials"
expect_contains "$ERR" "asks for a user name and password (Basic auth); none were given" "says credentials are needed"
SLUICE_REGISTRY_USERNAME=alice SLUICE_REGISTRY_PASSWORD=wrong run_sluice registry prune --policy policy.yml "$REG/team/app"
expect_rc 1 "wrong password"
expect_contains "$ERR" "the user name and password were refused" "wrong password refused"
# docker login's config.json: the "auth" of the registry's host.
mkdir -p dockercfg
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$REG" "$(printf '%s' 'alice:s3cret-Pw!' | base64)" > dockercfg/config.json
DOCKER_CONFIG="$E2E_TMP/dockercfg" run_sluice registry prune --policy policy.yml "$REG/team/app"
expect_rc 0 "credentials from DOCKER_CONFIG/config.json"
expect_contains "$OUT" "13 tags on 10 images" "planned with docker login's credentials"
export SLUICE_REGISTRY_USERNAME=alice SLUICE_REGISTRY_PASSWORD='s3cret-Pw!'
run_sluice registry prune --policy policy.yml "$REG/team/app"
expect_rc 0 "dry run with auth"
expect_eq "$(registry_tags team/app 'alice:s3cret-Pw!')" "$auth_before" "dry run with auth deletes nothing"
run_sluice registry prune --policy policy.yml --apply "$REG/team/app"
expect_rc 0 "apply with auth"
expect_not_contains "$OUT$ERR" "s3cret-Pw!" "the password is never printed"
expect_eq "$(registry_tags team/app 'alice:s3cret-Pw!' | tr '\n' ' ' | sed 's/ $//')" "$EXPECTED_LEFT" \
  "what is left after --apply behind auth"
unset SLUICE_REGISTRY_USERNAME SLUICE_REGISTRY_PASSWORD
stop_registry
finish
