#!/usr/bin/env bash
# The main job on the embedded default example: builds attnc, compiles
# examples/gpt2_attention.mlir into an object file + C header, links it into
# examples/gpt2_app.c, and runs it on PyTorch-generated GPT-2 data.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$root/scripts/build.sh" --target run-gpt2-example
