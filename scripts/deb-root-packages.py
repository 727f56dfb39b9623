#!/usr/bin/env python3
"""Prints the installed packages a root needs: Debian's Essential set, apt, and the Depends and
Pre-Depends of those and of the .deb's own Depends, recursively (the first installed alternative;
virtual names through Provides)."""
import subprocess, sys, re
fmt = '${Package}\t${Status}\t${Essential}\t${Depends}\t${Pre-Depends}\t${Provides}\n'
rows = subprocess.run(['dpkg-query', '-W', '-f', fmt], capture_output=True, text=True, check=True).stdout
installed, provides = {}, {}
for line in rows.splitlines():
    pkg, status, ess, dep, pre, prov = (line.split('\t') + [''] * 6)[:6]
    if not status.endswith('installed') or 'not-installed' in status or 'config-files' in status:
        continue
    installed[pkg] = (ess == 'yes', ', '.join(x for x in (dep, pre) if x))
    for p in prov.split(','):
        name = re.sub(r'\(.*\)', '', p).strip()
        if name:
            provides.setdefault(name, []).append(pkg)
def resolve(alts):
    for a in alts.split('|'):
        name = re.sub(r'\(.*\)|\[.*\]', '', a).strip().split(':')[0]
        if name in installed:
            return name
        for p in provides.get(name, []):
            return p
    return None
want = [p for p, (ess, _) in installed.items() if ess] + ['apt'] + sys.argv[1:]
seen, missing = set(), []
while want:
    dep = want.pop()
    pkg = resolve(dep)
    if pkg is None:
        missing.append(dep); continue
    if pkg in seen:
        continue
    seen.add(pkg)
    for d in installed[pkg][1].split(','):
        if d.strip():
            want.append(d.strip())
for m in missing:
    print('missing: ' + m, file=sys.stderr)
print('\n'.join(sorted(seen)))
sys.exit(1 if missing else 0)
