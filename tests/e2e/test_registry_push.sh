#!/usr/bin/env bash
# sluice registry push and the push: stage against Debian's real docker-registry (2.8): OCI image
# layouts written on disk by tests/e2e/make_oci_layout.py (an image, an index of two platforms)
# are pushed, checked with curl, and recorded in the workspace state; `sluice registry prune`
# then takes the image's age from that record (age source push_record) before the config's
# "created": a fresh push keeps an image whose config is 100 days old (younger_than), and the
# same record moved 40 days back makes an older_than rule delete it. Bad layouts exit 2 naming
# the file and key; behind htpasswd Basic auth the password never reaches output or state.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry_lib.sh"
cd "$E2E_TMP"
if ! command -v docker-registry >/dev/null; then
  case "${CI:-}" in
    ""|0|false) echo "SKIP: docker-registry not installed (scripts/install-deps.sh installs it)"; exit 0 ;;
    *) fail "docker-registry not installed, and CI=true"; finish; exit ;;
  esac
fi
trap 'stop_registry; rm -rf "$E2E_TMP"' EXIT
export DOCKER_CONFIG="$E2E_TMP/no-docker-config"  # never the developer's docker login
unset SLUICE_REGISTRY_USERNAME SLUICE_REGISTRY_PASSWORD
MAKE_LAYOUT="$SLUICE_SOURCE_DIR/tests/e2e/make_oci_layout.py"
ago() { date -u -d "-$1 days" +%Y-%m-%dT%H:%M:%SZ; }
sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); print("\n".join("|".join("" if v is None else str(v) for v in row) for row in r))' "$@"; }

start_registry "$E2E_TMP/plain" || { fail "registry did not start"; finish; exit; }

# ---- the push: stage --------------------------------------------------------------------------
mkdir -p ws
old_digest=$(python3 "$MAKE_LAYOUT" ws/image v1 "$(ago 100)" amd64)
cat > ws/sluice.yml <<YML
version: 1
stages:
  ship:
    push: { from: image, to: ["$REG/app:v1", "$REG/app:v1-copy"] }
YML
cd ws; run_sluice run; cd ..
expect_rc 0 "a pipeline with a push: stage"
log=$(cat ws/.sluice/runs/*/ship.log)
expect_contains "$log" "pushed $REG/app:v1 $old_digest (2 blobs uploaded, 0 already there" "the stage logs the push"
expect_contains "$log" "pushed $REG/app:v1-copy $old_digest (0 blobs uploaded, 2 already there" \
  "the second tag finds the blobs there (HEAD first)"
expect_eq "$(registry_tags app | tr '\n' ' ')" "v1 v1-copy " "both tags are in the registry"
expect_eq "$(manifest_status app "$old_digest")" "200" "the manifest is stored under the layout's digest"
run_id=$(sql ws/.sluice/state.db "SELECT id FROM runs")
expect_eq "$(sql ws/.sluice/state.db "SELECT registry, repo, tag, digest, run_id FROM registry_pushes ORDER BY id")" \
  "$REG|app|v1|$old_digest|$run_id
$REG|app|v1-copy|$old_digest|$run_id" "each push is recorded with the run's id"
pushed_ms=$(sql ws/.sluice/state.db "SELECT MAX(pushed_ms) FROM registry_pushes")
now_ms=$(($(date +%s) * 1000))
[ $((now_ms - pushed_ms)) -lt 600000 ] && pass || fail "pushed_ms $pushed_ms is not now ($now_ms)"

# ---- prune reads the push record first ------------------------------------------------------
cat > ws/policy.yml <<'YML'
keep: [{younger_than: 14d}]
delete: [{tags: ["v*", "m*"], older_than: 30d}]
YML
cd ws; run_sluice registry prune --policy policy.yml --json plan.json "$REG/app"; cd ..
expect_rc 0 "prune dry run in the workspace"
expect_contains "$OUT" "(push_record)" "the plan names the push record as the age source"
python3 - ws/plan.json "$pushed_ms" <<'PY' || fail "plan.json with a fresh push record"
import json, sys
img = json.load(open(sys.argv[1]))["repos"][0]["images"][0]
assert img["tags"] == ["v1", "v1-copy"], img["tags"]
assert img["age"]["source"] == "push_record", img["age"]
assert img["age"]["created_ms"] == int(sys.argv[2]), (img["age"], sys.argv[2])
assert img["action"] == "keep", img
PY
# Without the record (another workspace) the config's 100-day-old "created" decides.
mkdir -p elsewhere
run_sluice registry prune -C elsewhere --policy ws/policy.yml --json other.json "$REG/app"
expect_rc 0 "prune dry run without push records"
python3 - other.json <<'PY' || fail "plan.json without a push record"
import json, sys
img = json.load(open(sys.argv[1]))["repos"][0]["images"][0]
assert img["age"]["source"] == "config_created" and img["action"] == "delete", img
PY
[ -e elsewhere/.sluice ] && fail "prune created state in a workspace without any" || pass

# The record moved 40 days back: older_than now deletes it, by the push record's age.
sql ws/.sluice/state.db "UPDATE registry_pushes SET pushed_ms = pushed_ms - 40*86400000" > /dev/null
# A newer layout whose config says "1 day old": the old push record still says 40 days.
cd ws; run_sluice registry prune --policy policy.yml --json plan.json "$REG/app"; cd ..
python3 - ws/plan.json "$((pushed_ms - 40 * 86400000))" <<'PY' || fail "plan.json with a 40-day-old push record"
import json, sys
img = json.load(open(sys.argv[1]))["repos"][0]["images"][0]
assert img["age"] == {"source": "push_record", "created_ms": int(sys.argv[2])} or \
    (img["age"]["source"] == "push_record" and img["age"]["created_ms"] == int(sys.argv[2])), img["age"]
assert img["action"] == "delete" and "delete rule 1" in img["rule"], img
PY

# The prune: stage reads the same records.
cat > ws/prune.yml <<YML
version: 1
stages:
  plan:
    prune: { policy: policy.yml, repos: ["$REG/app"] }
YML
cd ws; run_sluice run -f prune.yml; cd ..
expect_rc 0 "a prune: stage"
expect_contains "$(cat ws/.sluice/runs/*/plan.log)" "DELETE" "the prune: stage plans the delete"
expect_contains "$(cat ws/.sluice/runs/*/plan.log)" "40.0d (push_record)" "the prune: stage takes the push record's age"

# ---- sluice registry push: an index of two platforms, from the command line ---------------------
multi_digest=$(python3 "$MAKE_LAYOUT" multi m1 "$(ago 1)" amd64 arm64)
cd ws; run_sluice registry push --from ../multi "$REG/app:m1"; cd ..
expect_rc 0 "registry push of an index"
expect_contains "$OUT" "pushed $REG/app:m1 $multi_digest (4 blobs uploaded, 0 already there" "the index's blobs"
children=$(python3 -c 'import json,sys; print(" ".join(m["digest"] for m in json.load(open(sys.argv[1]))["manifests"]))' \
  "multi/blobs/sha256/${multi_digest#sha256:}")
expect_eq "$(echo $children | wc -w)" "2" "the index has two children"
for c in $children; do expect_eq "$(manifest_status app "$c")" "200" "child $c pushed by digest"; done
expect_eq "$(manifest_status app "$multi_digest")" "200" "the index pushed under its digest"
expect_eq "$(sql ws/.sluice/state.db "SELECT tag, digest, run_id IS NULL FROM registry_pushes WHERE tag = 'm1'")" \
  "m1|$multi_digest|1" "a command-line push is recorded without a run"
cd ws; run_sluice registry push --from ../multi "$REG/app:m1"; cd ..
expect_contains "$OUT" "(0 blobs uploaded, 4 already there" "pushing again uploads nothing"

# The apply: the 40-day-old record deletes v1 and v1-copy, m1 (pushed now) stays.
cd ws; run_sluice registry prune --policy policy.yml --apply "$REG/app"; cd ..
expect_rc 0 "prune --apply"
expect_eq "$(registry_tags app | tr '\n' ' ')" "m1 " "only the recently pushed index is left"
expect_eq "$(manifest_status app "$old_digest")" "404" "the image with the old push record is deleted"

# ---- bad layouts and references: file:key errors, exit 2 ----------------------------------------
mkdir -p notlayout
run_sluice registry push --from notlayout "$REG/app:x"
expect_rc 2 "not a layout"
expect_contains "$ERR" "notlayout/oci-layout: missing: not an OCI image layout" "names the missing file"
cp -r multi twotags && python3 "$MAKE_LAYOUT" twotags m2 "$(ago 1)" amd64 > /dev/null
run_sluice registry push --from twotags "$REG/app:x"
expect_rc 2 "two entries, no --ref"
expect_contains "$ERR" "twotags/index.json: \"manifests\": 2 entries; name the one to push" "asks for --ref"
run_sluice registry push --from twotags --ref m2 "$REG/app:m2"
expect_rc 0 "--ref chooses the entry"
python3 - multi/index.json <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); j["manifests"][0]["size"] = "12"; json.dump(j, open(sys.argv[1], "w"))
PY
run_sluice registry push --from multi "$REG/app:x"
expect_rc 2 "a bad size"
expect_contains "$ERR" "multi/index.json: \"manifests[0].size\": missing or not a non-negative integer" "names the key"
run_sluice registry push --from twotags "$REG/app"
expect_rc 2 "no tag"
expect_contains "$ERR" "expected REGISTRY/REPO:TAG" "a repository without a tag"
cat > ws/bad.yml <<YML
version: 1
stages:
  ship:
    push: { from: ../notlayout, to: "$REG/app:bad", form: x }
YML
cd ws; run_sluice run -f bad.yml; cd ..
expect_rc 2 "a push: stage with an unknown key"
expect_contains "$ERR" "unknown key \"form\" (did you mean \"from\"?)" "the unknown key in the stage"
sed -i 's/, form: x//' ws/bad.yml
cd ws; run_sluice run -f bad.yml; cd ..
expect_rc 1 "a push: stage with a bad layout fails"
expect_contains "$(cat ws/.sluice/runs/*/ship.log)" "notlayout/oci-layout: missing: not an OCI image layout" \
  "the failed stage names the file"

# ---- ${{ }} in push: from and to, filled in when the stage starts -------------------------------
# A param (load time), an environment variable and a stage's output (run time).
mkdir -p ws2
templ_digest=$(python3 "$MAKE_LAYOUT" ws2/image t1 "$(ago 1)" amd64)
cat > ws2/sluice.yml <<YML
version: 1
params:
  version: v7
stages:
  stamp:
    run: echo "tag=build-42" >> "\$SLUICE_OUTPUT"
  ship:
    needs: [stamp]
    push:
      from: \${{ env.PUSH_DIR }}
      to: ["$REG/templ:\${{ params.version }}", "$REG/templ:\${{ stages.stamp.outputs.tag }}"]
YML
cd ws2; PUSH_DIR=image run_sluice run -p version=v8; cd ..
expect_rc 0 "a push: stage with a param, an env variable and a stage output"
expect_eq "$(registry_tags templ | tr '\n' ' ')" "build-42 v8 " "the tags are the param's and the stage output's values"
expect_eq "$(manifest_status templ "$templ_digest")" "200" "the layout named by \${{ env.PUSH_DIR }} was pushed"
expect_contains "$(cat ws2/.sluice/runs/*/ship.log)" "pushed $REG/templ:build-42 $templ_digest" "the log names the filled-in tag"
# A literal malformed tag is still refused at load, at its file:line:col; one filled in at run
# time fails the stage.
cat > ws2/badtag.yml <<YML
version: 1
stages:
  ship:
    push:
      from: image
      to:
        - $REG/templ:ok
        - "$REG/templ:bad tag!"
YML
cd ws2; run_sluice run -f badtag.yml; cd ..
expect_rc 2 "a malformed literal tag in a push: stage"
expect_contains "$ERR" "badtag.yml:8:12: \"push.to\": \"$REG/templ:bad tag!\": invalid tag" "file:line:col of the bad tag"
cat > ws2/badout.yml <<YML
version: 1
stages:
  stamp:
    run: echo "tag=bad tag" >> "\$SLUICE_OUTPUT"
  ship:
    needs: [stamp]
    push: { from: image, to: "$REG/templ:\${{ stages.stamp.outputs.tag }}" }
YML
cd ws2; run_sluice run -f badout.yml; cd ..
expect_rc 1 "a tag filled in as a malformed value fails the stage"
expect_contains "$(cat ws2/.sluice/runs/*/ship.log)" "invalid tag \"bad tag\"" "the stage log says why"
cat > ws2/badref.yml <<YML
version: 1
stages:
  ship:
    push: { from: image, ref: "\${{ env.X }}", to: "$REG/templ:x" }
YML
cd ws2; run_sluice run -f badref.yml; cd ..
expect_rc 2 "run-time placeholders outside push's from and to"
expect_contains "$ERR" "can be used in \"push.ref\"" "names the key"

# ---- a large layer is streamed from its file, not held in memory ---------------------------------
big_digest=$(LAYER_MIB=64 python3 "$MAKE_LAYOUT" big big "$(ago 1)" amd64)
cd ws; /usr/bin/time -f %M -o ../rss.txt "$SLUICE" registry push --from ../big "$REG/big:v1" > ../big.out 2> ../big.err
RC=$?; cd ..; OUT=$(cat big.out); ERR=$(cat big.err)
expect_rc 0 "pushing a 64 MiB layer"
expect_contains "$OUT" "pushed $REG/big:v1 $big_digest (2 blobs uploaded" "the large image is pushed"
layer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' \
  "big/blobs/sha256/${big_digest#sha256:}")
got=$(curl -s "http://$REG/v2/big/blobs/$layer" | sha256sum | cut -d' ' -f1)
expect_eq "sha256:$got" "$layer" "the registry serves the layer's exact bytes"
rss_kb=$(tail -1 rss.txt)
echo "peak RSS pushing a 64 MiB layer: ${rss_kb} KiB"
# The sanitizers' shadow memory is not the push's; their build checks the rest.
if [ "${SLUICE_SANITIZED:-0}" != 1 ]; then
  [ "$rss_kb" -lt 40960 ] && pass || fail "peak RSS ${rss_kb} KiB pushing a 64 MiB layer: is the blob held in memory?"
fi
# A layer changed on disk after the layout was written: refused, naming the file; nothing stored.
printf x | dd of="big/blobs/sha256/${layer#sha256:}" bs=1 seek=1000 conv=notrunc 2>/dev/null
cd ws; run_sluice registry push --from ../big "$REG/big2:v2"; cd ..  # another repository: its blobs are not there
expect_rc 1 "a layer that does not match its digest"
expect_contains "$ERR" "big/blobs/sha256/${layer#sha256:}: content does not match its digest $layer" "names the file"
expect_eq "$(registry_tags big2)" "" "no tag pushed from the changed layout"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -I "http://$REG/v2/big2/blobs/$layer")" "404" "the changed layer is not stored"
stop_registry

# ---- behind htpasswd Basic auth ----------------------------------------------------------------
start_registry "$E2E_TMP/auth" alice 's3cret-Pw!' || { fail "auth registry did not start"; finish; exit; }
cd ws; run_sluice registry push --from ../twotags --ref m2 "$REG/team/app:m2"; cd ..
expect_rc 1 "push without credentials"
expect_contains "$ERR" "asks for a user name and password (Basic auth); none were given" "says credentials are needed"
cat > ws/auth.yml <<YML
version: 1
secrets: [SLUICE_REGISTRY_PASSWORD]
stages:
  ship:
    push: { from: ../twotags, ref: m2, to: "$REG/team/app:m2" }
YML
export SLUICE_REGISTRY_USERNAME=alice SLUICE_REGISTRY_PASSWORD='s3cret-Pw!'
cd ws; run_sluice run -f auth.yml; cd ..
expect_rc 0 "a push: stage behind Basic auth"
expect_eq "$(registry_tags team/app 'alice:s3cret-Pw!')" "m2" "pushed behind auth"
expect_not_contains "$OUT$ERR$(cat ws/.sluice/runs/*/ship.log)" "s3cret-Pw!" "the password is never printed"
if grep -rqa 's3cret-Pw!' ws/.sluice; then fail "the password reached the workspace state"; else pass; fi
unset SLUICE_REGISTRY_USERNAME SLUICE_REGISTRY_PASSWORD
stop_registry
finish
