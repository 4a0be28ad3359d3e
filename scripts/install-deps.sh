#!/usr/bin/env bash
# Installs the Debian packages attnc needs to build, test and run its examples.
# Idempotent: packages already installed are skipped, and apt-get update runs
# only when something is missing. Needs root (or sudo).
set -euo pipefail

PKGS=(
  # Toolchain and MLIR/LLVM 22 (find_package(MLIR), libMLIR.so, mlir-tblgen, lit, FileCheck).
  cmake ninja-build g++ llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22
  zlib1g-dev libzstd-dev libedit-dev libxml2-dev libffi-dev libcurl4-openssl-dev
  # Tests.
  libgtest-dev libgmock-dev python3 python3-numpy python3-torch
  # Benchmarks and peers (bench/).
  libbenchmark-dev libopenblas-dev python3-matplotlib libhalide14-0-dev
  libpthreadpool-dev libdnnl-dev
  # attnc-heatmap: Cairo (drawing, text, PNG through libpng) and a font.
  libcairo2-dev libpng-dev fonts-dejavu-core
)

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
