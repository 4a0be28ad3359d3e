//===- sdpa_mod_test.cpp - mask_mod and score_mod vs a float64 reference ----===//
//
// Kernels come from sdpa_mod_kernels.mlir (one build per attnc variant,
// CMakeLists.txt). Each test runs one kernel over prefill, cross-attention
// and decode shapes (GQA, split key ranges, partial blocks) and checks it
// against Reference.h, which applies the same mod as a C++ function.
//
//===----------------------------------------------------------------------===//
#include "Checked.h"

#ifndef ATTN_KERNELS_HEADER
#define ATTN_KERNELS_HEADER "sdpa_mod_kernels.h"
#endif
#include ATTN_KERNELS_HEADER

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <tuple>
#include <utility>

using namespace attn_test;

namespace {

/// Shapes every mod runs on: {B, Hq, Hkv, Lq, Lk, D, Dv}.
const Case kCases[] = {
    {2, 4, 2, 67, 67, 32, 32},    // prefill, GQA, a partial query block
    {1, 2, 2, 130, 130, 16, 24},  // several query blocks, Dv != D
    {1, 2, 1, 20, 300, 16, 16},   // cross-attention, q_len < kv_len
    {2, 8, 2, 3, 300, 64, 64},    // decode: 3 queries of 4-head groups
    {1, 4, 1, 1, 1500, 128, 128}, // decode, MQA, a split key range
};

/// Per-batch key lengths: 0 for batch 1 (every row sees nothing: zeros),
/// otherwise drawn from [1, kv_len].
Buffer<int32_t> drawLengths(const Case &c, std::mt19937 &rng) {
  Buffer<int32_t> lens({c.B});
  for (int64_t b = 0; b < c.B; ++b)
    lens.data[b] = b == 1 ? 0 : (int32_t)(1 + rng() % c.Lk);
  return lens;
}

TEST(SdpaMaskMod, KeyPaddingFromPerBatchLengths) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 31 + c.Lk));
    std::mt19937 rng(7);
    Buffer<int32_t> lens = drawLengths(c, rng);
    attn_tensor_t l = lens.desc(ATTN_DTYPE_I32);
    MaskSpec spec;
    spec.keepFn = [&](int64_t b, int64_t, int64_t, int64_t j) {
      return j < lens.data[b];
    };
    Buffer<float> out = runChecked(c, in, KERNEL(mod_key_padding, &l),
                                   defaultScale(c), false, spec);
    if (c.B > 1)
      for (float x : std::vector<float>(
               out.data.begin() + c.Hq * c.Lq * c.Dv,
               out.data.begin() + 2 * c.Hq * c.Lq * c.Dv))
        ASSERT_EQ(x, 0.0f) << "batch 1 has no keys";
  }
}

/// Document ids [B, Lk] along each batch's keys: `next(rng, id, b, first)`
/// gives the next document's id (after `id`; `first` for the batch's first
/// document) and its length minus one.
template <typename Next>
Buffer<int64_t> drawDocuments(const Case &c, uint32_t seed, Next next) {
  Buffer<int64_t> doc({c.B, c.Lk});
  std::mt19937 rng(seed);
  for (int64_t b = 0; b < c.B; ++b) {
    int64_t id = 0, left = 0;
    for (int64_t j = 0; j < c.Lk; ++j) {
      if (left-- == 0)
        std::tie(id, left) = next(rng, id, b, j == 0);
      doc.at({b, j}) = id;
    }
  }
  return doc;
}

/// mod_document_causal (doc[b, q_idx] == doc[b, kv_idx], with causal)
/// against the reference.
void checkDocumentCausal(const Case &c, Inputs &in, Buffer<int64_t> &doc) {
  attn_tensor_t d = doc.desc(ATTN_DTYPE_I64);
  MaskSpec spec;
  spec.keepFn = [&](int64_t b, int64_t, int64_t i, int64_t j) {
    return doc.at({b, i}) == doc.at({b, j});
  };
  runChecked(c, in, KERNEL(mod_document_causal, &d), defaultScale(c), true,
             spec);
}

TEST(SdpaMaskMod, DocumentIdsWithCausal) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 37 + c.Lk));
    // Documents of 1 to 40 tokens; ids need not be sorted.
    Buffer<int64_t> doc =
        drawDocuments(c, 11, [](std::mt19937 &rng, int64_t, int64_t, bool) {
          return std::make_pair((int64_t)(rng() % 1000) - 500,
                                (int64_t)(rng() % 40));
        });
    checkDocumentCausal(c, in, doc);
  }
}

// Sorted documents of 50 to 200 tokens: the region's reads doc[b, q_idx]
// and doc[b, kv_idx] are bounded per step by the per-call block tables
// (ModIntervals.h), so whole steps are empty (other documents) or full (one
// document); a wrong table or block index shows in the output.
TEST(SdpaMaskMod, SortedDocumentsClassedFromBlockTables) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 71 + c.Lk));
    Buffer<int64_t> doc =
        drawDocuments(c, 19, [](std::mt19937 &rng, int64_t id, int64_t b,
                                bool first) {
          return std::make_pair((first ? 3 * b - 2 : id) + 1 +
                                    (int64_t)(rng() % 3),
                                50 + (int64_t)(rng() % 151));
        });
    checkDocumentCausal(c, in, doc);
  }
}

TEST(SdpaMaskMod, SlidingWindowFromCapturedShapes) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 41 + c.Lk));
    MaskSpec spec;
    spec.keepFn = [&](int64_t, int64_t, int64_t i, int64_t j) {
      return i + (c.Lk - c.Lq) - j < 37;
    };
    runChecked(c, in, KERNEL(mod_sliding_window), defaultScale(c), true,
               spec);
  }
}

TEST(SdpaScoreMod, AlibiSlopesPerQueryHead) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 43 + c.Lk));
    // Press et al.'s geometric slopes 2^(-8 (h + 1) / Hq), per query head.
    Buffer<float> slopes({c.Hq});
    for (int64_t h = 0; h < c.Hq; ++h)
      slopes.data[h] = std::exp2(-8.0f * (float)(h + 1) / (float)c.Hq);
    attn_tensor_t s = slopes.desc(ATTN_DTYPE_F32);
    MaskSpec spec;
    spec.scoreFn = [&](double x, int64_t, int64_t h, int64_t i, int64_t j) {
      return x + (double)slopes.data[h] * (double)(j - i);
    };
    // The bias term reaches slope * kv_len in magnitude. The mod path
    // rounds a score of that size about 4 times (to natural units, the
    // product, the sum, back to base 2), each by eps * |score|: twice the
    // 2 eps * maxBias that f32Tolerance budgets for one bias.
    float maxBias = 2 * slopes.data[0] * (float)c.Lk;
    runChecked(c, in, KERNEL(mod_alibi, &s), defaultScale(c), true, spec,
               maxBias);
  }
}

TEST(SdpaScoreMod, SoftCapBeforeTheBias) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 47 + c.Lk));
    for (float &x : in.q.data) // scores of a few units: the cap bends them
      x *= 6.0f;
    Buffer<float> bias = biasWithHoles({c.B, 1, c.Lq, c.Lk}, 13, 2.f);
    attn_tensor_t m = bias.desc(ATTN_DTYPE_F32);
    MaskSpec spec = biasMask(bias, c.B, 1);
    spec.scoreFn = [](double x, int64_t, int64_t, int64_t, int64_t) {
      return 2.0 * std::tanh(x / 2.0);
    };
    // The polynomial tanh is within a few ulp of |score| <= 2.
    runChecked(c, in, KERNEL(mod_softcap_bias, &m), defaultScale(c), false,
               spec, /*maxBias=*/4);
  }
}

TEST(SdpaMods, RelativeBiasTableAndKeyPaddingInOneOp) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 53 + c.Lk));
    std::mt19937 rng(17);
    Buffer<float> table({c.Hq, 17});
    fillUniform(table.data, rng, -3.f, 3.f);
    Buffer<int32_t> lens = drawLengths(c, rng);
    attn_tensor_t t = table.desc(ATTN_DTYPE_F32), l = lens.desc(ATTN_DTYPE_I32);
    MaskSpec spec;
    spec.keepFn = [&](int64_t b, int64_t, int64_t, int64_t j) {
      return j < lens.data[b];
    };
    spec.scoreFn = [&](double x, int64_t, int64_t h, int64_t i, int64_t j) {
      int64_t d = std::min<int64_t>(8, std::max<int64_t>(-8, j - i));
      return x + (double)table.at({h, d + 8});
    };
    runChecked(c, in, KERNEL(mod_rel_bias_padding, &t, &l), defaultScale(c),
               false, spec, /*maxBias=*/2 * 3); // 4 roundings, as ALiBi
  }
}

TEST(SdpaMaskMod, GraphAdjacencyInCsr) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 59 + c.Lk));
    CsrGraph g(c);
    // (Not named q, k, v or o: KERNEL's lambda takes those names.)
    attn_tensor_t offs = g.offsets.desc(ATTN_DTYPE_I32);
    attn_tensor_t colT = g.columns.desc(ATTN_DTYPE_I32);
    MaskSpec spec;
    spec.keepFn = [&](int64_t, int64_t, int64_t i, int64_t j) {
      return g.edge(i, j);
    };
    Buffer<float> out = runChecked(c, in, KERNEL(mod_csr_graph, &offs, &colT),
                                   defaultScale(c), false, spec);
    if (c.Lq > 4)
      for (int64_t e = 0; e < c.Dv; ++e)
        ASSERT_EQ(out.at({0, 0, 4, e}), 0.0f) << "query 4 has no neighbours";
  }
}

// The block classes of passes/tile/ModIntervals.h: a wrong empty or full
// class drops or unmasks a whole step, which the reference sees. Parameters
// that break an interval rule's run-time guard (a negative stride, a band
// past i32) leave the steps partial, still exact.
TEST(SdpaMaskMod, StripedBandClassedByIntervals) {
  const int64_t kParams[][3] = {
      {96, 64, 200},               // stripes of 64 keys, a long band
      {5, 2, 37},                  // short stripes: few steps full
      {-96, 64, 200},              // a negative divisor: no classes
      {96, 64, (int64_t)1 << 33}}; // the band wraps to 0 in i32
  for (const Case &c : kCases) {
    for (const auto &p : kParams) {
      SCOPED_TRACE(name(c) + " params " + std::to_string(p[0]) + "," +
                   std::to_string(p[1]) + "," + std::to_string(p[2]));
      Inputs in(c, (uint32_t)(c.Lq * 61 + c.Lk));
      Buffer<int64_t> params({3});
      std::copy(p, p + 3, params.data.begin());
      attn_tensor_t pt = params.desc(ATTN_DTYPE_I64);
      MaskSpec spec;
      spec.keepFn = [&](int64_t, int64_t, int64_t i, int64_t j) {
        // As the region computes it: remainder with the dividend's sign,
        // the band in i32 (wrapping as the region's trunci does).
        bool stripe = j % p[0] < p[1];
        int32_t d = (int32_t)((uint32_t)i - (uint32_t)j);
        int32_t band = (int32_t)(uint32_t)(uint64_t)p[2];
        return stripe && ((d >= 0 && d < band) || j < 4);
      };
      runChecked(c, in, KERNEL(mod_striped_band, &pt), defaultScale(c),
                 false, spec);
    }
  }
}

TEST(SdpaMaskMod, HeadGroupsSeeAlternateHalvesClassedByIntervals) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 67 + c.Lk));
    MaskSpec spec;
    spec.keepFn = [&](int64_t, int64_t h, int64_t, int64_t j) {
      return (j / 64 + h / 2) % 2 == 0 && j % 64 != 0;
    };
    runChecked(c, in, KERNEL(mod_head_halves), defaultScale(c), false, spec);
  }
}

TEST(SdpaMaskMod, SignMaskFromIndexCastOfI1) {
  // index_cast i1 -> index is -1 for true: the region keeps keys with
  // 0 < q_idx - kv_idx <= 16 (row 0 keeps none: zeros).
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 71 + c.Lk));
    MaskSpec spec;
    spec.keepFn = [&](int64_t, int64_t, int64_t i, int64_t j) {
      return j < i && i - j <= 16;
    };
    runChecked(c, in, KERNEL(mod_sign_window), defaultScale(c), false, spec);
  }
}

//===----------------------------------------------------------------------===//
// Named score modifiers (score_mods)
//===----------------------------------------------------------------------===//

/// The cases above plus head counts that are not powers of two (the
/// slopes' second branch): 6 heads in GQA groups of 3, and 12 decode heads.
std::vector<Case> alibiCases() {
  std::vector<Case> cases(std::begin(kCases), std::end(kCases));
  cases.push_back({1, 6, 2, 70, 70, 32, 32});
  cases.push_back({2, 12, 12, 2, 200, 16, 16});
  return cases;
}

/// The ALiBi reference: score + m[h] * (kv_idx - pos), pos = q_idx +
/// kv_len - q_len.
std::function<double(double, int64_t, int64_t, int64_t, int64_t)>
alibiFn(const Case &c, const std::vector<double> &m) {
  return [&m, c](double x, int64_t, int64_t h, int64_t i, int64_t j) {
    return x + m[h] * (double)(j - (i + c.Lk - c.Lq));
  };
}

// The bias reaches max(m) * kv_len (m[0] for a power-of-two head count;
// the second branch's first slope, 2^(-4/p), is larger). The stage rounds
// a score of that size about 4 times (to natural units, the product, the
// sum, back to base 2):
// twice the 2 eps * maxBias that f32Tolerance budgets for one bias, as for
// the score_mod form (SdpaScoreMod.AlibiSlopesPerQueryHead).
float alibiMaxBias(const Case &c, const std::vector<double> &m) {
  return 2 * (float)*std::max_element(m.begin(), m.end()) * (float)c.Lk;
}

TEST(SdpaNamedScoreMod, AlibiPaperSlopesCausal) {
  for (const Case &c : alibiCases()) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 73 + c.Lk));
    std::vector<double> m = paperSlopes(c.Hq);
    MaskSpec spec;
    spec.scoreFn = alibiFn(c, m);
    runChecked(c, in, KERNEL(named_alibi), defaultScale(c), true, spec,
               alibiMaxBias(c, m));
  }
}

TEST(SdpaNamedScoreMod, AlibiSlopesFromACaptureInAWindow) {
  for (const Case &c : alibiCases()) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 79 + c.Lk));
    std::mt19937 rng(23);
    Buffer<float> slopes({c.Hq});
    fillUniform(slopes.data, rng, 0.f, 0.5f);
    std::vector<double> m(slopes.data.begin(), slopes.data.end());
    attn_tensor_t s = slopes.desc(ATTN_DTYPE_F32);
    MaskSpec spec;
    spec.scoreFn = alibiFn(c, m);
    spec.keepFn = [&](int64_t, int64_t, int64_t i, int64_t j) {
      int64_t d = i + (c.Lk - c.Lq) - j;
      return d <= 40 && d >= -10;
    };
    float maxBias = 2 * *std::max_element(slopes.data.begin(),
                                          slopes.data.end()) *
                    (float)c.Lk;
    runChecked(c, in, KERNEL(named_alibi_slopes_window, &s), defaultScale(c),
               false, spec, maxBias);
  }
}

TEST(SdpaNamedScoreMod, ScoreModRegionBeforeAlibi) {
  for (const Case &c : alibiCases()) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 83 + c.Lk));
    for (float &x : in.q.data) // scores of a few units: the cap bends them
      x *= 6.0f;
    std::vector<double> m = paperSlopes(c.Hq);
    MaskSpec spec;
    auto alibi = alibiFn(c, m);
    spec.scoreFn = [&](double x, int64_t b, int64_t h, int64_t i, int64_t j) {
      return alibi(2.0 * std::tanh(x / 2.0), b, h, i, j);
    };
    runChecked(c, in, KERNEL(softcap_then_alibi), defaultScale(c), false,
               spec, alibiMaxBias(c, m) + 4);
  }
}

TEST(SdpaNamedScoreMod, SlopesNotOnePerQueryHeadIsAShapeError) {
  // 3 slopes for 4 query heads: the entry point ties the capture's dim 0
  // to q_heads (tieCaptureDims), so the kernel never reads slopes[3].
  Case c{1, 4, 2, 8, 8, 16, 16};
  Inputs in(c, 5);
  Buffer<float> slopes({3}, 0.25f);
  Buffer<float> out({c.B, c.Hq, c.Lq, c.Dv}, 7.0f);
  attn_tensor_t q = in.q.desc(ATTN_DTYPE_F32), k = in.k.desc(ATTN_DTYPE_F32),
                v = in.v.desc(ATTN_DTYPE_F32), s = slopes.desc(ATTN_DTYPE_F32),
                o = out.desc(ATTN_DTYPE_F32);
  EXPECT_EQ(named_alibi_slopes_window(&q, &k, &v, &s, &o), ATTN_ERR_SHAPE);
  EXPECT_NE(std::string(attn_last_error())
                .find("'slopes' dim 0 is 3 but 'q' dim 1 is 4"),
            std::string::npos)
      << attn_last_error();
  for (float x : out.data) // untouched
    ASSERT_EQ(x, 7.0f);
}

} // namespace
