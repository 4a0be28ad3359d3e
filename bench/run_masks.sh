#!/usr/bin/env bash
# Builds and runs the mask benchmarks (issue 8) and writes their section of
# BENCHMARKS.md: bench/mask_bench (attnc's named masks and its dense
# kernel), bench/mask_torch_bench.py (PyTorch 1.13 with dense masks), in
# one invocation on one machine; each attnc row 5 times, the repetitions
# of all rows interleaved in random order (so that a slow minute of a
# shared host does not fall on one row), the best reported. About 8
# minutes on 2 cores.
#   BENCH_ISA=native (default) | avx2, as bench/run.sh.
#   BENCH_FILTER=regex  runs only the matching Google Benchmark rows.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" mask_bench
"$build/bench/mask_bench" --benchmark_min_time=0.5 --benchmark_repetitions=5 \
  --benchmark_enable_random_interleaving=true \
  --benchmark_out_format=json --benchmark_out="$out/mask_bench.json" \
  --benchmark_filter="${BENCH_FILTER:-.}"
/usr/bin/python3 "$root/bench/mask_torch_bench.py" "$out/mask_torch_bench.json"
/usr/bin/python3 "$root/bench/mask_report.py" "$out/mask_bench.json" \
  "$out/mask_torch_bench.json" "$root/BENCHMARKS.md"
echo "bench: wrote the masks section of $root/BENCHMARKS.md"
