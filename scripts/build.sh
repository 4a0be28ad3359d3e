#!/usr/bin/env bash
# Configures (once) and builds attnc into ${BUILD_DIR:-build}. Installs the
# Debian packages first (scripts/install-deps.sh). Extra arguments go to
# `cmake --build` (e.g. --target run-gpt2-example).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"

"$root/scripts/install-deps.sh"
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
# Two cores and 24 GiB: two compile jobs.
cmake --build "$build" -j "${JOBS:-2}" "$@"
