//===- halide_bench.cpp - The Halide 14 peer, on the suite's shapes -------===//
//
// Google Benchmark rows Halide/<H>/<Lq>/<Lk>/<D>/<causal>/<threads> with the
// counters of attn_bench (bench_common.h), running the AOT pipelines of
// halide_attention_generator.cpp. A binary of its own: Halide's runtime
// stays out of attnc's processes.
//
// Halide allocates its per-task scratch (scores of a tile, Kᵀ of a head)
// inside the parallel loop; with glibc's default mmap threshold every such
// allocation would map fresh pages and fault on each call, so main() raises
// the threshold (mallopt) and the scratch is reused from the heap.
//
//===----------------------------------------------------------------------===//
#include "bench_common.h"
#include "halide_causal.h"
#include "halide_dense.h"

#include "HalideBuffer.h"
#include "HalideRuntime.h"

#include <malloc.h>

#include <random>
#include <vector>

namespace {

void Halide(benchmark::State &state) {
  int64_t rss0 = bench::startMemory();
  int64_t H = state.range(0), Lq = state.range(1), Lk = state.range(2),
          D = state.range(3);
  bool causal = state.range(4);
  int threads = (int)state.range(5);
  halide_set_num_threads(threads);
  std::vector<float> q((size_t)(H * Lq * D)), k((size_t)(H * Lk * D)),
      v(k.size()), out(q.size());
  std::mt19937 rng(7);
  std::normal_distribution<float> g;
  for (std::vector<float> *x : {&q, &k, &v})
    for (float &e : *x)
      e = g(rng);
  // Halide's dims are innermost first: (head_dim, seq_len, heads, batch).
  Halide::Runtime::Buffer<float> qb(q.data(), {(int)D, (int)Lq, (int)H, 1});
  Halide::Runtime::Buffer<float> kb(k.data(), {(int)D, (int)Lk, (int)H, 1});
  Halide::Runtime::Buffer<float> vb(v.data(), {(int)D, (int)Lk, (int)H, 1});
  Halide::Runtime::Buffer<float> ob(out.data(), {(int)D, (int)Lq, (int)H, 1});
  for (auto _ : state) {
    int err = causal ? halide_causal(qb, kb, vb, ob)
                     : halide_dense(qb, kb, vb, ob);
    if (err) {
      state.SkipWithError("Halide pipeline failed");
      break;
    }
    benchmark::ClobberMemory();
  }
  double flop = 4.0 * H * Lq * Lk * D;
  double io = 4.0 * (double)(2 * q.size() + 2 * k.size()) / (1 << 20);
  bench::setCounters(state, flop, io, threads, rss0);
}

BENCHMARK(Halide)
    ->Apply([](benchmark::internal::Benchmark *b) {
      bench::shapes(b, /*longRows=*/false);
    })
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

} // namespace

int main(int argc, char **argv) {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
