//===- halide_bench.cpp - The Halide 14 peer, on the suite's shapes -------===//
//
// Google Benchmark rows Halide/<H>/<Lq>/<Lk>/<D>/<causal>/<threads> with the
// counters of attn_bench (bench_common.h), running the AOT pipelines of
// halide_attention_generator.cpp. A binary of its own: Halide's runtime
// stays out of attnc's processes.
//
// Halide allocates its per-task scratch (scores of a tile, Kᵀ of a head)
// inside the parallel loop; with glibc's default mmap threshold every such
// allocation would map fresh pages and fault on each call. A caching
// allocator (halide_set_custom_malloc) keeps freed blocks for reuse within
// a row and releases them after it, so that the row's peak memory is still
// measured.
//
//===----------------------------------------------------------------------===//
#include "bench_common.h"
#include "halide_causal.h"
#include "halide_dense.h"

#include "HalideBuffer.h"
#include "HalideRuntime.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace {

/// Freed Halide blocks by size, reused by the next allocation of that size
/// on the same thread (Halide frees scratch on the thread that allocated
/// it); one cache per thread, so no lock on the hot path.
struct BlockCache {
  std::multimap<size_t, void *> idle;
  std::unordered_map<void *, size_t> sizeOf;

  void *get(size_t n) {
    auto it = idle.find(n);
    if (it != idle.end()) {
      void *p = it->second;
      idle.erase(it);
      return p;
    }
    void *p = std::aligned_alloc(128, (n + 127) / 128 * 128);
    if (p)
      sizeOf[p] = n;
    return p;
  }
  void put(void *p) {
    auto it = sizeOf.find(p);
    if (it == sizeOf.end()) { // allocated by another thread's cache
      std::free(p);
      return;
    }
    idle.emplace(it->second, p);
  }
  void release() {
    for (auto &[n, p] : idle) {
      sizeOf.erase(p);
      std::free(p);
    }
    idle.clear();
  }
};

std::mutex cachesMutex;
std::vector<BlockCache *> caches; // every thread's, for release()

BlockCache &threadCache() {
  thread_local BlockCache *cache = [] {
    auto *c = new BlockCache; // lives as long as the process
    std::lock_guard<std::mutex> lock(cachesMutex);
    caches.push_back(c);
    return c;
  }();
  return *cache;
}

/// Frees the idle blocks of every thread; only between rows (no pipeline
/// running).
void releaseCaches() {
  std::lock_guard<std::mutex> lock(cachesMutex);
  for (BlockCache *c : caches)
    c->release();
}

void *cachedMalloc(void *, size_t n) { return threadCache().get(n); }
void cachedFree(void *, void *p) { threadCache().put(p); }

void Halide(benchmark::State &state) {
  int64_t rss0 = bench::startMemory();
  bench::Inputs in(state.range(0), state.range(1), state.range(2),
                   state.range(3));
  bool causal = state.range(4);
  int threads = (int)state.range(5);
  halide_set_num_threads(threads);
  // Halide's dims are innermost first: (head_dim, seq_len, heads, batch).
  int D = (int)in.D, Lq = (int)in.Lq, Lk = (int)in.Lk, H = (int)in.H;
  Halide::Runtime::Buffer<float> qb(in.q.data(), {D, Lq, H, 1});
  Halide::Runtime::Buffer<float> kb(in.k.data(), {D, Lk, H, 1});
  Halide::Runtime::Buffer<float> vb(in.v.data(), {D, Lk, H, 1});
  Halide::Runtime::Buffer<float> ob(in.out.data(), {D, Lq, H, 1});
  for (auto _ : state) {
    int err = causal ? halide_causal(qb, kb, vb, ob)
                     : halide_dense(qb, kb, vb, ob);
    if (err) {
      state.SkipWithError("Halide pipeline failed");
      break;
    }
    benchmark::ClobberMemory();
  }
  releaseCaches();
  bench::setCounters(state, in.flop(), in.ioMiB(), threads, rss0);
}

BENCHMARK(Halide)
    ->Apply([](benchmark::internal::Benchmark *b) {
      bench::shapes(b, /*longRows=*/false);
    })
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

} // namespace

int main(int argc, char **argv) {
  bench::fixMmapThreshold();
  halide_set_custom_malloc(cachedMalloc);
  halide_set_custom_free(cachedFree);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
