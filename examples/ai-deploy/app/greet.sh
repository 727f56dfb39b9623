#!/usr/bin/env bash
# The demo's "application": a greeting service's core logic.
set -euo pipefail

# TODO: read the greeting from the ConfigMap once the service has one.
greet() {
  local name="${1:-world}"
  printf 'hello, %s\n' "$name"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  greet "$@"
fi
