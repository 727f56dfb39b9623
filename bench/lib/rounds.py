#!/usr/bin/env python3
"""Times whole commands in interleaved rounds whose order rotates, for side-by-side benchmarks.

  rounds.py [--rounds N] [--warmup W] [--json FILE] NAME=COMMAND NAME=COMMAND ...

Each round runs every command once; round i starts with command i mod k, so no command always
runs first (cold caches) or last (after the others heated the machine), and a machine whose speed
drifts (other jobs) shifts every command alike. A command that exits non-zero stops the benchmark
with exit 1: a failed run is never timed as a fast one. Prints, per command, the median, min and
max wall seconds, the median CPU seconds (user + sys of the command and its children: less
sensitive to other load than wall time), and the medians of per-round wall and CPU ratios to the first.
"""
import json
import resource
import statistics
import subprocess
import sys
import time


def main(argv):
    rounds, warmup, out = 5, 1, None
    cmds = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--rounds", "--warmup", "--json"):
            v = argv[i + 1]
            i += 2
            if a == "--rounds": rounds = int(v)
            elif a == "--warmup": warmup = int(v)
            else: out = v
            continue
        name, _, cmd = a.partition("=")
        cmds.append((name, cmd))
        i += 1
    if not cmds:
        print(__doc__, file=sys.stderr)
        return 2

    cpu = {name: [] for name, _ in cmds}

    def run(name, cmd):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.run(["bash", "-c", cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        dt = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[name].append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
        if p.returncode != 0:
            sys.stderr.write("rounds: %s failed (exit %d): %s\n%s" % (name, p.returncode, cmd, p.stderr.decode()[-2000:]))
            sys.exit(1)
        return dt

    for _ in range(warmup):
        for name, cmd in cmds:
            run(name, cmd)
    cpu = {name: [] for name, _ in cmds}
    times = {name: [] for name, _ in cmds}
    for r in range(rounds):
        k = r % len(cmds)
        for name, cmd in cmds[k:] + cmds[:k]:
            times[name].append(run(name, cmd))
    base = cmds[0][0]
    result = {}
    print("%d rounds, order rotating each round (seconds); load average %s" % (rounds, open("/proc/loadavg").read().split()[:3]))
    for name, _ in cmds:
        t = times[name]
        ratios = sorted(a / b for a, b in zip(t, times[base]))
        cpu_ratios = sorted(a / b for a, b in zip(cpu[name], cpu[base]) if b > 0) or [float("nan")]
        result[name] = {"median": statistics.median(t), "min": min(t), "max": max(t), "times": t,
                        "ratio_to_first": statistics.median(ratios), "cpu_median": statistics.median(cpu[name]),
                        "cpu": cpu[name], "cpu_ratio_to_first": statistics.median(cpu_ratios)}
        print("  %-40s median %8.3f  (%.3f-%.3f)  CPU %8.3f  %.2fx %s (CPU %.2fx)" % (
            name, result[name]["median"], min(t), max(t), result[name]["cpu_median"], result[name]["ratio_to_first"], base,
            result[name]["cpu_ratio_to_first"]))
    if out:
        with open(out, "w") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
