#!/usr/bin/env bash
# Ctrl-C/SIGTERM: everything is cancelled, every child reaped, exit 130, no process outlives
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
kill -TERM $pid
wait $pid; rc=$?
expect_eq "$rc" "130" "SIGTERM exits 130"
expect_eq "$(count_marker)" "0" "no process outlives sluice after SIGTERM"

# SIGKILL: sluice cannot clean up, but the record survives and shows the run as interrupted.
"$SLUICE" run -j 3 > out3.txt 2>&1 &
pid=$!
for _ in $(seq 50); do [ "$(count_marker)" -ge 3 ] && break; sleep 0.1; done
kill -KILL $pid
wait $pid 2>/dev/null
pkill -KILL -f "$marker" 2>/dev/null
sleep 0.2
run_sluice runs
expect_rc 0 "runs after SIGKILL"
expect_eq "$(echo "$OUT" | sed -n 2p | awk '{print $3}')" "interrupted" "killed run shows as interrupted"
run_sluice report last
expect_rc 0 "report of the killed run"
expect_contains "$OUT" "interrupted" "report shows interrupted"

finish
