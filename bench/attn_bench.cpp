//===- attn_bench.cpp - attnc kernels vs peers, and the machine's peak ------===//
//
// Google Benchmark suite (run by bench/run.sh, which also runs PyTorch and
// writes BENCHMARKS.md):
//   Peak/<threads>:            fp32 FMA peak of this machine (GFLOP/s)
//   Attnc/<H>/<L>/<D>/<causal>/<threads>:  the attnc kernel
//   NaiveBlas/<H>/<L>/<D>/<threads>:       OpenBLAS sgemm, softmax, sgemm,
//                                          with the scores materialized
// Counters: GFLOPs (4·B·H·L·L·D per second, the dense count even for causal)
// and, for every row, the same work's flop count in "flop".
//
//===----------------------------------------------------------------------===//
#include "bench_kernels.h"

#include <benchmark/benchmark.h>
#include <cblas.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

extern "C" void openblas_set_num_threads(int);

namespace {

// ---------------------------------------------------------------------------
// Peak: independent FMA chains, widest vectors the CPU has.
// ---------------------------------------------------------------------------

__attribute__((target("avx512f"))) double fmaLoop512(int64_t iters) {
  __m512 a[12];
  for (int i = 0; i < 12; ++i)
    a[i] = _mm512_set1_ps(1.0f + i * 1e-3f);
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (int64_t n = 0; n < iters; ++n)
    for (int i = 0; i < 12; ++i)
      a[i] = _mm512_fmadd_ps(a[i], x, y);
  __m512 s = a[0];
  for (int i = 1; i < 12; ++i)
    s = _mm512_add_ps(s, a[i]);
  benchmark::DoNotOptimize(s);
  return 12.0 * 16 * 2 * (double)iters;
}

__attribute__((target("avx2,fma"))) double fmaLoop256(int64_t iters) {
  __m256 a[12];
  for (int i = 0; i < 12; ++i)
    a[i] = _mm256_set1_ps(1.0f + i * 1e-3f);
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (int64_t n = 0; n < iters; ++n)
    for (int i = 0; i < 12; ++i)
      a[i] = _mm256_fmadd_ps(a[i], x, y);
  __m256 s = a[0];
  for (int i = 1; i < 12; ++i)
    s = _mm256_add_ps(s, a[i]);
  benchmark::DoNotOptimize(s);
  return 12.0 * 8 * 2 * (double)iters;
}

double fmaLoop(int64_t iters) {
  if (__builtin_cpu_supports("avx512f"))
    return fmaLoop512(iters);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return fmaLoop256(iters);
  float a = 1.0f;
  for (int64_t n = 0; n < iters; ++n)
    a = std::fma(a, 0.999999f, 1e-7f);
  benchmark::DoNotOptimize(a);
  return 2.0 * (double)iters;
}

void Peak(benchmark::State &state) {
  int threads = (int)state.range(0);
  const int64_t iters = 20'000'000;
  double flops = 0;
  for (auto _ : state) {
    std::vector<std::thread> pool;
    std::vector<double> f(threads);
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] { f[t] = fmaLoop(iters); });
    for (auto &t : pool)
      t.join();
    for (double x : f)
      flops += x;
  }
  state.counters["GFLOPs"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsRate);
  state.counters["threads"] = threads;
}
BENCHMARK(Peak)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------
// Attention inputs.
// ---------------------------------------------------------------------------

struct Inputs {
  int64_t B = 1, H, L, D;
  std::vector<float> q, k, v, out;
  Inputs(int64_t h, int64_t l, int64_t d) : H(h), L(l), D(d) {
    size_t n = (size_t)(B * H * L * D);
    q.resize(n);
    k.resize(n);
    v.resize(n);
    out.resize(n);
    std::mt19937 rng(7);
    std::normal_distribution<float> g;
    for (size_t i = 0; i < n; ++i) {
      q[i] = g(rng);
      k[i] = g(rng);
      v[i] = g(rng);
    }
  }
  double flop() const { return 4.0 * B * H * L * L * D; }
};

void setCounters(benchmark::State &state, double flop, int threads) {
  state.counters["GFLOPs"] = benchmark::Counter(
      flop * 1e-9 * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["flop"] = flop;
  state.counters["threads"] = threads;
}

void Attnc(benchmark::State &state) {
  Inputs in(state.range(0), state.range(1), state.range(2));
  bool causal = state.range(3);
  int threads = (int)state.range(4);
  attn_set_num_threads(threads);
  int64_t shape[] = {in.B, in.H, in.L, in.D};
  attn_tensor_t q, k, v, o;
  attn_tensor_contiguous(&q, in.q.data(), ATTN_DTYPE_F32, 4, shape);
  attn_tensor_contiguous(&k, in.k.data(), ATTN_DTYPE_F32, 4, shape);
  attn_tensor_contiguous(&v, in.v.data(), ATTN_DTYPE_F32, 4, shape);
  attn_tensor_contiguous(&o, in.out.data(), ATTN_DTYPE_F32, 4, shape);
  for (auto _ : state) {
    attn_status_t st = causal ? bench_causal(&q, &k, &v, &o)
                              : bench_dense(&q, &k, &v, &o);
    if (st != ATTN_OK) {
      state.SkipWithError(attn_last_error());
      break;
    }
    benchmark::ClobberMemory();
  }
  setCounters(state, in.flop(), threads);
}

// Naive unfused reference: per (batch, head), S = Q Kᵀ (sgemm), a row
// softmax, O = S V (sgemm); the [L, L] scores live in memory.
void NaiveBlas(benchmark::State &state) {
  Inputs in(state.range(0), state.range(1), state.range(2));
  int threads = (int)state.range(3);
  openblas_set_num_threads(threads);
  int64_t L = in.L, D = in.D;
  std::vector<float> s((size_t)(L * L));
  float scale = 1.0f / std::sqrt((float)D);
  for (auto _ : state) {
    for (int64_t h = 0; h < in.B * in.H; ++h) {
      const float *q = in.q.data() + h * L * D, *k = in.k.data() + h * L * D,
                  *v = in.v.data() + h * L * D;
      float *o = in.out.data() + h * L * D;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)L, (int)L,
                  (int)D, scale, q, (int)D, k, (int)D, 0.0f, s.data(),
                  (int)L);
      for (int64_t i = 0; i < L; ++i) {
        float *row = s.data() + i * L;
        float m = *std::max_element(row, row + L), sum = 0;
        for (int64_t j = 0; j < L; ++j)
          sum += row[j] = std::exp(row[j] - m);
        float inv = 1.0f / sum;
        for (int64_t j = 0; j < L; ++j)
          row[j] *= inv;
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)L, (int)D,
                  (int)L, 1.0f, s.data(), (int)L, v, (int)D, 0.0f, o,
                  (int)D);
    }
    benchmark::ClobberMemory();
  }
  setCounters(state, in.flop(), threads);
}

void shapes(benchmark::internal::Benchmark *b, bool withCausal) {
  for (int64_t d : {64, 128})
    for (int64_t l : {512, 1024, 2048})
      for (int64_t causal : withCausal ? std::vector<int64_t>{0, 1}
                                       : std::vector<int64_t>{0})
        for (int64_t t : {1, 2}) {
          if (withCausal)
            b->Args({8, l, d, causal, t});
          else
            b->Args({8, l, d, t});
        }
}

BENCHMARK(Attnc)
    ->Apply([](benchmark::internal::Benchmark *b) { shapes(b, true); })
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(NaiveBlas)
    ->Apply([](benchmark::internal::Benchmark *b) { shapes(b, false); })
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
