#!/usr/bin/env bash
# Builds everything and runs every test: lit + FileCheck (IR and tools),
# GoogleTest (runtime checks, numerics against a float64 reference), the
# PyTorch cross-check, and the example app. CI runs exactly this.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
"$root/scripts/build.sh"
cd "$build"
ctest --output-on-failure -j "${JOBS:-2}"
