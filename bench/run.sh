#!/usr/bin/env bash
# Builds and runs the benchmark suite, then writes BENCHMARKS.md (repo root)
# and bench/benchmarks.png. Peers run in the same invocation: the FMA-peak
# microbenchmark, attnc, naive OpenBLAS (Google Benchmark, bench/attn_bench)
# and PyTorch 1.13 (bench/torch_bench.py). Takes a few minutes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
"$root/scripts/build.sh" --target attn_bench
out="$build/bench"
"$build/bench/attn_bench" --benchmark_format=console \
  --benchmark_out="$out/attn_bench.json" --benchmark_out_format=json \
  --benchmark_min_time=0.5
/usr/bin/python3 "$root/bench/torch_bench.py" "$out/torch_bench.json"
/usr/bin/python3 "$root/bench/report.py" "$out/attn_bench.json" \
  "$out/torch_bench.json" "$root/BENCHMARKS.md" "$root/bench/benchmarks.png"
echo "bench: wrote $root/BENCHMARKS.md and $root/bench/benchmarks.png"
