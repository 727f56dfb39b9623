#!/usr/bin/env bash
# Ctrl-C/SIGTERM/SIGQUIT/SIGPIPE: everything is cancelled, every child reaped, exit 130, no process outlives
# sluice. SIGKILL of sluice leaves the database intact and the run shows as interrupted.
. "$(dirname "$0")/lib.sh"
cd "$E2E_TMP"
export CI=true
marker="sluice-e2e-$$-$RANDOM"
count_marker() { pgrep -f "$marker" | wc -l; }

cat > sluice.yml <<YML
version: 1
defaults: { shell: bash, kill_grace: 500ms }
stages:
  a: { run: "bash -c 'sleep 60; : $marker' & bash -c 'sleep 60; : $marker'; echo never" }
  b: { run: "bash -c 'trap \"\" TERM; sleep 60; : $marker'" }
  c: { run: "true", needs: [a] }
  d: { run: "true" }
YML

"$SLUICE" run -j 3 > out.txt 2>&1 &
pid=$!
for _ in $(seq 50); do [ "$(count_marker)" -ge 3 ] && break; sleep 0.1; done
[ "$(count_marker)" -ge 3 ] && pass || fail "stage processes are running ($(count_marker))"
kill -INT $pid
wait $pid; rc=$?
expect_eq "$rc" "130" "SIGINT exits 130"
expect_eq "$(count_marker)" "0" "no process outlives sluice after SIGINT"
expect_contains "$(cat out.txt)" "[cancelled] a" "running stages are cancelled"

"$SLUICE" run -j 3 > out2.txt 2>&1 &
pid=$!
for _ in $(seq 50); do [ "$(count_marker)" -ge 3 ] && break; sleep 0.1; done
# Without this the "nothing outlives" check below could pass on a run that never started them.
[ "$(count_marker)" -ge 3 ] && pass || fail "stage processes are running before SIGTERM ($(count_marker))"
kill -TERM $pid
wait $pid; rc=$?
expect_eq "$rc" "130" "SIGTERM exits 130"
expect_eq "$(count_marker)" "0" "no process outlives sluice after SIGTERM"

# SIGQUIT (Ctrl-\) stops a run like SIGTERM: stages cancelled, nothing survives, exit 130.
# (A non-interactive shell starts background jobs with SIGQUIT ignored; a terminal does not.)
env --default-signal=QUIT "$SLUICE" run -j 3 > out4.txt 2>&1 &
pid=$!
for _ in $(seq 50); do [ "$(count_marker)" -ge 3 ] && break; sleep 0.1; done
kill -QUIT $pid
wait $pid; rc=$?
expect_eq "$rc" "130" "SIGQUIT exits 130"
expect_eq "$(count_marker)" "0" "no process outlives sluice after SIGQUIT"
pkill -KILL -f "$marker" 2>/dev/null

# SIGPIPE: the reader of --output stream goes away (`| head -3`). sluice must not die on the
# write: it cancels the stages like SIGTERM, reaps them and exits 141.
mkdir pipe && cat > pipe/sluice.yml <<YML
version: 1
defaults: { shell: bash, kill_grace: 500ms }
stages:
  chatty: { run: "for i in \$(seq 600); do echo line \$i; sleep 0.05; done; : $marker" }
  quiet: { run: "sleep 60; : $marker" }
YML
"$SLUICE" -C pipe run -j 2 --output stream 2> pipe/err.txt | head -3 > pipe/head.txt
rc=${PIPESTATUS[0]}
expect_eq "$rc" "141" "sluice exits 141 when its stdout is closed"
expect_eq "$(count_marker)" "0" "no process outlives sluice after SIGPIPE"
expect_eq "$(wc -l < pipe/head.txt | tr -d ' ')" "3" "the reader got its 3 lines"
run_sluice -C pipe runs
expect_eq "$(echo "$OUT" | sed -n 2p | awk '{print $3}')" "interrupted" "the SIGPIPEd run is recorded as interrupted"
pkill -KILL -f "$marker" 2>/dev/null

# SIGKILL: sluice cannot clean up, but the record survives and shows the run as interrupted,
# and each stage's process group is recorded (with its leader's start time and the boot id).
kill_run() { # starts a run, waits for its stages, SIGKILLs sluice
  "$SLUICE" run -j 3 > "$1" 2>&1 &
  pid=$!
  for _ in $(seq 50); do [ "$(count_marker)" -ge 3 ] && break; sleep 0.1; done
  # Until the group commit has put both stages' process groups on disk (a fixed sleep was too
  # short on a loaded machine).
  for _ in $(seq 100); do
    [ "$(sqlite3 .sluice/state.db "SELECT count(*) FROM stages s JOIN runs r ON r.id = s.run_id
          WHERE r.status = 'running' AND s.name IN ('a', 'b') AND s.pgid IS NOT NULL" 2>/dev/null)" = 2 ] && break
    sleep 0.05
  done
  kill -KILL $pid
  wait $pid 2>/dev/null
}
kill_run out3.txt
sleep 0.2
expect_eq "$(count_marker)" "4" "a SIGKILLed sluice leaves its stages running"
run_sluice runs
expect_rc 0 "runs after SIGKILL"
expect_eq "$(echo "$OUT" | sed -n 2p | awk '{print $3}')" "interrupted" "killed run shows as interrupted"
run_sluice report last
expect_rc 0 "report of the killed run"
expect_contains "$OUT" "interrupted" "report shows interrupted"

# A recorded group whose leader now has another start time is a reused PID: never signalled.
db=.sluice/state.db
sqlite3 "$db" "UPDATE stages SET pgid_start = pgid_start + 1 WHERE name = 'a' AND pgid IS NOT NULL"
run_sluice runs --reap
expect_rc 0 "runs --reap"
expect_not_contains "$OUT" 'stage "a"' "a group whose leader's start time differs is left alone"
expect_contains "$OUT" 'leftover processes of interrupted run' "runs --reap stops the leftovers"
expect_contains "$OUT" 'stage "b"' "runs --reap names the stage"
expect_eq "$(count_marker)" "3" "only stage a's processes (the mismatched record) survive --reap"
pkill -KILL -f "$marker" 2>/dev/null
sleep 0.2

# The next sluice run in the workspace stops the leftovers of a SIGKILLed run before it starts.
kill_run out5.txt
expect_eq "$(count_marker)" "4" "leftovers after the second SIGKILL"
run_sluice run --only d
expect_rc 0 "the next run succeeds"
expect_contains "$ERR" 'stage "a"' "the next run stops stage a's group"
expect_contains "$ERR" 'stage "b"' "and stage b's (SIGKILL after the grace)"
expect_eq "$(count_marker)" "0" "nothing of the SIGKILLed run survives the next run"
run_sluice runs --reap
expect_eq "$(echo "$OUT" | grep -c 'stopped')" "0" "leftovers are stopped once"
pkill -KILL -f "$marker" 2>/dev/null

finish
