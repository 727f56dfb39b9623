#!/usr/bin/env bash
# make install / make uninstall (DESTDIR) and the Debian package CPack builds from the same
# install rules: the files land where documented, the installed binary works offline (rank
# files shipped), Depends: comes from dpkg-shlibdeps, and the package unpacked into a throwaway
# root runs. Needs the build directory (SLUICE_BUILD_DIR) and dpkg-dev.
. "$(dirname "$0")/lib.sh"
build="${SLUICE_BUILD_DIR:?}"
if [ "${SLUICE_SANITIZED:-0}" = 1 ]; then echo "SKIP: packaging is checked in the normal build"; exit 0; fi

# --- install into a DESTDIR, with a PREFIX -------------------------------------------------
root="$E2E_TMP/root"
src="${SLUICE_SOURCE_DIR:?}"
make -C "$src" --no-print-directory install BUILD="$build" DESTDIR="$root" PREFIX=/opt/sl >"$E2E_TMP/install.log" 2>&1
RC=$?; OUT=$(tail -5 "$E2E_TMP/install.log"); ERR=""
expect_rc 0 "make install DESTDIR=... PREFIX=/opt/sl"
for f in bin/sluice share/man/man1/sluice.1.gz share/man/man1/sluice-run.1.gz share/man/man1/sluice-secrets-rules-check.1.gz \
         share/bash-completion/completions/sluice share/zsh/vendor-completions/_sluice \
         share/fish/vendor_completions.d/sluice.fish share/doc/sluice/README.md share/doc/sluice/copyright \
         share/doc/sluice/changelog.gz \
         share/doc/sluice/docs/pipeline.md share/doc/sluice/examples/ai-deploy/sluice.yml \
         share/sluice/tiktoken/cl100k_base.tiktoken share/sluice/tiktoken/o200k_base.tiktoken; do
  if [ -e "$root/opt/sl/$f" ]; then pass; else fail "not installed: /opt/sl/$f"; fi
done
# Man pages compressed as Debian policy says (gzip -9n: maximum compression, no name, no time
# stamp), one per page __man writes, each the same text.
"$SLUICE" __man "$E2E_TMP/pages" >/dev/null 2>&1
for page in "$E2E_TMP"/pages/*.1; do
  gz="$root/opt/sl/share/man/man1/$(basename "$page").gz"
  if [ ! -f "$gz" ]; then fail "no $gz"; continue; fi
  cmp -s <(gzip -dc "$gz") "$page" && pass || fail "$gz is not the page sluice __man writes"
done
expect_eq "$(python3 -c 'import sys
bad = [f for f in sys.argv[1:] if (lambda h: h[:3] != b"\x1f\x8b\x08" or h[3] != 0 or h[4:8] != b"\0\0\0\0" or h[8] != 2)(open(f, "rb").read(10))]
print(bad)' "$root"/opt/sl/share/man/man1/*.gz "$root/opt/sl/share/doc/sluice/changelog.gz")" "[]" \
  "every .gz has no name, no time stamp and maximum compression (gzip -9n)"
expect_eq "$(ls "$root/opt/sl/share/man/man1" | grep -cv '\.gz$')" "0" "no uncompressed page installed"

# Offline after install: an empty HOME, no SLUICE_TIKTOKEN_DIR, the shipped rank files.
installed="$root/opt/sl/bin/sluice"
got=$(env -u SLUICE_TIKTOKEN_DIR -u SLUICE_CACHE_DIR -u XDG_CACHE_HOME HOME="$E2E_TMP/home" \
      "$installed" tokens count --encoding o200k_base <<<"hello world" 2>&1)
expect_eq "$got" "3" "installed sluice counts tokens with the shipped o200k_base ranks"
expect_eq "$(HOME="$E2E_TMP/home" "$installed" --version | head -1)" "$("$SLUICE" --version | head -1)" "installed --version"

# uninstall removes every file the manifest lists, and the sluice data directories.
make -C "$src" --no-print-directory uninstall BUILD="$build" >"$E2E_TMP/uninstall.log" 2>&1
RC=$?; OUT=$(tail -5 "$E2E_TMP/uninstall.log"); ERR=""
expect_rc 0 "make uninstall"
left=$(find "$root" -type f | sed "s|$root||")
expect_eq "$left" "" "no file left after uninstall"
[ ! -d "$root/opt/sl/share/sluice" ] && pass || fail "share/sluice left after uninstall"

# --- the Debian package ------------------------------------------------------------------
if ! command -v dpkg-shlibdeps >/dev/null || ! command -v cpack >/dev/null; then
  fail "dpkg-shlibdeps and cpack are needed (scripts/install-deps.sh installs dpkg-dev)"; finish; exit
fi
pkgdir="$E2E_TMP/pkg"
(cd "$build" && cpack -G DEB -B "$pkgdir" >"$E2E_TMP/cpack.log" 2>&1); RC=$?; OUT=$(tail -20 "$E2E_TMP/cpack.log"); ERR=""
expect_rc 0 "cpack -G DEB"
version=$("$SLUICE" --version | head -1 | cut -d' ' -f2)
arch=$(dpkg --print-architecture)
deb="$pkgdir/sluice_${version}_${arch}.deb"
[ -f "$deb" ] && pass || fail "no $deb (got: $(ls "$pkgdir"))"

info=$(dpkg-deb --info "$deb")
expect_contains "$info" "Package: sluice" "package name"
expect_contains "$info" "Version: $version" "package version"
expect_contains "$info" "Architecture: $arch" "package architecture"
depends=$(dpkg-deb --field "$deb" Depends)
for lib in libc6 libstdc++6 libhyperscan5 libre2 libsqlite3 libcurl4 libfyaml; do
  expect_contains "$depends" "$lib" "Depends: has $lib (from dpkg-shlibdeps)"
done
# Every package Depends: names is installable here (a Debian 12 system): each is known to dpkg/apt.
for dep in $(tr ',|' '\n\n' <<<"$depends" | sed 's/(.*//; s/ //g' | sort -u); do
  if dpkg-query -W "$dep" >/dev/null 2>&1 || apt-cache show "$dep" >/dev/null 2>&1; then pass
  else fail "Depends: $dep is not a known Debian 12 package"; fi
done
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/sluice ./usr/share/man/man1/sluice.1.gz ./usr/share/doc/sluice/changelog.gz ./usr/share/bash-completion/completions/sluice \
         ./usr/share/sluice/tiktoken/cl100k_base.tiktoken ./usr/share/doc/sluice/copyright; do
  expect_contains "$contents" "$f" "package holds $f"
done
# The package's files are root-owned, not the builder's.
expect_not_contains "$(grep -v ' root/root ' <<<"$contents")" "./usr" "every file owned by root/root"

# Unpacked into a throwaway root, the binary runs (a fresh-machine stand-in; apt install ./sluice_*.deb
# does the same plus the Depends above).
throwaway="$E2E_TMP/throwaway"
dpkg-deb -x "$deb" "$throwaway"
run_out=$(env -u SLUICE_TIKTOKEN_DIR -u SLUICE_CACHE_DIR -u XDG_CACHE_HOME HOME="$E2E_TMP/home2" \
          "$throwaway/usr/bin/sluice" tokens count <<<"hello world" 2>&1)
expect_eq "$run_out" "3" "packaged sluice counts tokens offline"
file_out=$(file "$throwaway/usr/bin/sluice" 2>/dev/null || true)
[ -z "$file_out" ] || expect_contains "$file_out" "stripped" "packaged binary is stripped"
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  sim=$(apt-get install --simulate "$deb" 2>&1); RC=$?
  OUT="$sim"; ERR=""
  expect_rc 0 "apt-get install --simulate ./sluice_*.deb resolves"
fi
finish
