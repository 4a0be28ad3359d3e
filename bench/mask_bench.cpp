//===- mask_bench.cpp - Named masks against the dense kernel ----------------===//
//
// The mask rows of bench/run_masks.sh: attnc's kernels with named masks
// (bench/mask_kernels.mlir) against attnc's own dense kernel on the same
// shape, in the same run; mask_torch_bench.py measures PyTorch with the
// dense masks these need, and mask_report.py writes the section of
// BENCHMARKS.md. f32, batch 1, head_dim 64, one thread (the ratios are
// what the masks save, not how the threads scale).
//
// Rows (Google Benchmark args):
//   Dense/H/L, Causal/H/L, Window/H/L (256 keys: #attn.window<left = 255>)
//   CausalAlibi/H/L (#attn.causal with score_mods [#attn.alibi])
//   WindowCold/H/L (Window with the caches evicted before each call)
//   Layout/H/L/rho% (static block layouts at 8192 tokens)
//   Documents/H/L/n (n packed documents of equal length, sorted ids)
//   ClassifyOnly/H/L (query and key ids disjoint: every step is classed
//     and skipped, so the time is the run-time classification per call)
//   Csr/H/N/degree, CsrBlocks/H/N/degree and DenseI1/H/N/degree (one
//     random graph with N nodes, as #attn.csr, as #attn.csr with the gather
//     body off, and as a dense i1 mask operand)
//   Weights/H/L/kind (a causal kernel built with --weights=lse,probs: kind
//     0 is F, 1 F__lse, 2 F__probs)
//
//===----------------------------------------------------------------------===//
#include "bench_common.h"

#include "csr_block_kernels.h"
#include "mask_kernels.h"
#include "weights_kernels.h"

#include <algorithm>
#include <vector>

#include <unistd.h>

namespace {

using bench::Inputs;

struct Tensors {
  attn_tensor_t q, k, v, o;
  explicit Tensors(Inputs &in) {
    int64_t qs[] = {in.B, in.H, in.Lq, in.D}, ks[] = {in.B, in.Hkv, in.Lk, in.D};
    attn_tensor_contiguous(&q, in.q.data(), ATTN_DTYPE_F32, 4, qs);
    attn_tensor_contiguous(&k, in.k.data(), ATTN_DTYPE_F32, 4, ks);
    attn_tensor_contiguous(&v, in.v.data(), ATTN_DTYPE_F32, 4, ks);
    attn_tensor_contiguous(&o, in.out.data(), ATTN_DTYPE_F32, 4, qs);
  }
};

/// Reads a buffer of twice the last-level cache (sysconf; 64 MiB if it
/// does not say, at most 1 GiB), so that the next call finds its inputs in
/// memory rather than left in cache by the call before. Without it a small
/// problem (4 MiB at 4096 tokens) stays cached across the timed calls and a
/// large one (64 MiB at 65536) does not, which makes the time per token
/// look as if it grew with the length. (The Intel host's VM reports a
/// 260 MiB L3, yet its warm 64k rows take the evicted rows' time: the
/// cache is shared with other tenants, and a guest keeps far less.)
void evictCaches() {
  static std::vector<char> junk = [] {
    long llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
    size_t bytes = llc > 0 ? 2 * (size_t)llc : (size_t(64) << 20);
    return std::vector<char>(std::min(bytes, size_t(1) << 30), 1);
  }();
  long sum = 0;
  for (size_t i = 0; i < junk.size(); i += 64)
    sum += junk[i];
  benchmark::DoNotOptimize(sum);
}

template <typename Call>
void run(benchmark::State &state, Inputs &in, int64_t rss0, Call call,
         bool cold = false) {
  attn_set_num_threads(1);
  Tensors t(in);
  for (auto _ : state) {
    if (cold) {
      state.PauseTiming();
      evictCaches();
      state.ResumeTiming();
    }
    if (call(t) != ATTN_OK) {
      state.SkipWithError(attn_last_error());
      break;
    }
    benchmark::ClobberMemory();
  }
  bench::setCounters(state, in.flop(), in.ioMiB(), 1, rss0);
}

constexpr int64_t kHeadDim = 64;

void Dense(benchmark::State &state) {
  int64_t rss0 = bench::startMemory();
  Inputs in(state.range(0), state.range(1), state.range(1), kHeadDim);
  run(state, in, rss0,
      [](Tensors &t) { return mask_dense(&t.q, &t.k, &t.v, &t.o); });
}

void Causal(benchmark::State &state) {
  int64_t rss0 = bench::startMemory();
  Inputs in(state.range(0), state.range(1), state.range(1), kHeadDim);
  run(state, in, rss0,
      [](Tensors &t) { return mask_causal(&t.q, &t.k, &t.v, &t.o); });
}

void CausalMod(benchmark::State &state) {
  int64_t rss0 = bench::startMemory();
  Inputs in(state.range(0), state.range(1), state.range(1), kHeadDim);
  run(state, in, rss0,
      [](Tensors &t) { return mask_causal_mod(&t.q, &t.k, &t.v, &t.o); });
}

void CausalAlibi(benchmark::State &state) {
  int64_t rss0 = bench::startMemory();
  Inputs in(state.range(0), state.range(1), state.range(1), kHeadDim);
  run(state, in, rss0,
      [](Tensors &t) { return mask_causal_alibi(&t.q, &t.k, &t.v, &t.o); });
}

void Window(benchmark::State &state) {
  int64_t rss0 = bench::startMemory();
  Inputs in(state.range(0), state.range(1), state.range(1), kHeadDim);
  run(state, in, rss0,
      [](Tensors &t) { return mask_window(&t.q, &t.k, &t.v, &t.o); });
}

void WindowCold(benchmark::State &state) {
  int64_t rss0 = bench::startMemory();
  Inputs in(state.range(0), state.range(1), state.range(1), kHeadDim);
  run(
      state, in, rss0,
      [](Tensors &t) { return mask_window(&t.q, &t.k, &t.v, &t.o); },
      /*cold=*/true);
}

void Layout(benchmark::State &state) {
  int64_t rss0 = bench::startMemory();
  Inputs in(state.range(0), state.range(1), state.range(1), kHeadDim);
  auto fn = state.range(2) == 50   ? mask_layout_50
            : state.range(2) == 25 ? mask_layout_25
                                   : mask_layout_10;
  run(state, in, rss0,
      [fn](Tensors &t) { return fn(&t.q, &t.k, &t.v, &t.o); });
}

void Documents(benchmark::State &state) {
  int64_t rss0 = bench::startMemory();
  int64_t L = state.range(1), n = state.range(2);
  Inputs in(state.range(0), L, L, kHeadDim);
  std::vector<int32_t> ids(L);
  for (int64_t i = 0; i < L; ++i)
    ids[i] = (int32_t)(i * n / L);
  int64_t shape[] = {L};
  attn_tensor_t idT;
  attn_tensor_contiguous(&idT, ids.data(), ATTN_DTYPE_I32, 1, shape);
  run(state, in, rss0, [&](Tensors &t) {
    return mask_documents(&t.q, &t.k, &t.v, &idT, &t.o);
  });
}

void ClassifyOnly(benchmark::State &state) {
  int64_t rss0 = bench::startMemory();
  int64_t L = state.range(1);
  Inputs in(state.range(0), L, L, kHeadDim);
  std::vector<int32_t> qIds(L, 0), kvIds(L, 1);
  int64_t shape[] = {L};
  attn_tensor_t qT, kT;
  attn_tensor_contiguous(&qT, qIds.data(), ATTN_DTYPE_I32, 1, shape);
  attn_tensor_contiguous(&kT, kvIds.data(), ATTN_DTYPE_I32, 1, shape);
  run(state, in, rss0, [&](Tensors &t) {
    return mask_documents_cross(&t.q, &t.k, &t.v, &qT, &kT, &t.o);
  });
}

/// A random graph: each node has `degree` distinct neighbours, uniform.
struct Graph {
  std::vector<int32_t> offsets, columns;
  std::vector<uint8_t> dense;
  Graph(int64_t n, int64_t degree) : offsets(n + 1), dense(n * n, 0) {
    std::mt19937 rng(3);
    for (int64_t i = 0; i < n; ++i) {
      offsets[i] = (int32_t)columns.size();
      std::vector<int32_t> row;
      while ((int64_t)row.size() < degree) {
        int32_t j = (int32_t)(rng() % n);
        if (!dense[i * n + j]) {
          dense[i * n + j] = 1;
          row.push_back(j);
        }
      }
      std::sort(row.begin(), row.end());
      columns.insert(columns.end(), row.begin(), row.end());
    }
    offsets[n] = (int32_t)columns.size();
  }
};

/// One random graph of state.range(1) nodes and degree state.range(2) as
/// CSR captures of `kernel` (mask_csr or mask_csr_blocks).
template <typename Kernel>
void runCsr(benchmark::State &state, Kernel kernel) {
  int64_t rss0 = bench::startMemory();
  int64_t n = state.range(1);
  Inputs in(state.range(0), n, n, kHeadDim);
  Graph g(n, state.range(2));
  int64_t os[] = {n + 1}, cs[] = {(int64_t)g.columns.size()};
  attn_tensor_t oT, cT;
  attn_tensor_contiguous(&oT, g.offsets.data(), ATTN_DTYPE_I32, 1, os);
  attn_tensor_contiguous(&cT, g.columns.data(), ATTN_DTYPE_I32, 1, cs);
  run(state, in, rss0, [&](Tensors &t) {
    return kernel(&t.q, &t.k, &t.v, &oT, &cT, &t.o);
  });
}

void Csr(benchmark::State &state) { runCsr(state, mask_csr); }

void CsrBlocks(benchmark::State &state) { runCsr(state, mask_csr_blocks); }

void DenseI1(benchmark::State &state) {
  int64_t rss0 = bench::startMemory();
  int64_t n = state.range(1);
  Inputs in(state.range(0), n, n, kHeadDim);
  Graph g(n, state.range(2));
  int64_t ms[] = {n, n};
  attn_tensor_t mT;
  attn_tensor_contiguous(&mT, g.dense.data(), ATTN_DTYPE_I1, 2, ms);
  run(state, in, rss0, [&](Tensors &t) {
    return mask_dense_i1(&t.q, &t.k, &t.v, &mT, &t.o);
  });
}

void Weights(benchmark::State &state) {
  int64_t rss0 = bench::startMemory();
  int64_t H = state.range(0), L = state.range(1), kind = state.range(2);
  Inputs in(H, L, L, kHeadDim);
  std::vector<float> extra(kind == 2 ? H * L * L : H * L);
  int64_t ls[] = {1, H, L}, ps[] = {1, H, L, L};
  attn_tensor_t e;
  attn_tensor_contiguous(&e, extra.data(), ATTN_DTYPE_F32, kind == 2 ? 4 : 3,
                         kind == 2 ? ps : ls);
  run(state, in, rss0, [&](Tensors &t) {
    return kind == 0   ? weights_causal(&t.q, &t.k, &t.v, &t.o)
           : kind == 1 ? weights_causal__lse(&t.q, &t.k, &t.v, &t.o, &e)
                       : weights_causal__probs(&t.q, &t.k, &t.v, &t.o, &e);
  });
}

void units(benchmark::internal::Benchmark *b) {
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}

// Causal against dense at 4096 tokens.
BENCHMARK(Dense)->Args({4, 4096})->Apply(units);
BENCHMARK(Causal)->Args({4, 4096})->Apply(units);
BENCHMARK(CausalMod)->Args({4, 4096})->Apply(units);
// ALiBi in the kernel (#attn.alibi, the paper's slopes) against causal.
BENCHMARK(CausalAlibi)->Args({4, 4096})->Apply(units);
// Sliding window 256 from 4k to 64k tokens, dense at the same lengths up to
// 32k.
BENCHMARK(Window)
    ->Args({1, 4096})->Args({1, 8192})->Args({1, 16384})->Args({1, 32768})
    ->Args({1, 65536})->Apply(units);
// The same with the caches evicted before each call (30 calls a
// repetition: each eviction reads twice the last-level cache).
BENCHMARK(WindowCold)
    ->Args({1, 4096})->Args({1, 8192})->Args({1, 16384})->Args({1, 32768})
    ->Args({1, 65536})->Iterations(30)->Apply(units);
BENCHMARK(Dense)
    ->Args({1, 4096})->Args({1, 8192})->Args({1, 16384})->Args({1, 32768})
    ->Apply(units);
// Block-sparse layouts at 8192 tokens, against dense.
BENCHMARK(Dense)->Args({2, 8192})->Apply(units);
BENCHMARK(Layout)
    ->Args({2, 8192, 50})->Args({2, 8192, 25})->Args({2, 8192, 10})
    ->Apply(units);
// 8 packed documents in 8192 tokens.
BENCHMARK(Documents)->Args({2, 8192, 8})->Apply(units);
BENCHMARK(ClassifyOnly)->Args({2, 8192})->Args({2, 32768})->Apply(units);
// Graph attention, 16384 nodes of degree 64 (about 1M edges), against the
// same graph as a dense mask; and at densities around the gather body's
// threshold (1/8 of the keys by default), with the block body forced.
BENCHMARK(Csr)
    ->Args({1, 4096, 64})->Args({1, 16384, 64})->Args({1, 16384, 1024})->Args({1, 16384, 2048})
    ->Args({1, 16384, 4096})->Apply(units);
BENCHMARK(CsrBlocks)
    ->Args({1, 4096, 64})->Args({1, 16384, 64})->Args({1, 16384, 1024})->Args({1, 16384, 2048})
    ->Args({1, 16384, 4096})->Apply(units);
BENCHMARK(DenseI1)->Args({1, 16384, 64})->Apply(units);
// The weights variants against F: the logsumexp at 1024 and 4096 tokens,
// the weights (the reference lowering today) at 1024.
BENCHMARK(Weights)
    ->Args({4, 1024, 0})->Args({4, 1024, 1})->Args({4, 1024, 2})
    ->Args({4, 4096, 0})->Args({4, 4096, 1})->Apply(units);

} // namespace

int main(int argc, char **argv) {
  // evictCaches allocates its buffer before any row's memory counter.
  return bench::benchmarkMain(argc, argv, evictCaches);
}
