#!/usr/bin/env python3
"""The strongest ripgrep peer for sluice scan: gitleaks' own method, with ripgrep as the engine.

  rg_gitleaks.py GITLEAKS_TOML CORPUS [--check]

For each gitleaks rule: its keywords as a case-insensitive literal prefilter over the corpus
(`rg -l -i -F`, as gitleaks only runs a rule's regex on fragments holding one of its keywords),
then the rule's regex over the files that passed (`rg -c`). One thread (-j1), hidden and ignored
files searched like sluice does, binary files skipped by ripgrep's own detection. gitleaks'
allowlists and entropy checks are NOT applied, so this peer does less work than gitleaks and
than sluice. Exit 0, or 2 when a ripgrep call fails (exit code >= 2). With --check, it only
lists the rules ripgrep cannot compile (they are skipped in the timed runs) and exits.
"""
import subprocess
import sys
import tomllib

RG = ["rg", "-j1", "--no-ignore", "--hidden", "--no-messages"]


def main():
    toml, corpus = sys.argv[1], sys.argv[2]
    rules = [r for r in tomllib.load(open(toml, "rb"))["rules"] if r.get("regex")]
    usable, rejected = [], []
    for r in rules:
        ok = subprocess.run(["rg", "-q", "-e", r["regex"], "/dev/null"], capture_output=True).returncode != 2
        (usable if ok else rejected).append(r)
    if "--check" in sys.argv:
        print("ripgrep: %d of %d gitleaks regexes compile; skipped: %s"
              % (len(usable), len(rules), ", ".join(r["id"] for r in rejected) or "none"))
        return 0
    matches = 0
    for r in usable:
        files = [corpus]
        if r.get("keywords"):
            cmd = RG + ["-l", "-i", "-F"] + [a for k in r["keywords"] for a in ("-e", k)] + ["--", corpus]
            p = subprocess.run(cmd, capture_output=True)
            if p.returncode >= 2:
                sys.stderr.write("rg failed on the keywords of %s: %s\n" % (r["id"], p.stderr.decode()[-500:]))
                return 2
            files = p.stdout.decode(errors="surrogateescape").splitlines()
        for i in range(0, len(files), 2000):
            p = subprocess.run(RG + ["-c", "--no-filename", "-e", r["regex"], "--"] + files[i:i + 2000],
                               capture_output=True)
            if p.returncode >= 2:
                sys.stderr.write("rg failed on the regex of %s: %s\n" % (r["id"], p.stderr.decode()[-500:]))
                return 2
            matches += sum(int(x) for x in p.stdout.split())
    print("%d matching lines from %d rules" % (matches, len(usable)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
