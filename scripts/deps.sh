#!/usr/bin/env bash
# Installs the Debian 12 packages accrue needs to build, test and run its demo.
# Idempotent: only missing packages are installed; `apt-get update` runs once,
# and only when something is missing. Uses sudo when not root.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  librocksdb-dev libpqxx-dev libpq-dev libprotobuf-dev protobuf-compiler
  libboost-dev libhowardhinnant-date-dev tzdata libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev librapidcheck-dev libssl-dev libbenchmark-dev
  rapidjson-dev libjemalloc-dev postgresql postgresql-client
  clang-14 libclang-rt-14-dev curl wrk util-linux procps python3
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "deps: installing ${#missing[@]} missing package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "deps: done"
