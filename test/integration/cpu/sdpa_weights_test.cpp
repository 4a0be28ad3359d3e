//===- sdpa_weights_test.cpp - attnc --weights copies vs a float64 reference ===//
//
// Kernels come from sdpa_weights_kernels.mlir, compiled with
// `attnc --weights=lse,probs` (CMakeLists.txt): each function F there is
// exported as F, F__lse and F__probs. Each test calls all three on the same
// inputs and checks the output of each against Reference.h, the logsumexp
// of F__lse, and every attention weight of F__probs: exactly 0 where the
// reference's is, within probsTolerance elsewhere.
//
//===----------------------------------------------------------------------===//
#include "Checked.h"

#ifndef ATTN_KERNELS_HEADER
#define ATTN_KERNELS_HEADER "sdpa_weights_kernels.h"
#endif
#include ATTN_KERNELS_HEADER

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

using namespace attn_test;

namespace {

/// The calls of one exported function F and its copies; `extra` holds the
/// descriptors between v and the output (a mask, captures).
struct Variants {
  std::function<attn_status_t(attn_tensor_t *, attn_tensor_t *,
                              attn_tensor_t *, attn_tensor_t *)>
      plain;
  std::function<attn_status_t(attn_tensor_t *, attn_tensor_t *,
                              attn_tensor_t *, attn_tensor_t *,
                              attn_tensor_t *)>
      lse, probs;
};

#define VARIANTS(fn, ...)                                                      \
  Variants {                                                                   \
    [&](attn_tensor_t *q, attn_tensor_t *k, attn_tensor_t *v,                  \
        attn_tensor_t *o) { return fn(q, k, v, ##__VA_ARGS__, o); },           \
        [&](attn_tensor_t *q, attn_tensor_t *k, attn_tensor_t *v,              \
            attn_tensor_t *o, attn_tensor_t *l) {                              \
          return fn##__lse(q, k, v, ##__VA_ARGS__, o, l);                      \
        },                                                                     \
        [&](attn_tensor_t *q, attn_tensor_t *k, attn_tensor_t *v,              \
            attn_tensor_t *o, attn_tensor_t *p) {                              \
          return fn##__probs(q, k, v, ##__VA_ARGS__, o, p);                    \
        }                                                                      \
  }

/// Runs F, F__lse and F__probs into NaN-filled outputs and checks them all.
/// Returns the number of weights that are 0.
int64_t runWeights(const Case &c, Inputs &in, const Variants &fn,
                   double scale, bool causal, const MaskSpec &mask = {},
                   float maxBias = 0) {
  std::vector<double> refLse, refProbs;
  std::vector<double> ref =
      referenceSdpa(in.q.data, in.k.data, in.v.data, c.B, c.Hq, c.Hkv, c.Lq,
                    c.Lk, c.D, c.Dv, scale, causal, mask, &refLse, &refProbs);
  float maxQ = maxAbs(in.q.data), maxK = maxAbs(in.k.data);
  double outTol = f32Tolerance(c.D, c.Lk, scale, maxQ, maxK,
                               maxAbs(in.v.data), maxBias);
  attn_tensor_t q = in.q.desc(ATTN_DTYPE_F32), k = in.k.desc(ATTN_DTYPE_F32),
                v = in.v.desc(ATTN_DTYPE_F32);
  auto checkOut = [&](const Buffer<float> &out, const char *what) {
    bool nonFinite;
    double err = maxError(out.data, ref, nonFinite);
    EXPECT_FALSE(nonFinite) << what;
    EXPECT_LE(err, outTol) << what;
  };

  Buffer<float> out({c.B, c.Hq, c.Lq, c.Dv}, NAN);
  attn_tensor_t o = out.desc(ATTN_DTYPE_F32);
  EXPECT_EQ(fn.plain(&q, &k, &v, &o), ATTN_OK) << attn_last_error();
  checkOut(out, "F");

  Buffer<float> outL({c.B, c.Hq, c.Lq, c.Dv}, NAN);
  Buffer<float> lse({c.B, c.Hq, c.Lq}, NAN);
  attn_tensor_t ol = outL.desc(ATTN_DTYPE_F32), l = lse.desc(ATTN_DTYPE_F32);
  EXPECT_EQ(fn.lse(&q, &k, &v, &ol, &l), ATTN_OK) << attn_last_error();
  checkOut(outL, "F__lse");
  checkLse(lse.data, refLse, c.D, c.Lk, scale, maxQ, maxK, maxBias);

  Buffer<float> outP({c.B, c.Hq, c.Lq, c.Dv}, NAN);
  Buffer<float> probs({c.B, c.Hq, c.Lq, c.Lk}, NAN);
  attn_tensor_t op = outP.desc(ATTN_DTYPE_F32),
                p = probs.desc(ATTN_DTYPE_F32);
  EXPECT_EQ(fn.probs(&q, &k, &v, &op, &p), ATTN_OK) << attn_last_error();
  checkOut(outP, "F__probs");
  return checkProbs(probs.data, refProbs, c.D, c.Lk, scale, maxQ, maxK,
                    maxBias);
}

TEST(SdpaWeights, Dense) {
  for (const Case &c : kMaskCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 131 + c.Lk));
    // Every key of every row is seen: no weight is 0.
    EXPECT_EQ(runWeights(c, in, VARIANTS(w_dense), defaultScale(c), false),
              0);
  }
}

TEST(SdpaWeights, CausalZerosAboveTheDiagonal) {
  for (const Case &c : kMaskCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 137 + c.Lk));
    // Row i sees keys j <= i + (Lk - Lq): the rest are 0.
    int64_t hidden = 0;
    for (int64_t i = 0; i < c.Lq; ++i)
      hidden += std::min(c.Lk, std::max<int64_t>(0, c.Lk - (i + c.Lk - c.Lq) -
                                                        1));
    EXPECT_EQ(runWeights(c, in, VARIANTS(w_causal), 0.3, true),
              c.B * c.Hq * hidden);
  }
}

TEST(SdpaWeights, NoKeysAtAll) {
  // kv_len 0: the weights are an empty tensor, the output zeros.
  Case c{1, 2, 2, 5, 0, 16, 16};
  Inputs in(c, 7);
  EXPECT_EQ(runWeights(c, in, VARIANTS(w_dense), defaultScale(c), false), 0);
}

TEST(SdpaWeights, OverBiasAlibiAndWindow) {
  for (const Case &c : kMaskCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 139 + c.Lk));
    BiasAlibiWindow ref(c, 31);
    attn_tensor_t bd = ref.bias.desc(ATTN_DTYPE_F32);
    runWeights(c, in, VARIANTS(w_bias_alibi_window, &bd), defaultScale(c),
               false, ref.spec, ref.maxBias);
  }
}

TEST(SdpaWeights, CsrGraphDenseWeights) {
  for (const Case &c : kMaskCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 149 + c.Lk));
    CsrGraph g(c);
    attn_tensor_t off = g.offsets.desc(ATTN_DTYPE_I32),
                  col = g.columns.desc(ATTN_DTYPE_I32);
    MaskSpec spec;
    spec.keepFn = [&g](int64_t, int64_t, int64_t i, int64_t j) {
      return g.edge(i, j);
    };
    // The weights off the graph's edges are exactly 0.
    int64_t edges = (int64_t)g.columns.data.size();
    EXPECT_EQ(runWeights(c, in, VARIANTS(w_csr, &off, &col), defaultScale(c),
                         false, spec),
              c.B * c.Hq * (c.Lq * c.Lk - edges));
  }
}

TEST(SdpaWeights, TwoOpsInProgramOrderWithTheirOwnLse) {
  // w_two__probs returns (dense, causal, causal_lse, probs0, probs1), and
  // w_two__lse (dense, causal, causal_lse, lse0, lse1) with lse1 the
  // function's own causal_lse.
  Case c{2, 4, 2, 37, 53, 16, 16};
  Inputs in(c, 151);
  std::vector<double> lseD, lseC, probsD, probsC;
  std::vector<double> refD =
      referenceSdpa(in.q.data, in.k.data, in.v.data, c.B, c.Hq, c.Hkv, c.Lq,
                    c.Lk, c.D, c.Dv, defaultScale(c), false, {}, &lseD,
                    &probsD);
  std::vector<double> refC =
      referenceSdpa(in.q.data, in.k.data, in.v.data, c.B, c.Hq, c.Hkv, c.Lq,
                    c.Lk, c.D, c.Dv, 0.3, true, {}, &lseC, &probsC);
  float maxQ = maxAbs(in.q.data), maxK = maxAbs(in.k.data);
  attn_tensor_t q = in.q.desc(ATTN_DTYPE_F32), k = in.k.desc(ATTN_DTYPE_F32),
                v = in.v.desc(ATTN_DTYPE_F32);
  std::vector<int64_t> oShape = {c.B, c.Hq, c.Lq, c.Dv},
                       lShape = {c.B, c.Hq, c.Lq},
                       pShape = {c.B, c.Hq, c.Lq, c.Lk};
  using TwoKernel = attn_status_t (*)(
      const attn_tensor_t *, const attn_tensor_t *, const attn_tensor_t *,
      attn_tensor_t *, attn_tensor_t *, attn_tensor_t *, attn_tensor_t *,
      attn_tensor_t *);
  // Calls `fn` into NaN-filled outputs, checks w_two's own three, and
  // returns the two extra ones (of `extraShape`).
  auto call = [&](TwoKernel fn, const std::vector<int64_t> &extraShape) {
    Buffer<float> d(oShape, NAN), ca(oShape, NAN), cl(lShape, NAN);
    std::pair<Buffer<float>, Buffer<float>> extra = {
        Buffer<float>(extraShape, NAN), Buffer<float>(extraShape, NAN)};
    attn_tensor_t dd = d.desc(ATTN_DTYPE_F32), cd = ca.desc(ATTN_DTYPE_F32),
                  cld = cl.desc(ATTN_DTYPE_F32),
                  e0 = extra.first.desc(ATTN_DTYPE_F32),
                  e1 = extra.second.desc(ATTN_DTYPE_F32);
    EXPECT_EQ(fn(&q, &k, &v, &dd, &cd, &cld, &e0, &e1), ATTN_OK)
        << attn_last_error();
    bool nonFinite;
    EXPECT_LE(maxError(d.data, refD, nonFinite),
              f32Tolerance(c.D, c.Lk, defaultScale(c), maxQ, maxK,
                           maxAbs(in.v.data)));
    EXPECT_FALSE(nonFinite);
    EXPECT_LE(maxError(ca.data, refC, nonFinite),
              f32Tolerance(c.D, c.Lk, 0.3, maxQ, maxK, maxAbs(in.v.data)));
    EXPECT_FALSE(nonFinite);
    checkLse(cl.data, lseC, c.D, c.Lk, 0.3, maxQ, maxK, 0);
    return extra;
  };
  {
    SCOPED_TRACE("w_two__probs");
    auto [p0, p1] = call(w_two__probs, pShape);
    checkProbs(p0.data, probsD, c.D, c.Lk, defaultScale(c), maxQ, maxK, 0);
    checkProbs(p1.data, probsC, c.D, c.Lk, 0.3, maxQ, maxK, 0);
  }
  {
    SCOPED_TRACE("w_two__lse");
    auto [l0, l1] = call(w_two__lse, lShape);
    checkLse(l0.data, lseD, c.D, c.Lk, defaultScale(c), maxQ, maxK, 0);
    checkLse(l1.data, lseC, c.D, c.Lk, 0.3, maxQ, maxK, 0);
  }
}

TEST(SdpaWeights, WeightsOfTheWrongShapeAreAShapeError) {
  // probs must be [batch, q_heads, q_len, kv_len]: here kv_len is one
  // short. The call fails with ATTN_ERR_SHAPE, names the output, and
  // writes neither output.
  Case c{1, 2, 2, 10, 20, 16, 16};
  Inputs in(c, 5);
  Buffer<float> out({c.B, c.Hq, c.Lq, c.Dv}, NAN);
  Buffer<float> probs({c.B, c.Hq, c.Lq, c.Lk - 1}, NAN);
  attn_tensor_t q = in.q.desc(ATTN_DTYPE_F32), k = in.k.desc(ATTN_DTYPE_F32),
                v = in.v.desc(ATTN_DTYPE_F32), o = out.desc(ATTN_DTYPE_F32),
                p = probs.desc(ATTN_DTYPE_F32);
  EXPECT_EQ(w_dense__probs(&q, &k, &v, &o, &p), ATTN_ERR_SHAPE);
  EXPECT_NE(std::string(attn_last_error()).find("probs"), std::string::npos)
      << attn_last_error();
  EXPECT_TRUE(std::all_of(out.data.begin(), out.data.end(),
                          [](float x) { return std::isnan(x); }));
  EXPECT_TRUE(std::all_of(probs.data.begin(), probs.data.end(),
                          [](float x) { return std::isnan(x); }));
}

} // namespace
