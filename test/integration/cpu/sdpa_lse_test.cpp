//===- sdpa_lse_test.cpp - attn.sdpa's logsumexp vs a float64 reference ------===//
//
// Kernels come from sdpa_lse_kernels.mlir (one build per attnc variant,
// CMakeLists.txt). Each test runs one kernel with an `lse` result over
// prefill, cross-attention, decode, split-key-range and gather shapes, and
// checks both the output (as the other numerics tests do) and every row's
// logsumexp against Reference.h: ln sum_j exp(x_j) of the row's final
// scores, -inf for a row that sees no key.
//
//===----------------------------------------------------------------------===//
#include "Checked.h"

#ifndef ATTN_KERNELS_HEADER
#define ATTN_KERNELS_HEADER "sdpa_lse_kernels.h"
#endif
#include ATTN_KERNELS_HEADER

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace attn_test;

namespace {

/// Shapes: the masks' (Checked.h), and one prefill task, whose key range
/// is split when the host has threads to spare (SplitKeyRangesOnEveryBuild
/// forces splits).
const std::vector<Case> kCases = [] {
  std::vector<Case> c(std::begin(kMaskCases), std::end(kMaskCases));
  c.push_back({1, 1, 1, 64, 2000, 32, 32});
  return c;
}();

/// Runs `call(q, k, v, out, lse)` into NaN-filled outputs and checks both.
template <typename Call>
void runLse(const Case &c, Inputs &in, Call call, double scale, bool causal,
            const MaskSpec &mask = {}, float maxBias = 0) {
  Buffer<float> out({c.B, c.Hq, c.Lq, c.Dv}, NAN);
  Buffer<float> lse({c.B, c.Hq, c.Lq}, NAN);
  attn_tensor_t q = in.q.desc(ATTN_DTYPE_F32), k = in.k.desc(ATTN_DTYPE_F32),
                v = in.v.desc(ATTN_DTYPE_F32), o = out.desc(ATTN_DTYPE_F32),
                l = lse.desc(ATTN_DTYPE_F32);
  ASSERT_EQ(call(q, k, v, o, l), ATTN_OK) << attn_last_error();
  std::vector<double> refLse;
  std::vector<double> ref =
      referenceSdpa(in.q.data, in.k.data, in.v.data, c.B, c.Hq, c.Hkv, c.Lq,
                    c.Lk, c.D, c.Dv, scale, causal, mask, &refLse);
  bool nonFinite;
  double err = maxError(out.data, ref, nonFinite);
  EXPECT_FALSE(nonFinite);
  float maxQ = maxAbs(in.q.data), maxK = maxAbs(in.k.data);
  EXPECT_LE(err, f32Tolerance(c.D, c.Lk, scale, maxQ, maxK, maxAbs(in.v.data),
                              maxBias));
  int64_t empty = checkLse(lse.data, refLse, c.D, c.Lk, scale, maxQ, maxK,
                           maxBias);
  // A case that should have rows with no key has them.
  if (causal && c.Lq > c.Lk)
    EXPECT_EQ(empty, c.B * c.Hq * (c.Lq - c.Lk));
}

#define KERNEL_LSE(fn, ...)                                                    \
  [&](attn_tensor_t &q, attn_tensor_t &k, attn_tensor_t &v, attn_tensor_t &o, \
      attn_tensor_t &l) { return fn(&q, &k, &v, ##__VA_ARGS__, &o, &l); }

TEST(SdpaLse, Dense) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 101 + c.Lk));
    runLse(c, in, KERNEL_LSE(lse_dense), defaultScale(c), false);
  }
}

TEST(SdpaLse, CausalRowsWithoutKeysAreMinusInfinity) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 103 + c.Lk));
    runLse(c, in, KERNEL_LSE(lse_causal), 0.3, true);
  }
}

TEST(SdpaLse, NoKeysAtAll) {
  // kv_len 0: every row sees no key (zeros out, -inf logsumexp).
  Case c{1, 2, 2, 5, 0, 16, 16};
  Inputs in(c, 7);
  runLse(c, in, KERNEL_LSE(lse_dense), defaultScale(c), false);
}

TEST(SdpaLse, OverBiasAlibiAndWindow) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 107 + c.Lk));
    BiasAlibiWindow ref(c, 29);
    attn_tensor_t bd = ref.bias.desc(ATTN_DTYPE_F32);
    runLse(c, in, KERNEL_LSE(lse_bias_alibi_window, &bd), defaultScale(c),
           false, ref.spec, ref.maxBias);
  }
}

TEST(SdpaLse, CsrGraphBlockAndGatherBodies) {
  // 1 key in 6 per row (the block body) and 1 in 40 (the gather body);
  // every 5th row has none.
  for (int oneIn : {6, 40})
    for (const Case &c : kCases) {
      SCOPED_TRACE(name(c) + " oneIn=" + std::to_string(oneIn));
      Inputs in(c, (uint32_t)(c.Lq * 109 + c.Lk));
      CsrGraph g(c, [oneIn](int64_t) { return oneIn; });
      attn_tensor_t off = g.offsets.desc(ATTN_DTYPE_I32),
                    col = g.columns.desc(ATTN_DTYPE_I32);
      MaskSpec spec;
      spec.keepFn = [&g](int64_t, int64_t, int64_t i, int64_t j) {
        return g.edge(i, j);
      };
      runLse(c, in, KERNEL_LSE(lse_csr, &off, &col), defaultScale(c), false,
             spec);
    }
}

/// A serial parallel-for that reports 64 threads: the kernels then split
/// the key range of every case long enough (at least 512 keys) on every
/// build, whatever the host's cores and the build's blocks.
void serialPool(void *, int64_t n, int64_t, attn_task_fn fn, void *ctx) {
  if (n > 0)
    fn(ctx, 0, n);
}

TEST(SdpaLse, SplitKeyRangesOnEveryBuild) {
  attn_set_parallel_for(serialPool, nullptr, 64);
  for (const Case &c : {Case{1, 1, 1, 64, 2000, 32, 32},
                        Case{2, 2, 1, 70, 1100, 16, 16},
                        Case{1, 4, 2, 2, 3000, 64, 64}}) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 127 + c.Lk));
    runLse(c, in, KERNEL_LSE(lse_dense), defaultScale(c), false);
    runLse(c, in, KERNEL_LSE(lse_causal), 0.3, true);
  }
  attn_set_parallel_for(nullptr, nullptr, 0); // the built-in pool again
}

TEST(SdpaLse, StaticDecodeSplit) {
  Case c{1, 8, 2, 1, 3000, 64, 64};
  Inputs in(c, 113);
  runLse(c, in, KERNEL_LSE(lse_decode_static), defaultScale(c), false);
}

TEST(SdpaLse, LseOfTheWrongShapeIsAShapeError) {
  // lse must be [batch, q_heads, q_len]: here q_len is one short. The call
  // fails with ATTN_ERR_SHAPE and writes neither output.
  Case c{1, 2, 2, 10, 20, 16, 16};
  Inputs in(c, 5);
  Buffer<float> out({c.B, c.Hq, c.Lq, c.Dv}, NAN);
  Buffer<float> lse({c.B, c.Hq, c.Lq - 1}, NAN);
  attn_tensor_t q = in.q.desc(ATTN_DTYPE_F32), k = in.k.desc(ATTN_DTYPE_F32),
                v = in.v.desc(ATTN_DTYPE_F32), o = out.desc(ATTN_DTYPE_F32),
                l = lse.desc(ATTN_DTYPE_F32);
  EXPECT_EQ(lse_dense(&q, &k, &v, &o, &l), ATTN_ERR_SHAPE);
  EXPECT_NE(std::string(attn_last_error()).find("lse"), std::string::npos)
      << attn_last_error();
  EXPECT_TRUE(std::all_of(out.data.begin(), out.data.end(),
                          [](float x) { return std::isnan(x); }));
  EXPECT_TRUE(std::all_of(lse.data.begin(), lse.data.end(),
                          [](float x) { return std::isnan(x); }));
}

TEST(SdpaLse, LseOfTheWrongDtypeIsADtypeError) {
  // lse is f32 whatever the inputs: a bf16 descriptor is ATTN_ERR_DTYPE,
  // with both outputs untouched.
  Case c{1, 2, 2, 10, 20, 16, 16};
  Inputs in(c, 6);
  Buffer<float> out({c.B, c.Hq, c.Lq, c.Dv}, NAN);
  Buffer<uint16_t> lse({c.B, c.Hq, c.Lq}, 0x7fc0);
  attn_tensor_t q = in.q.desc(ATTN_DTYPE_F32), k = in.k.desc(ATTN_DTYPE_F32),
                v = in.v.desc(ATTN_DTYPE_F32), o = out.desc(ATTN_DTYPE_F32),
                l = lse.desc(ATTN_DTYPE_BF16);
  EXPECT_EQ(lse_dense(&q, &k, &v, &o, &l), ATTN_ERR_DTYPE);
  EXPECT_TRUE(std::all_of(out.data.begin(), out.data.end(),
                          [](float x) { return std::isnan(x); }));
  EXPECT_TRUE(std::all_of(lse.data.begin(), lse.data.end(),
                          [](uint16_t x) { return x == 0x7fc0; }));
}

} // namespace
