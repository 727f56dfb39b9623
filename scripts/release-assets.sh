#!/usr/bin/env bash
# The files a GitHub release of sluice holds, as the Action (action.yml) downloads them:
#   sluice_<version>_<arch>.deb   the package `make deb` builds (its name is CPack's DEB-DEFAULT)
#   SHA256SUMS                    sha256sum lines of the packages, checked by the Action
# Release tag: v<version>. Upload: gh release create v<version> OUTDIR/*
# usage: scripts/release-assets.sh OUTDIR DEB...     (make release-assets does it for build-release)
set -euo pipefail
out=$1; shift
[ $# -gt 0 ] || { echo "release-assets: no .deb given" >&2; exit 2; }
mkdir -p "$out"
for deb in "$@"; do
  name=$(basename "$deb")
  want="sluice_$(dpkg-deb --field "$deb" Version)_$(dpkg-deb --field "$deb" Architecture).deb"
  [ "$name" = "$want" ] || { echo "release-assets: $name should be named $want" >&2; exit 1; }
  cp "$deb" "$out/$name"
done
(cd "$out" && sha256sum -- sluice_*.deb >SHA256SUMS)
ls -1 "$out"
