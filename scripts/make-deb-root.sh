#!/usr/bin/env bash
# Builds a throwaway Debian root in which to install a .deb offline, as on a fresh machine that
# has only what the package declares: the files (as dpkg installed them on this host) of Debian's
# Essential packages, apt, and the recursive Depends/Pre-Depends of those and of the .deb, with a
# dpkg database that lists exactly those packages. No other package's files are there, so a
# shared library the .deb needs but its Depends: does not name is missing in the root.
# Docs, man pages and locales of those packages are left out (nothing here reads them).
# usage: scripts/make-deb-root.sh DEB ROOT      (as root; ROOT must not exist)
set -euo pipefail
deb=$(realpath "$1") root=$(realpath -m "$2")
[ ! -e "$root" ] || { echo "make-deb-root: $root exists" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)

depends=$(dpkg-deb --field "$deb" Depends Pre-Depends | sed 's/^[A-Za-z-]*: //' | tr '\n' ',')
IFS=',' read -ra wanted <<<"$depends"
packages=$(python3 "$here/deb-root-packages.py" "${wanted[@]}")

mkdir -p "$root"
# /bin, /lib, ... as this host has them (Debian 12: symlinks into /usr).
for d in bin lib lib32 lib64 libx32 sbin; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$root/$d"; fi
done
mkdir -p "$root"/{dev,proc,tmp,root,etc,var/lib/dpkg/{info,updates,triggers,alternatives},var/cache/apt/archives/partial,var/lib/apt/lists/partial,var/log/apt}
chmod 1777 "$root/tmp"
# Each file under its real directory (dpkg lists /bin/bash; /bin is a link to usr/bin here).
for p in $packages; do dpkg-query -L "$p"; done |
  python3 -c '
import os, re, sys
seen = set()
for f in sys.stdin.read().splitlines():
    if f in ("/bin", "/lib", "/lib32", "/lib64", "/libx32", "/sbin"):
        continue
    if re.match(r"/usr/share/(doc|man|locale|info|lintian)/", f) or not os.path.lexists(f) or os.path.isdir(f) and not os.path.islink(f):
        continue
    real = os.path.join(os.path.realpath(os.path.dirname(f)), os.path.basename(f))
    if real not in seen:
        seen.add(real)
        sys.stdout.write(real + "\0")
' | (cd / && xargs -0 cp -a --parents -t "$root")
# The dpkg database of exactly those packages (status stanzas and their info files).
python3 - "$root/var/lib/dpkg/status" $packages <<'EOF'
import sys
keep = set(sys.argv[2:])
out = []
for stanza in open('/var/lib/dpkg/status').read().split('\n\n'):
    for line in stanza.splitlines():
        if line.startswith('Package: ') and line[9:].strip() in keep:
            out.append(stanza.strip('\n'))
open(sys.argv[1], 'w').write('\n\n'.join(out) + '\n')
EOF
for p in $packages; do
  cp -a /var/lib/dpkg/info/"$p".* /var/lib/dpkg/info/"$p":*.* "$root/var/lib/dpkg/info/" 2>/dev/null || true
done
touch "$root/var/lib/dpkg/available" "$root/var/lib/dpkg/diversions" "$root/var/lib/dpkg/statoverride"
# Accounts and name service as a minimal system has them (base-passwd writes these at install).
cp /etc/passwd /etc/group /etc/nsswitch.conf "$root/etc/" 2>/dev/null || true
echo "$packages" >"$root/.packages"
