//===- family_bench.cpp - The attention family's ops ---------------------===//
//
// The rows of bench/run_family.sh: attnc's kernels for the attention
// family (bench/family_kernels.mlir); family_torch_bench.py times the same
// computations written with PyTorch 1.13 modules, as users write them.
// f32, one thread.
//
// Rows (Google Benchmark args):
//   LuongGeneral/B/Lt/Ls (the general score and context, hidden 512: Lt = 1
//     is a decoder step, Lt = Ls a teacher-forced sentence)
//   LuongLayer/B/Lt/Ls (the same plus the attentional state
//     tanh(W_c [c; h_t] + b))
//
//===----------------------------------------------------------------------===//
#include "bench_common.h"

#include "family_kernels.h"

#include <random>
#include <vector>

namespace {

constexpr int64_t kHidden = 512;

struct Tensor {
  std::vector<float> data;
  attn_tensor_t desc;
  Tensor(std::vector<int64_t> shape, uint32_t seed, float range) {
    size_t n = 1;
    for (int64_t d : shape)
      n *= (size_t)d;
    data.resize(n);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-range, range);
    for (float &x : data)
      x = u(rng);
    attn_tensor_contiguous(&desc, data.data(), ATTN_DTYPE_F32,
                           (int32_t)shape.size(), shape.data());
  }
};

/// Luong's flop: the folded query (2 Lt H²), scores and context
/// (4 Lt Ls H), and with the layer W_c (2 Lt 2H H).
void luong(benchmark::State &state, bool layer) {
  int64_t rss0 = bench::startMemory();
  int64_t B = state.range(0), Lt = state.range(1), Ls = state.range(2),
          H = kHidden;
  attn_set_num_threads(1);
  Tensor ht({B, 1, Lt, H}, 1, 1.f), hs({B, 1, Ls, H}, 2, 1.f),
      wa({H, H}, 3, 0.05f), wc({2 * H, H}, 4, 0.05f), bc({H}, 5, 0.1f),
      out({B, 1, Lt, H}, 6, 0.f);
  for (auto _ : state) {
    attn_status_t st =
        layer ? luong_layer(&ht.desc, &hs.desc, &wa.desc, &wc.desc, &bc.desc,
                            &out.desc)
              : luong_general(&ht.desc, &hs.desc, &wa.desc, &out.desc);
    if (st != ATTN_OK) {
      state.SkipWithError(attn_last_error());
      break;
    }
    benchmark::ClobberMemory();
  }
  double flop = (double)B * Lt * (2.0 * H * H + 4.0 * Ls * H +
                                  (layer ? 4.0 * H * H : 0.0));
  double io = 4.0 *
              (double)(B * Lt * H * 2 + B * Ls * H + H * H +
                       (layer ? 2 * H * H + H : 0)) /
              (1 << 20);
  bench::setCounters(state, flop, io, 1, rss0);
}

void LuongGeneral(benchmark::State &state) { luong(state, false); }
void LuongLayer(benchmark::State &state) { luong(state, true); }

void units(benchmark::internal::Benchmark *b) {
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(LuongGeneral)
    ->Args({16, 1, 64})->Args({16, 1, 512})->Args({16, 64, 64})
    ->Apply(units);
BENCHMARK(LuongLayer)->Args({16, 1, 64})->Args({16, 64, 64})->Apply(units);

} // namespace

int main(int argc, char **argv) { return bench::benchmarkMain(argc, argv); }
