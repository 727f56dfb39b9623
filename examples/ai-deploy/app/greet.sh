#!/usr/bin/env bash
# The demo's "application": a greeting service's core logic.
set -euo pipefail

greet() {
  local name="${1:-world}"
  printf 'hello, %s\n' "$name"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  greet "$@"
fi
