#!/usr/bin/env bash
# make fuzz: runs every libFuzzer target of the fuzz build for SECONDS each. Corpora live in
# fuzz/corpus-<target>/ (not committed), seeded from fuzz/seeds/<target>/ when present.
set -euo pipefail
build="${1:?usage: run-all.sh FUZZ_BUILD_DIR [SECONDS]}"
seconds="${2:-60}"
here="$(cd "$(dirname "$0")" && pwd)"
status=0
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
for f in $(find "$build" -maxdepth 4 -type f -name 'fuzz_*' -perm -u+x | sort); do
  name="$(basename "$f")"; name="${name#fuzz_}"
  corpus="$here/corpus-$name"
  mkdir -p "$corpus"
  [ -d "$here/seeds/$name" ] && cp -n "$here/seeds/$name"/* "$corpus"/ 2>/dev/null || true
  echo "== fuzz_$name for ${seconds}s"
  "$f" -max_total_time="$seconds" -print_final_stats=1 "$corpus" || status=1
done
exit $status
