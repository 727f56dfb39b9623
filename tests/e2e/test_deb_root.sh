#!/usr/bin/env bash
# `apt-get install ./sluice_*.deb` for real, offline, in a throwaway Debian root that holds only
# Debian's Essential packages, apt, and the recursive Depends of the package (the files dpkg
# installed for them on this host, and a dpkg database listing just those; built by
# scripts/make-deb-root.sh). Then the installed binary runs there: --version, token counts with
# the shipped rank files, doctor, a pipeline run, the bash completion; and apt-get purge removes
# it. A shared library the package needs but its Depends: does not name is absent from the root,
# so the binary would not start. What this does not prove: that apt can download the Depends
# from a mirror (no network here), nor maintainer scripts of the dependencies (they are copied
# as installed, not configured again).
# Needs root, unshare and mount (a mount namespace for /proc and /dev); skips without them.
. "$(dirname "$0")/lib.sh"
build="${SLUICE_BUILD_DIR:?}"
src="${SLUICE_SOURCE_DIR:?}"
if [ "${SLUICE_SANITIZED:-0}" = 1 ]; then echo "SKIP: packaging is checked in the normal build"; exit 0; fi
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
  echo "SKIP: needs root and unshare -m (a mount namespace) to install into a throwaway root"; exit 0
fi

pkgdir="$E2E_TMP/pkg"
(cd "$build" && cpack -G DEB -B "$pkgdir" >"$E2E_TMP/cpack.log" 2>&1) || { fail "cpack: $(tail -5 "$E2E_TMP/cpack.log")"; finish; exit; }
deb=$(ls "$pkgdir"/sluice_*.deb)
root="$E2E_TMP/root"
"$src/scripts/make-deb-root.sh" "$deb" "$root" >"$E2E_TMP/root.log" 2>&1
RC=$?; OUT=$(tail -5 "$E2E_TMP/root.log"); ERR=""
expect_rc 0 "scripts/make-deb-root.sh"
cp "$deb" "$root/tmp/"
mkdir -p "$root/root/ws"
printf 'version: 1\nstages:\n  hello:\n    run: echo built > out.txt\n    outputs: [out.txt]\n' >"$root/root/ws/sluice.yml"

# Everything in the root runs in one mount namespace (its /proc and /dev), with a clean
# environment; each result lands in a file under $E2E_TMP/r.
r="$E2E_TMP/r"; mkdir -p "$r"
unshare -m bash -s "$root" "$r" "$(basename "$deb")" <<'EOF' >"$E2E_TMP/in-root.log" 2>&1
root=$1 r=$2 deb=$3
mount --rbind /dev "$root/dev" && mount -t proc proc "$root/proc" || exit 9
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
in_root ldconfig
in_root apt-get install -y --no-install-recommends "/tmp/$deb" >"$r/apt.log" 2>&1; echo $? >"$r/apt.rc"
in_root dpkg-query -W -f='${Status}' sluice >"$r/status" 2>&1
in_root sluice --version >"$r/version" 2>&1
echo "hello world" | in_root sluice tokens count >"$r/tokens" 2>&1
in_root sluice -C /root/ws doctor --json >"$r/doctor.json" 2>"$r/doctor.err"; echo $? >"$r/doctor.rc"
in_root sluice -C /root/ws run >"$r/run.log" 2>&1; echo $? >"$r/run.rc"
cat "$root/root/ws/out.txt" >"$r/out.txt" 2>&1
in_root bash -c '. /usr/share/bash-completion/completions/sluice && complete -p sluice' >"$r/complete" 2>&1
in_root dpkg -L sluice >"$r/files" 2>&1
in_root apt-get purge -y sluice >"$r/purge.log" 2>&1; echo $? >"$r/purge.rc"
for f in /usr/bin/sluice /usr/share/sluice /usr/share/doc/sluice /usr/share/man/man1/sluice.1.gz; do
  if [ -e "$root$f" ]; then echo "$f"; fi
done >"$r/left"
exit 0
EOF
RC=$?; OUT=$(tail -20 "$E2E_TMP/in-root.log"); ERR=""
expect_rc 0 "the commands in the throwaway root"

RC=$(cat "$r/apt.rc"); OUT=$(tail -20 "$r/apt.log")
expect_rc 0 "apt-get install ./$(basename "$deb") in the throwaway root (offline)"
expect_contains "$(cat "$r/apt.log")" "Setting up sluice" "apt installed sluice"
expect_eq "$(cat "$r/status")" "install ok installed" "dpkg lists sluice installed"
expect_eq "$(head -1 "$r/version")" "$("$SLUICE" --version | head -1)" "the installed sluice --version"
expect_eq "$(cat "$r/tokens")" "3" "token counts with the packaged rank files, empty HOME"
RC=$(cat "$r/doctor.rc"); OUT=$(cat "$r/doctor.json"); ERR=$(cat "$r/doctor.err")
expect_rc 0 "sluice doctor in the root: nothing wrong"
expect_contains "$OUT" "/usr/share/sluice/tiktoken/o200k_base.tiktoken verified" "doctor verifies the packaged ranks"
RC=$(cat "$r/run.rc"); OUT=$(cat "$r/run.log"); ERR=""
expect_rc 0 "sluice run of a pipeline in the root"
expect_eq "$(cat "$r/out.txt")" "built" "the stage ran and wrote its output"
expect_contains "$(cat "$r/complete")" "-F _sluice sluice" "the bash completion loads"
expect_contains "$(cat "$r/files")" "/usr/share/man/man1/sluice-doctor.1.gz" "the package has a page for doctor"
RC=$(cat "$r/purge.rc"); OUT=$(tail -5 "$r/purge.log")
expect_rc 0 "apt-get purge sluice"
expect_eq "$(cat "$r/left")" "" "purge removed the binary, the data (no marker left in it), docs and pages"

# The root is minimal: a library installed on this host for other reasons is not there.
for lib in /usr/lib/x86_64-linux-gnu/libbenchmark.so.1.7.1 /usr/bin/ninja /usr/bin/cmake; do
  if [ -e "$lib" ]; then
    [ ! -e "$root$lib" ] && pass || fail "the root holds $lib, which sluice's Depends do not need"
  fi
done
finish
