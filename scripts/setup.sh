#!/usr/bin/env bash
# Installs everything Locai needs to build and test on Debian 12 (bookworm). Idempotent: packages
# already present are skipped, so it is cheap to run before every build.
set -euo pipefail

APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  clang clang-format clang-tidy libclang-rt-14-dev
  libboost1.74-dev libboost-system1.74-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libexpected-dev
  libsqlite3-dev sqlite3 libssl-dev libre2-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  nodejs python3
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v npm >/dev/null; then
  echo "setup: npm is missing (Node.js 20 with npm is expected)" >&2
fi

# End-to-end tests drive the servers with the official SDKs (see tests/e2e/package.json).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -f "$root/tests/e2e/package.json" && ! -d "$root/tests/e2e/node_modules" ]]; then
  echo "setup: installing the end-to-end test clients from npm"
  (cd "$root/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
fi
