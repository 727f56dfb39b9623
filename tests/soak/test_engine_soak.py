#!/usr/bin/env python3
"""Soak test of the pipeline engine (make soak): random pipelines, run by the real binary,
checked for the engine's invariants after every run.

Each iteration writes a random DAG of 40-250 stages mixing quick commands, output, failures,
continue_on_error, flaky commands with retries, timeouts, background children, a shared lock
and cached outputs, then runs it one of three ways:
  normal   every stage must end in a final state that agrees with its needs, the exit code must
           agree with the stages, a lock is never held twice, flaky stages with enough retries
           succeed, timeouts fail as timeouts, and no process the run started is left; a
           pipeline that cannot fail is also run at -j 1, where the start order must be exactly
           "the first stage in file order whose needs are done", every time;
  SIGINT   exit code 130, the run is recorded as interrupted, no process is left;
  SIGKILL  the database stays usable: the run shows as interrupted and the next run works.

SOAK_ITERATIONS (default 25) and SOAK_SEED (default: random, printed) reproduce a failure.
Point SLUICE at the sanitizer build (build-asan/sluice) to soak it under ASan+UBSan.
"""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

SLUICE = os.environ.get("SLUICE")
if not SLUICE:
    sys.exit("SLUICE must point at the sluice binary")
ITERATIONS = int(os.environ.get("SOAK_ITERATIONS", "25"))
SEED = int(os.environ.get("SOAK_SEED", str(random.randrange(1 << 30))))
print(f"soak: {ITERATIONS} iterations, SOAK_SEED={SEED}", flush=True)

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print(f"FAIL: {what}", flush=True)


def processes_with(marker):
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmd:
            out.append(int(pid))
    return out


def kill_all(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def generate(rng, marker):
    """Returns (yaml text, stage specs) for a random DAG; a third of them cannot fail."""
    n = rng.randint(40, 250)
    clean = rng.random() < 0.33
    stages = []
    for i in range(n):
        kind = rng.choices(
            ["ok", "print", "fail", "flaky", "slow", "timeout", "background", "locked", "cached"],
            weights=[30, 10, 0 if clean else 4, 6, 8, 0 if clean else 2, 4, 6, 10])[0]
        needs = sorted(set(rng.sample(range(i), k=min(i, rng.randint(0, 3))))) if i else []
        s = {"name": f"s{i}", "kind": kind, "needs": [f"s{j}" for j in needs], "extra": {}}
        if kind == "ok":
            s["run"] = f": > out/{i}"
        elif kind == "print":
            s["run"] = f"echo line-{i}; i=0; while [ $i -lt 50 ]; do echo chunk-$i; i=$((i+1)); done"
        elif kind == "fail":
            s["run"] = "echo failing; exit 3"
            if rng.random() < 0.5:
                s["extra"]["continue_on_error"] = "true"
        elif kind == "flaky":
            k = rng.randint(1, 2)
            s["run"] = (f"n=$(cat flaky-{i} 2>/dev/null || echo 0); n=$((n+1)); echo $n > flaky-{i}; "
                        f"[ $n -gt {k} ]")
            s["extra"]["retries"] = str(k)
            s["fails_before"] = k
        elif kind == "slow":
            s["run"] = f"sleep 0.0{rng.randint(1, 5)}"
        elif kind == "timeout":
            s["run"] = f"sleep {marker}"
            s["extra"]["timeout"] = "150ms"
        elif kind == "background":
            s["run"] = f"sleep {marker} & echo started"
        elif kind == "locked":
            s["run"] = f"echo start-{i} >> locks.log; sleep 0.01; echo end-{i} >> locks.log"
            s["extra"]["locks"] = "[shared]"
        elif kind == "cached":
            s["run"] = f"echo {i} > out/c{i}"
            s["extra"]["cache"] = "true"
            s["extra"]["outputs"] = f"[out/c{i}]"
        stages.append(s)
    lines = ["version: 1", "defaults: { shell: sh, kill_grace: 200ms }", "stages:"]
    for s in stages:
        lines.append(f"  {s['name']}:")
        lines.append(f"    run: {json.dumps(s['run'])}")
        if s["needs"]:
            lines.append(f"    needs: [{', '.join(s['needs'])}]")
        for k, v in s["extra"].items():
            lines.append(f"    {k}: {v}")
    return "\n".join(lines) + "\n", stages, clean


def last_run_status(workspace):
    out = subprocess.run([SLUICE, "-C", workspace, "runs"], capture_output=True, text=True, timeout=60)
    return out.stdout


def check_normal(it, ws, stages, rc, summary, marker):
    by_name = {s["name"]: s for s in stages}
    recs = {r["name"]: r for r in summary.get("stages", [])}
    check(len(recs) == len(stages), f"iteration {it}: {len(recs)} stage records for {len(stages)} stages")

    def ok(name):
        r = recs.get(name, {})
        return r.get("status") == "success" or (
            r.get("status") == "failed" and by_name[name]["extra"].get("continue_on_error") == "true")

    all_ok = True
    for s in stages:
        r = recs.get(s["name"])
        if r is None:
            continue
        st = r.get("status")
        check(st in ("success", "failed", "skipped"), f"iteration {it}: {s['name']} ended {st}")
        needs_ok = all(ok(n) for n in s["needs"])
        if st in ("success", "failed"):
            check(needs_ok, f"iteration {it}: {s['name']} ran ({st}) although a need did not succeed")
        if st == "skipped":
            check(not needs_ok, f"iteration {it}: {s['name']} skipped although its needs succeeded")
        if st == "success" and s["kind"] == "ok":
            check(os.path.exists(os.path.join(ws, "out", s["name"][1:])), f"iteration {it}: {s['name']} left no output")
        if s["kind"] == "flaky" and needs_ok:
            check(st == "success" and r.get("attempts") == s["fails_before"] + 1,
                  f"iteration {it}: flaky {s['name']} ended {st} after {r.get('attempts')} attempts")
        if s["kind"] == "timeout" and needs_ok:
            check(st == "failed", f"iteration {it}: timeout stage {s['name']} ended {st}")
        if s["kind"] == "fail" and needs_ok:
            check(st == "failed" and r.get("exit_code") == 3, f"iteration {it}: {s['name']} ended {st}")
        all_ok = all_ok and ok(s["name"])
    check(rc == (0 if all_ok else 1), f"iteration {it}: exit code {rc}, stages say {0 if all_ok else 1}")
    # The shared lock is never held by two stages at once.
    try:
        with open(os.path.join(ws, "locks.log")) as f:
            events = f.read().split()
    except FileNotFoundError:
        events = []
    holder = None
    for e in events:
        kind, _, who = e.partition("-")
        if kind == "start":
            check(holder is None, f"iteration {it}: stage s{who} took the lock while s{holder} held it")
            holder = who
        else:
            holder = None


def check_file_order(it, ws, stages, env):
    """At -j 1 the start order is fully determined: each time, the first stage in file order whose
    needs have all succeeded. Runs the pipeline that way (no cache) and compares."""
    cmd = [SLUICE, "-C", ws, "run", "-j", "1", "--no-cache", "--output", "quiet"]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    got = [line.split()[1] for line in out.stdout.splitlines() if line.startswith("[start] ")]
    index = {s["name"]: i for i, s in enumerate(stages)}
    done, want = set(), []
    while len(want) < len(stages):
        ready = [s for s in stages if s["name"] not in done and all(n in done for n in s["needs"])]
        if not ready:
            break
        first = min(ready, key=lambda s: index[s["name"]])
        want.append(first["name"])
        done.add(first["name"])
    check(out.returncode == 0, f"iteration {it}: -j 1 run exited {out.returncode}")
    print(f"iteration {it}: -j 1 order of {len(got)} starts checked", flush=True)
    check(got == want, f"iteration {it}: -j 1 start order differs from file order at "
                       f"{next((k for k, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))}")


def main():
    rng = random.Random(SEED)
    for it in range(ITERATIONS):
        marker = f"3{rng.randint(0, 9)}.{rng.randint(10**6, 10**7)}"  # a sleep no one else runs
        text, stages, clean = generate(rng, marker)
        mode = rng.choices(["normal", "sigint", "sigkill"], weights=[6, 2, 2])[0]
        jobs = rng.randint(1, 6)
        with tempfile.TemporaryDirectory(prefix="sluice-soak-") as ws:
            os.mkdir(os.path.join(ws, "out"))
            with open(os.path.join(ws, "sluice.yml"), "w") as f:
                f.write(text)
            cmd = [SLUICE, "-C", ws, "run", "-j", str(jobs), "--keep-going", "--output", "quiet",
                   "--json", os.path.join(ws, "summary.json")]
            env = dict(os.environ, CI="true")
            t0 = time.monotonic()
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
            if mode != "normal":
                time.sleep(rng.uniform(0.05, 0.6))
                proc.send_signal(signal.SIGINT if mode == "sigint" else signal.SIGKILL)
            try:
                _, err = proc.communicate(timeout=300)
            except subprocess.TimeoutExpired:
                proc.kill()
                check(False, f"iteration {it}: sluice did not finish in 300 s")
                continue
            rc = proc.returncode
            took = time.monotonic() - t0
            text_err = err.decode(errors="replace")
            # With a sanitizer build (SLUICE=build-asan/sluice) a report would otherwise pass for
            # an ordinary stage failure (exit code 1).
            check("Sanitizer" not in text_err and "runtime error" not in text_err,
                  f"iteration {it}: sanitizer report: {text_err[-2000:]}")
            print(f"iteration {it}: {len(stages)} stages{' (cannot fail)' if clean else ''}, -j {jobs}, {mode}: exit {rc} in {took:.2f} s", flush=True)
            if mode == "normal":
                try:
                    with open(os.path.join(ws, "summary.json")) as f:
                        summary = json.load(f)
                except (OSError, ValueError) as e:
                    check(False, f"iteration {it}: no summary ({e}); stderr: {err.decode(errors='replace')[-500:]}")
                    summary = {}
                check_normal(it, ws, stages, rc, summary, marker)
                check(not processes_with(marker), f"iteration {it}: processes left: {processes_with(marker)}")
                if clean:
                    check_file_order(it, ws, stages, env)
                    kill_all(processes_with(marker))
            elif mode == "sigint":
                finished_first = rc in (0, 1)  # the run may end before the signal arrives
                # A signal before main() (a sanitizer build starts slowly on a loaded machine)
                # kills the process by its default action: nothing was started or recorded then.
                db_path = os.path.join(ws, ".sluice", "state.db")
                before_start = rc == -signal.SIGINT and not (
                    os.path.exists(db_path) and last_run_status(ws).splitlines()[1:])
                check(rc == 130 or finished_first or before_start, f"iteration {it}: SIGINT gave exit code {rc}")
                check(not processes_with(marker), f"iteration {it}: processes left after SIGINT: {processes_with(marker)}")
                if rc == 130:
                    check("interrupted" in last_run_status(ws), f"iteration {it}: run not shown interrupted")
            else:
                # SIGKILL: sluice cannot clean up; the test does, then checks the state survived.
                time.sleep(0.3)
                kill_all(processes_with(marker))
                db_path = os.path.join(ws, ".sluice", "state.db")
                # A kill within sluice's first milliseconds (on a loaded machine, before it
                # created its state) leaves nothing recorded: then only the next run is checked.
                listed = last_run_status(ws).splitlines()[1:] if os.path.exists(db_path) else []
                if rc == -signal.SIGKILL and listed:
                    # Killed while it ran: `interrupted`. Killed after it had recorded its end
                    # (writing --json, pruning) it keeps that status. Never `running`.
                    runs = last_run_status(ws)
                    check(" running " not in runs and any(s in runs for s in ("interrupted", "success", "failed")),
                          f"iteration {it}: killed run not shown interrupted:\n{runs}")
                if os.path.exists(db_path):
                    db = sqlite3.connect(db_path)
                    check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", f"iteration {it}: database damaged")
                    db.close()
                again = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=300)
                check(again.returncode in (0, 1), f"iteration {it}: the run after SIGKILL exited {again.returncode}")
                kill_all(processes_with(marker))
    print(f"soak: {ITERATIONS} iterations, {len(failures)} failures (SOAK_SEED={SEED})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
