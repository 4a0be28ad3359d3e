//===- attn_bench.cpp - attnc kernels vs peers, and the machine's peak ------===//
//
// Google Benchmark suite (run by bench/run.sh, which also runs PyTorch and
// the Halide peer and writes BENCHMARKS.md):
//   Peak/<threads>:  fp32 FMA peak of this machine (GFLOP/s)
//   Attnc/<H>/<Lq>/<Lk>/<D>/<causal>/<threads>:      the attnc kernel
//   NaiveBlas/<H>/<Lq>/<Lk>/<D>/<causal>/<threads>:  OpenBLAS sgemm,
//       softmax, sgemm, with the scores materialized
//   OneDnn/<H>/<Lq>/<Lk>/<D>/<causal>/<threads>:  oneDNN 2.6 matmul,
//       softmax, matmul, unfused
//   AttncGqa/<Hq>/<Hkv>/<Lk>/<D>/<threads>:  GQA decode (q_len 1)
//   Bandwidth/<threads>:  the read bandwidth (GB/s) of a 1 GiB buffer
// Counters: GFLOPs (4·B·H·Lq·Lk·D per second, the dense count even for
// causal), the same work's flop count in "flop", rss_mib (peak resident
// memory of the row above what the process held before it) and io_mib
// (its inputs and outputs).
//
//===----------------------------------------------------------------------===//
#include "bench_common.h"
#include "bench_kernels.h"

#include <benchmark/benchmark.h>
#include <cblas.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <immintrin.h>
#include <omp.h>
#include <pthreadpool.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <unordered_map>
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

/// The peak of the kernels' ISA: 512-bit FMAs for AVX-512 kernels, 256-bit
/// for AVX2 ones (bench::kernelIsa).
double fmaLoop(int64_t iters) {
  if (!std::strncmp(bench::kernelIsa(), "avx512", 6))
    return fmaLoop512(iters);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return fmaLoop256(iters);
  float a = 1.0f;
  for (int64_t n = 0; n < iters; ++n)
    a = std::fma(a, 0.999999f, 1e-7f);
  benchmark::DoNotOptimize(a);
  return 2.0 * (double)iters;
}

/// Seconds since an arbitrary start.
double nowSeconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// A peak is the best the host sustains: on a shared VM a neighbour can
/// slow any one trial, so "GFLOPs" (and "GBs" below) is the best trial of
/// the row, and "mean_GFLOPs" the mean over its trials.
void Peak(benchmark::State &state) {
  int threads = (int)state.range(0);
  const int64_t iters = 20'000'000;
  double flops = 0, best = 0;
  for (auto _ : state) {
    double t0 = nowSeconds(), trial = 0;
    std::vector<std::thread> pool;
    std::vector<double> f(threads);
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] { f[t] = fmaLoop(iters); });
    for (auto &t : pool)
      t.join();
    for (double x : f)
      trial += x;
    best = std::max(best, trial / (nowSeconds() - t0));
    flops += trial;
  }
  state.counters["GFLOPs"] = best * 1e-9;
  state.counters["mean_GFLOPs"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsRate);
  state.counters["threads"] = threads;
}
BENCHMARK(Peak)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------
// Read bandwidth: each thread sums its share of a 1 GiB buffer (far larger
// than the caches) with 256-bit loads and 4 independent adds, the ceiling
// for a decode kernel that reads K and V once.
// ---------------------------------------------------------------------------

__attribute__((target("avx2"))) float readLoop(const float *p, size_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 32 <= n; i += 32) {
    a0 = _mm256_add_ps(a0, _mm256_load_ps(p + i));
    a1 = _mm256_add_ps(a1, _mm256_load_ps(p + i + 8));
    a2 = _mm256_add_ps(a2, _mm256_load_ps(p + i + 16));
    a3 = _mm256_add_ps(a3, _mm256_load_ps(p + i + 24));
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0];
}

void Bandwidth(benchmark::State &state) {
  int threads = (int)state.range(0);
  const size_t n = (size_t)1 << 28; // floats: 1 GiB
  float *buf = static_cast<float *>(std::aligned_alloc(64, n * 4));
  for (size_t i = 0; i < n; ++i)
    buf[i] = 1.0f;
  double bytes = 0, best = 0;
  for (auto _ : state) {
    double t0 = nowSeconds();
    std::vector<std::thread> pool;
    std::vector<float> sums(threads);
    size_t part = n / threads;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back(
          [&, t] { sums[t] = readLoop(buf + t * part, part); });
    for (auto &t : pool)
      t.join();
    benchmark::DoNotOptimize(sums.data());
    double trial = 4.0 * (double)(part * threads);
    best = std::max(best, trial / (nowSeconds() - t0));
    bytes += trial;
  }
  std::free(buf);
  // The best trial, as for Peak.
  state.counters["GBs"] = best * 1e-9;
  state.counters["mean_GBs"] =
      benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsRate);
  state.counters["threads"] = threads;
}
BENCHMARK(Bandwidth)->Arg(1)->Arg(2)->UseRealTime()->Unit(
    benchmark::kMillisecond);


using bench::Inputs;

void setCounters(benchmark::State &state, const Inputs &in, int threads,
                 int64_t rss0) {
  bench::setCounters(state, in.flop(), in.ioMiB(), threads, rss0);
}

/// Runs attnc's f32 kernel on `in` for every iteration of `state`.
void runAttnc(benchmark::State &state, Inputs &in, bool causal) {
  int64_t qShape[] = {in.B, in.H, in.Lq, in.D};
  int64_t kShape[] = {in.B, in.Hkv, in.Lk, in.D};
  attn_tensor_t q, k, v, o;
  attn_tensor_contiguous(&q, in.q.data(), ATTN_DTYPE_F32, 4, qShape);
  attn_tensor_contiguous(&k, in.k.data(), ATTN_DTYPE_F32, 4, kShape);
  attn_tensor_contiguous(&v, in.v.data(), ATTN_DTYPE_F32, 4, kShape);
  attn_tensor_contiguous(&o, in.out.data(), ATTN_DTYPE_F32, 4, qShape);
  for (auto _ : state) {
    attn_status_t st = causal ? bench_causal(&q, &k, &v, &o)
                              : bench_dense(&q, &k, &v, &o);
    if (st != ATTN_OK) {
      state.SkipWithError(attn_last_error());
      break;
    }
    benchmark::ClobberMemory();
  }
}

/// Args: heads, q_len, kv_len, head_dim, causal, threads.
void Attnc(benchmark::State &state) {
  int64_t rss0 = bench::startMemory();
  Inputs in(state.range(0), state.range(1), state.range(2), state.range(3));
  int threads = (int)state.range(5);
  attn_set_num_threads(threads);
  runAttnc(state, in, state.range(4));
  setCounters(state, in, threads, rss0);
}

/// GQA decode. Args: query heads, KV heads, kv_len, head_dim, threads.
void AttncGqa(benchmark::State &state) {
  int64_t rss0 = bench::startMemory();
  Inputs in(state.range(0), 1, state.range(2), state.range(3), state.range(1));
  int threads = (int)state.range(4);
  attn_set_num_threads(threads);
  runAttnc(state, in, false);
  setCounters(state, in, threads, rss0);
}

/// bf16 inputs and result, same args as Attnc (prefill shapes only).
void AttncBf16(benchmark::State &state) {
  int64_t rss0 = bench::startMemory();
  int64_t H = state.range(0), Lq = state.range(1), Lk = state.range(2),
          D = state.range(3);
  bool causal = state.range(4);
  int threads = (int)state.range(5);
  attn_set_num_threads(threads);
  std::vector<uint16_t> q((size_t)(H * Lq * D)), k((size_t)(H * Lk * D)),
      v(k.size()), out(q.size());
  std::mt19937 rng(7);
  std::normal_distribution<float> g;
  for (std::vector<uint16_t> *x : {&q, &k, &v})
    for (uint16_t &e : *x) {
      float f = g(rng);
      uint32_t u;
      std::memcpy(&u, &f, 4);
      e = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    }
  int64_t qShape[] = {1, H, Lq, D}, kShape[] = {1, H, Lk, D};
  attn_tensor_t qd, kd, vd, od;
  attn_tensor_contiguous(&qd, q.data(), ATTN_DTYPE_BF16, 4, qShape);
  attn_tensor_contiguous(&kd, k.data(), ATTN_DTYPE_BF16, 4, kShape);
  attn_tensor_contiguous(&vd, v.data(), ATTN_DTYPE_BF16, 4, kShape);
  attn_tensor_contiguous(&od, out.data(), ATTN_DTYPE_BF16, 4, qShape);
  for (auto _ : state) {
    attn_status_t st = causal ? bench_causal_bf16(&qd, &kd, &vd, &od)
                              : bench_dense_bf16(&qd, &kd, &vd, &od);
    if (st != ATTN_OK) {
      state.SkipWithError(attn_last_error());
      break;
    }
    benchmark::ClobberMemory();
  }
  bench::setCounters(state, 4.0 * H * Lq * Lk * D,
                     2.0 * (double)(2 * q.size() + 2 * k.size()) / (1 << 20),
                     threads, rss0);
}

// ---------------------------------------------------------------------------
// The threading mechanism, measured (issue 3): the runtime's built-in pool
// against OpenMP (libgomp) and pthreadpool, each installed through
// attn_set_parallel_for, on 2 threads.
// ---------------------------------------------------------------------------

/// OpenMP: chunks of `grain` iterations handed out dynamically.
void ompParallelFor(void *, int64_t n, int64_t grain, attn_task_fn fn,
                    void *ctx) {
  int64_t g = std::max<int64_t>(grain, 1), chunks = (n + g - 1) / g;
  // One chunk (the entry point's single task, whose kernel then opens the
  // real parallel loop) runs on the caller: a parallel region here would
  // make that inner loop a nested, serialized one.
  if (chunks <= 1 || omp_in_parallel()) {
    if (n > 0)
      fn(ctx, 0, n);
    return;
  }
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t c = 0; c < chunks; ++c)
    fn(ctx, c * g, std::min(n, (c + 1) * g));
}

struct PtpTask {
  attn_task_fn fn;
  void *ctx;
  int64_t n;
};
void ptpTile(void *arg, size_t begin, size_t size) {
  auto *t = static_cast<PtpTask *>(arg);
  t->fn(t->ctx, (int64_t)begin, (int64_t)(begin + size));
}
/// pthreadpool: tiles of `grain` iterations (its work stealing balances).
void ptpParallelFor(void *pool, int64_t n, int64_t grain, attn_task_fn fn,
                    void *ctx) {
  PtpTask t{fn, ctx, n};
  pthreadpool_parallelize_1d_tile_1d(static_cast<pthreadpool_t>(pool),
                                     ptpTile, &t, (size_t)n,
                                     (size_t)std::max<int64_t>(grain, 1), 0);
}

/// Args: pool (0 built-in, 1 OpenMP, 2 pthreadpool), then the Attnc args.
void Pool(benchmark::State &state) {
  int threads = (int)state.range(6);
  int64_t pool = state.range(0);
  pthreadpool_t ptp = nullptr;
  if (pool == 0) {
    attn_set_num_threads(threads);
  } else if (pool == 1) {
    omp_set_num_threads(threads);
    attn_set_parallel_for(ompParallelFor, nullptr, threads);
  } else {
    ptp = pthreadpool_create((size_t)threads);
    attn_set_parallel_for(ptpParallelFor, ptp, threads);
  }
  Inputs in(state.range(1), state.range(2), state.range(3), state.range(4));
  runAttnc(state, in, state.range(5));
  attn_set_num_threads(threads); // back to the built-in pool
  if (ptp)
    pthreadpool_destroy(ptp);
  state.counters["GFLOPs"] = benchmark::Counter(
      in.flop() * 1e-9 * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["threads"] = threads;
}

// Naive unfused reference: per (batch, head), S = Q Kᵀ (sgemm), a row
// softmax (causal: keys past the bottom-right-aligned diagonal excluded),
// O = S V (sgemm); the [Lq, Lk] scores live in memory.
void NaiveBlas(benchmark::State &state) {
  int64_t rss0 = bench::startMemory();
  Inputs in(state.range(0), state.range(1), state.range(2), state.range(3));
  bool causal = state.range(4);
  int threads = (int)state.range(5);
  openblas_set_num_threads(threads);
  int64_t Lq = in.Lq, Lk = in.Lk, D = in.D;
  std::vector<float> s((size_t)(Lq * Lk));
  float scale = 1.0f / std::sqrt((float)D);
  for (auto _ : state) {
    for (int64_t h = 0; h < in.B * in.H; ++h) {
      const float *q = in.q.data() + h * Lq * D, *k = in.k.data() + h * Lk * D,
                  *v = in.v.data() + h * Lk * D;
      float *o = in.out.data() + h * Lq * D;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)Lq, (int)Lk,
                  (int)D, scale, q, (int)D, k, (int)D, 0.0f, s.data(),
                  (int)Lk);
      for (int64_t i = 0; i < Lq; ++i) {
        float *row = s.data() + i * Lk;
        int64_t n = causal ? std::min(Lk, i + Lk - Lq + 1) : Lk;
        float m = *std::max_element(row, row + n), sum = 0;
        for (int64_t j = 0; j < n; ++j)
          sum += row[j] = std::exp(row[j] - m);
        float inv = 1.0f / sum;
        for (int64_t j = 0; j < n; ++j)
          row[j] *= inv;
        std::fill(row + n, row + Lk, 0.0f);
      }
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)Lq, (int)D,
                  (int)Lk, 1.0f, s.data(), (int)Lk, v, (int)D, 0.0f, o,
                  (int)D);
    }
    benchmark::ClobberMemory();
  }
  setCounters(state, in, threads, rss0);
}

// oneDNN 2.6, unfused, per (batch, head) on preallocated buffers: a matmul
// S = scale Q Kᵀ (the scale as output scale, the causal mask as a binary-add
// post-op of a [q_len, kv_len] 0/-inf tensor; Kᵀ as a strided view of K), a
// softmax over the keys, a matmul O = S V. The primitives are created once
// per row; OpenMP threads (Debian's build) = the row's threads.
void OneDnn(benchmark::State &state) {
  using dnnl::memory;
  using dt = memory::data_type;
  int64_t rss0 = bench::startMemory();
  Inputs in(state.range(0), state.range(1), state.range(2), state.range(3));
  bool causal = state.range(4);
  int threads = (int)state.range(5);
  omp_set_num_threads(threads);
  int64_t Lq = in.Lq, Lk = in.Lk, D = in.D;
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  memory::desc qd({1, Lq, D}, dt::f32, memory::format_tag::abc);
  memory::desc ktd({1, D, Lk}, dt::f32, memory::dims{Lk * D, 1, D});
  memory::desc sd({1, Lq, Lk}, dt::f32, memory::format_tag::abc);
  memory::desc vd({1, Lk, D}, dt::f32, memory::format_tag::abc);
  memory::desc od({1, Lq, D}, dt::f32, memory::format_tag::abc);
  dnnl::primitive_attr attr;
  attr.set_output_scales(0, {1.0f / std::sqrt((float)D)});
  std::vector<float> maskData;
  if (causal) {
    maskData.assign((size_t)(Lq * Lk), 0.0f);
    for (int64_t i = 0; i < Lq; ++i)
      for (int64_t j = i + Lk - Lq + 1; j < Lk; ++j)
        maskData[(size_t)(i * Lk + j)] = -INFINITY;
    dnnl::post_ops po;
    po.append_binary(dnnl::algorithm::binary_add, sd);
    attr.set_post_ops(po);
  }
  dnnl::matmul scores(
      dnnl::matmul::primitive_desc(dnnl::matmul::desc(qd, ktd, sd), attr, eng));
  dnnl::softmax_forward softmax(dnnl::softmax_forward::primitive_desc(
      dnnl::softmax_forward::desc(dnnl::prop_kind::forward_inference, sd, 2),
      eng));
  dnnl::matmul values(
      dnnl::matmul::primitive_desc(dnnl::matmul::desc(sd, vd, od), eng));
  std::vector<float> s((size_t)(Lq * Lk));
  memory qm(qd, eng, nullptr), km(ktd, eng, nullptr), vm(vd, eng, nullptr),
      om(od, eng, nullptr), sm(sd, eng, s.data()),
      mm(sd, eng, causal ? maskData.data() : nullptr);
  for (auto _ : state) {
    for (int64_t h = 0; h < in.B * in.H; ++h) {
      qm.set_data_handle(in.q.data() + h * Lq * D);
      km.set_data_handle(in.k.data() + h * Lk * D);
      vm.set_data_handle(in.v.data() + h * Lk * D);
      om.set_data_handle(in.out.data() + h * Lq * D);
      std::unordered_map<int, memory> args = {
          {DNNL_ARG_SRC, qm}, {DNNL_ARG_WEIGHTS, km}, {DNNL_ARG_DST, sm}};
      if (causal)
        args.insert({DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, mm});
      scores.execute(strm, args);
      softmax.execute(strm, {{DNNL_ARG_SRC, sm}, {DNNL_ARG_DST, sm}});
      values.execute(strm,
                     {{DNNL_ARG_SRC, sm}, {DNNL_ARG_WEIGHTS, vm}, {DNNL_ARG_DST, om}});
    }
    strm.wait();
    benchmark::ClobberMemory();
  }
  setCounters(state, in, threads, rss0);
  // The peer computes the same thing: its output against attnc's (after
  // the memory counters).
  std::vector<float> ours(in.out.size());
  std::swap(ours, in.out);
  attn_set_num_threads(threads);
  int64_t shape[] = {in.B, in.H, in.Lq, in.D};
  attn_tensor_t tq, tk, tv, to;
  attn_tensor_contiguous(&tq, in.q.data(), ATTN_DTYPE_F32, 4, shape);
  int64_t kshape[] = {in.B, in.H, in.Lk, in.D};
  attn_tensor_contiguous(&tk, in.k.data(), ATTN_DTYPE_F32, 4, kshape);
  attn_tensor_contiguous(&tv, in.v.data(), ATTN_DTYPE_F32, 4, kshape);
  attn_tensor_contiguous(&to, in.out.data(), ATTN_DTYPE_F32, 4, shape);
  if ((causal ? bench_causal(&tq, &tk, &tv, &to)
              : bench_dense(&tq, &tk, &tv, &to)) != ATTN_OK)
    state.SkipWithError(attn_last_error());
  double diff = 0;
  for (size_t i = 0; i < ours.size(); ++i)
    diff = std::max(diff, (double)std::fabs(ours[i] - in.out[i]));
  if (!(diff < 1e-3))
    state.SkipWithError("oneDNN's output differs from attnc's");
}

BENCHMARK(Attnc)
    ->Apply([](benchmark::internal::Benchmark *b) { bench::shapes(b, /*longRows=*/true); })
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(AttncGqa)
    ->Apply([](benchmark::internal::Benchmark *b) {
      for (int64_t t : {1, 2})
        for (int64_t lk : {1024, 4096, 16384, 32768})
          b->Args({32, 8, lk, 128, t});
    })
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(OneDnn)
    ->Apply([](benchmark::internal::Benchmark *b) { bench::shapes(b, /*longRows=*/false); })
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(AttncBf16)
    ->Apply([](benchmark::internal::Benchmark *b) {
      bench::shapes(b, /*longRows=*/false, /*decode=*/false);
    })
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
// Shapes where scheduling matters: uneven causal blocks, short calls, many
// small decode tasks, one head of decode split across threads.
BENCHMARK(Pool)
    ->Apply([](benchmark::internal::Benchmark *b) {
      for (int64_t pool : {0, 1, 2}) {
        b->Args({pool, 8, 2048, 2048, 64, 1, 2});
        b->Args({pool, 8, 256, 256, 64, 0, 2});
        b->Args({pool, 32, 1, 4096, 128, 0, 2});
        b->Args({pool, 1, 1, 32768, 128, 0, 2});
      }
    })
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(NaiveBlas)
    ->Apply([](benchmark::internal::Benchmark *b) { bench::shapes(b, /*longRows=*/false); })
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

} // namespace

int main(int argc, char **argv) { return bench::benchmarkMain(argc, argv); }
