#!/usr/bin/env bash
# Builds and runs the attention family's benchmarks (issue 9) and writes
# their section of BENCHMARKS.md: bench/family_bench (attnc) and
# bench/family_torch_bench.py (PyTorch 1.13 modules), in one invocation on
# one machine; each attnc row 5 times, interleaved in random order, the
# best reported. Under a minute on 2 cores.
#   BENCH_ISA=native (default) | avx2, as bench/run.sh.
#   BENCH_FILTER=regex  runs only the matching Google Benchmark rows.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" family_bench
"$build/bench/family_bench" --benchmark_min_time=0.5 \
  --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true \
  --benchmark_out_format=json --benchmark_out="$out/family_bench.json" \
  --benchmark_filter="${BENCH_FILTER:-.}"
/usr/bin/python3 "$root/bench/family_torch_bench.py" \
  "$out/family_torch_bench.json"
/usr/bin/python3 "$root/bench/family_report.py" "$out/family_bench.json" \
  "$out/family_torch_bench.json" "$root/BENCHMARKS.md"
echo "bench: wrote the attention family's section of $root/BENCHMARKS.md"
