#!/usr/bin/env bash
# Builds and runs the benchmark suite, then writes this run's section of
# BENCHMARKS.md (repo root; other ISAs' sections are kept) and
# bench/benchmarks-<isa>.png. Every peer runs in the same invocation, on the
# same shapes (bench/bench_common.h): the FMA-peak and read-bandwidth
# microbenchmarks, attnc, oneDNN and naive OpenBLAS (bench/attn_bench), the
# hand-scheduled Halide 14 pipeline (bench/halide_bench, when
# libhalide14-0-dev is installed) and PyTorch 1.13 (bench/torch_bench.py).
# Takes about 45 minutes on 2 cores.
#   BENCH_ISA=native (default) kernels for the host's CPU;
#   BENCH_ISA=avx2   AVX2 kernels (x86-64-v3) and peers limited to AVX2, on
#                    any AVX2 host: the avx2+fma section.
#   BENCH_FILTER=regex  runs only the matching Google Benchmark rows (the
#                       PyTorch rows all run; for a quick look).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh" attn_bench
filter="${BENCH_FILTER:-.}"
common=(--benchmark_min_time=0.5 --benchmark_out_format=json
        --benchmark_filter="$filter")
"$build/bench/attn_bench" "${common[@]}" --benchmark_out="$out/attn_bench.json"
halide_json=""
if "$root/scripts/build.sh" --target halide_bench; then
  "$build/bench/halide_bench" "${common[@]}" \
    --benchmark_out="$out/halide_bench.json"
  halide_json="$out/halide_bench.json"
else
  echo "bench: no Halide peer (libhalide14-0-dev missing?)" >&2
fi
/usr/bin/python3 "$root/bench/torch_bench.py" "$out/torch_bench.json"
/usr/bin/python3 "$root/bench/report.py" "$out/attn_bench.json" \
  "$out/torch_bench.json" "$root/BENCHMARKS.md" "$root/bench" $halide_json
echo "bench: wrote $root/BENCHMARKS.md and $root/bench/benchmarks-*.png"
