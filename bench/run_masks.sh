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
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
isa="${BENCH_ISA:-native}"
case "$isa" in
  native) ;;
  avx2) export OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2 ;;
  *) echo "bench: BENCH_ISA must be native or avx2" >&2; exit 2 ;;
esac
"$root/scripts/build.sh" --target help >/dev/null
cmake "$build" -DATTN_BENCH_ISA="$isa" >/dev/null
"$root/scripts/build.sh" --target mask_bench
out="$build/bench"
"$build/bench/mask_bench" --benchmark_min_time=0.5 --benchmark_repetitions=5 \
  --benchmark_enable_random_interleaving=true \
  --benchmark_out_format=json --benchmark_out="$out/mask_bench.json" \
  --benchmark_filter="${BENCH_FILTER:-.}"
/usr/bin/python3 "$root/bench/mask_torch_bench.py" "$out/mask_torch_bench.json"
/usr/bin/python3 "$root/bench/mask_report.py" "$out/mask_bench.json" \
  "$out/mask_torch_bench.json" "$root/BENCHMARKS.md"
echo "bench: wrote the masks section of $root/BENCHMARKS.md"
