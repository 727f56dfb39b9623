#!/usr/bin/env bash
# Unit tests of app/greet.sh, run by the pipeline's "test" stage.
set -euo pipefail
. "$(dirname "$0")/../app/greet.sh"
fails=0
check() { if [ "$1" == "$2" ]; then echo "ok - $3"; else echo "not ok - $3: got [$1]"; fails=$((fails + 1)); fi; }
check "$(greet)" "hello, world" "default name"
check "$(greet sluice)" "hello, sluice" "given name"
exit $fails
