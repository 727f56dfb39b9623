#!/usr/bin/env bash
# sluice prune: dry run, --apply, each limit, bad values, --json, the pipeline's cache: section,
# and pruning beside a concurrent run (which must never see a damaged entry or leave a row
# whose blobs are gone).
. "$(dirname "$0")/lib.sh"
cd "$E2E_TMP"
export CI=true
if ! command -v sqlite3 >/dev/null; then
  fail "sqlite3 CLI missing (apt-get install sqlite3)"
  finish; exit
fi
DB=.sluice/state.db

cat > sluice.yml <<'YML'
version: 1
stages:
  build:
    run: cat in.txt > out.txt; cat in.txt > shared.txt; echo x >> shared.txt; echo built
    inputs: [in.txt]
    outputs: [out.txt]
  pack:
    run: echo packed > pack.txt
    cache: true
    outputs: [pack.txt]
YML

# Every step-cache row's blobs exist: the invariant a prune must never break.
dangling_rows() {
  local n=0 blob
  for blob in $(sqlite3 "$DB" "SELECT j.value ->> 'blob' FROM step_cache, json_each(step_cache.outputs) j"); do
    [ -f ".sluice/cas/${blob:0:2}/${blob:2}" ] || n=$((n + 1))
  done
  echo "$n"
}

echo one > in.txt; run_sluice run; expect_rc 0 "run 1"
echo two > in.txt; run_sluice run; expect_rc 0 "run 2"
echo three > in.txt; run_sluice run; expect_rc 0 "run 3"
expect_eq "$(sqlite3 "$DB" "SELECT COUNT(*) FROM step_cache")" "4" "three build entries and one pack entry"
blobs_before=$(find .sluice/cas -type f | wc -l)

# Bad values: exit 2, the value quoted.
run_sluice prune --older-than 7x; expect_rc 2 "bad duration"
expect_contains "$ERR" '--older-than: invalid duration "7x"' "says which flag and value"
run_sluice prune --max-size 2Q; expect_rc 2 "bad size"
expect_contains "$ERR" '--max-size: invalid size "2Q"' "says which flag and value"
run_sluice prune --keep-runs -1; expect_rc 2 "negative --keep-runs"
run_sluice prune; expect_rc 2 "no limit at all"
expect_contains "$ERR" "nothing to prune by" "says what to give"
run_sluice cache stats --max-size lots; expect_rc 2 "cache stats checks the limits too"

# Dry run by default: says what would go, deletes nothing.
run_sluice prune --keep-runs 1
expect_rc 0 "dry run"
expect_contains "$OUT" "dry run, nothing deleted" "says it is a dry run"
expect_contains "$OUT" "runs            would delete 2 of 3" "two older runs would go"
expect_eq "$(sqlite3 "$DB" "SELECT COUNT(*) FROM runs")" "3" "dry run keeps the runs"
expect_eq "$(find .sluice/cas -type f | wc -l)" "$blobs_before" "dry run keeps the blobs"

run_sluice cache stats
expect_contains "$OUT" "step cache       4 entries" "stats: step cache size"
expect_contains "$OUT" "runs             3 recorded" "stats: runs"
run_sluice cache stats --keep-runs 1 --json
expect_eq "$(echo "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["prune_would_reclaim"]["runs"])')" "2" \
  "stats estimates a prune"

# --keep-runs: older runs and their logs go; what the newest run used stays a hit.
first_run=$(sqlite3 "$DB" "SELECT id FROM runs ORDER BY seq LIMIT 1")
run_sluice prune --keep-runs 1 --apply
expect_rc 0 "--keep-runs --apply"
expect_contains "$OUT" "runs            deleted 2 of 3" "deletes the older runs"
expect_eq "$(sqlite3 "$DB" "SELECT COUNT(*) FROM runs")" "1" "one run left"
expect_eq "$(sqlite3 "$DB" "SELECT COUNT(*) FROM stages WHERE run_id = '$first_run'")" "0" "its stages went too"
[ -e ".sluice/runs/$first_run" ] && fail "the old run's logs are still there" || pass
run_sluice run; expect_rc 0 "run after --keep-runs"
expect_contains "$OUT" "[cached] build" "the kept run's entry is still a hit"

# --older-than: entries not used since go, with the blobs only they reference.
now=$(( $(date +%s) * 1000 )); old=$(( now - 10 * 86400 * 1000 ))
sqlite3 "$DB" "UPDATE step_cache SET last_used_ms = $old WHERE key NOT IN (SELECT cache_key FROM stages WHERE cache_key IS NOT NULL)"
stale=$(sqlite3 "$DB" "SELECT COUNT(*) FROM step_cache WHERE last_used_ms = $old")
run_sluice prune --older-than 7d --apply --json
expect_rc 0 "--older-than --apply --json"
expect_eq "$(echo "$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["delete"]["step_cache"]["entries"])')" \
  "$stale" "deletes the entries unused for 7 days"
expect_eq "$(sqlite3 "$DB" "SELECT COUNT(*) FROM step_cache")" "2" "the entries the last run used stay"
expect_eq "$(dangling_rows)" "0" "no row lost a blob"
expect_eq "$(find .sluice/cas -type f | wc -l)" "2" "only the kept entries' blobs are left"

# --max-size: least recently used first.
echo four > in.txt; run_sluice run; expect_rc 0 "run 4"
sqlite3 "$DB" "UPDATE step_cache SET last_used_ms = 1 WHERE key = (SELECT cache_key FROM stages s JOIN runs r ON r.id = s.run_id WHERE s.name = 'build' ORDER BY r.seq LIMIT 1)"
run_sluice prune --max-size 15 --apply
expect_rc 0 "--max-size --apply"
expect_contains "$OUT" "step cache      deleted 1 of 3" "the least recently used entry goes"
expect_eq "$(dangling_rows)" "0" "no row lost a blob after --max-size"

# The pipeline's cache: section prunes after the summary, keeping what the run used.
cat > auto.yml <<'YML'
version: 1
cache: { max_size: 1, max_age: 30d }
stages:
  build:
    run: cat in.txt > out.txt
    inputs: [in.txt]
    outputs: [out.txt]
YML
echo five > in.txt
out=$("$SLUICE" run -f auto.yml 2>&1); rc=$?
expect_eq "$rc" "0" "a run with cache: limits"
expect_contains "$out" "cache pruned" "it prunes"
summary_line=$(echo "$out" | grep -n "^sluice: success" | cut -d: -f1)
prune_line=$(echo "$out" | grep -n "cache pruned" | cut -d: -f1)
[ "${summary_line:-0}" -gt 0 ] && [ "${summary_line:-0}" -lt "${prune_line:-0}" ] && pass || fail "the summary prints before the prune: $out"
run_sluice run -f auto.yml; expect_contains "$OUT" "[cached] build" "the entry of the run that pruned stays a hit"
printf 'version: 1\ncache: { max_size: 5X }\nstages:\n  a:\n    run: "true"\n' > bad.yml
run_sluice run -f bad.yml; expect_rc 2 "a bad cache: size is a pipeline error"
expect_contains "$ERR" 'max_size: invalid size "5X"' "says why"

# Beside a concurrent run: prune everything prunable in a loop while runs restore and save.
cat > busy.yml <<'YML'
version: 1
stages:
YML
for i in $(seq 1 12); do
  printf '  s%d:\n    run: cat in.txt > o%d.txt; echo %d >> o%d.txt\n    inputs: [in.txt]\n    outputs: [o%d.txt]\n' \
    "$i" "$i" "$i" "$i" "$i" >> busy.yml
done
"$SLUICE" run -f busy.yml >/dev/null 2>&1
( for _ in $(seq 1 25); do "$SLUICE" prune --max-size 1 --apply >/dev/null 2>>prune.err || echo "prune failed" >> prune.err; done ) &
pruner=$!
bad=0
for i in $(seq 1 25); do
  [ $((i % 3)) -eq 0 ] && echo "v$i" > in.txt
  if ! "$SLUICE" run -f busy.yml -j 4 > "busy.$i.out" 2>&1; then bad=$((bad + 1)); cat "busy.$i.out" >&2; fi
  grep -q "damaged" "busy.$i.out" && { fail "run $i saw a damaged entry: $(grep damaged "busy.$i.out")"; }
done
wait "$pruner"
expect_eq "$bad" "0" "every concurrent run succeeds"
expect_eq "$(cat prune.err 2>/dev/null)" "" "every concurrent prune succeeds"
expect_eq "$(dangling_rows)" "0" "no row lost a blob to a concurrent prune"

# A SIGKILLed prune leaves no row without its blobs; the next prune takes what it left.
mkdir -p crash && cd crash
mkdir -p .sluice && "$SLUICE" cache stats >/dev/null
python3 - <<'PY'
import hashlib, os
rows = []
for i in range(6000):
    content = f"crash blob {i}\n".encode()
    h = hashlib.sha256(content).hexdigest()
    os.makedirs(f".sluice/cas/{h[:2]}", exist_ok=True)
    open(f".sluice/cas/{h[:2]}/{h[2:]}", "wb").write(content)
    rows.append(f"('k{i}','s','[{{\"blob\":\"{h}\",\"mode\":420,\"path\":\"o{i}\"}}]',1,1,1)")
with open("fill.sql", "w") as f:
    f.write("BEGIN;\n")
    for j in range(0, len(rows), 500):
        f.write("INSERT INTO step_cache (key, stage, outputs, created_ms, last_used_ms, duration_ms) VALUES " + ",".join(rows[j:j+500]) + ";\n")
    f.write("COMMIT;\n")
PY
sqlite3 "$DB" < fill.sql
for delay in 0.05 0.15 0.3; do
  "$SLUICE" prune --older-than 1d --apply >/dev/null 2>&1 &
  victim=$!
  sleep "$delay"; kill -KILL "$victim" 2>/dev/null; wait "$victim" 2>/dev/null
  expect_eq "$(dangling_rows)" "0" "no dangling row after a SIGKILL at ${delay}s"
done
run_sluice prune --older-than 1d --apply
expect_rc 0 "prune after the crashes"
expect_eq "$(sqlite3 "$DB" "SELECT COUNT(*) FROM step_cache")" "0" "every old entry gone"
expect_eq "$(find .sluice/cas -type f | wc -l)" "0" "the blobs a killed prune left are gone too"
cd ..

finish
