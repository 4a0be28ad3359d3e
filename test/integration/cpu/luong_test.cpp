//===- luong_test.cpp - Luong attention and attn.project vs float64 -------===//
//
// Kernels come from luong_kernels.mlir (compiled with --weights=probs). The
// float64 references here are written from the paper's equations (Luong et
// al. 2015, eq. 5 and 7-8), not from attnc's rewriting: the general score
// is h_tᵀ W_a h̄_s summed in double, the context the softmax-weighted sum
// of the source states, the attentional state tanh(W_c [c; h] + b).
//
//===----------------------------------------------------------------------===//
#include "Checked.h"

#ifndef ATTN_KERNELS_HEADER
#define ATTN_KERNELS_HEADER "luong_kernels.h"
#endif
#include ATTN_KERNELS_HEADER

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace attn_test;

namespace {

constexpr double kEps = std::numeric_limits<float>::epsilon();

std::vector<float> uniform(size_t n, uint32_t seed, float lo = -1.f,
                           float hi = 1.f) {
  std::vector<float> v(n);
  std::mt19937 rng(seed);
  fillUniform(v, rng, lo, hi);
  return v;
}

/// x [B, Hx, L, Din] times W ([Din, Dout], or one per head [H, Din,
/// Dout]) in double: [B, H, L, Dout]. Hx is 1 (broadcast) or H.
std::vector<double> refProject(const std::vector<float> &x, int64_t B,
                               int64_t Hx, int64_t L, int64_t Din,
                               const std::vector<float> &w, bool wPerHead,
                               int64_t H, int64_t Dout) {
  std::vector<double> out((size_t)(B * H * L * Dout), 0.0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t l = 0; l < L; ++l)
        for (int64_t o = 0; o < Dout; ++o) {
          double s = 0;
          const float *xr = &x[(size_t)(((b * Hx + (Hx == 1 ? 0 : h)) * L +
                                         l) * Din)];
          const float *wh = &w[(size_t)((wPerHead ? h : 0) * Din * Dout)];
          for (int64_t i = 0; i < Din; ++i)
            s += (double)xr[i] * (double)wh[i * Dout + o];
          out[(size_t)(((b * H + h) * L + l) * Dout + o)] = s;
        }
  return out;
}

/// Luong's global attention in double. ht [B, Hq, Lt, Dq], hs [B, Hkv, Ls,
/// Ds]; `qw` is h_t W_a (or h_t itself for the dot score) [B, Hq, Lt, Ds];
/// `len[b]` keeps the first len[b] source states of batch b (all when
/// empty). Returns c [B, Hq, Lt, Ds]; `probs` gets a_t [B, Hq, Lt, Ls].
std::vector<double> refLuong(const std::vector<double> &qw,
                             const std::vector<float> &hs, int64_t B,
                             int64_t Hq, int64_t Hkv, int64_t Lt, int64_t Ls,
                             int64_t Ds, const std::vector<int64_t> &len,
                             std::vector<double> *probs = nullptr) {
  std::vector<double> out((size_t)(B * Hq * Lt * Ds), 0.0);
  if (probs)
    probs->assign((size_t)(B * Hq * Lt * Ls), 0.0);
  std::vector<double> s((size_t)Ls);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hq; ++h)
      for (int64_t t = 0; t < Lt; ++t) {
        int64_t n = len.empty() ? Ls : len[(size_t)b];
        if (n == 0)
          continue;
        const double *q = &qw[(size_t)(((b * Hq + h) * Lt + t) * Ds)];
        const float *src =
            &hs[(size_t)((b * Hkv + h / (Hq / Hkv)) * Ls * Ds)];
        double m = -INFINITY, sum = 0;
        for (int64_t j = 0; j < n; ++j) {
          double d = 0;
          for (int64_t k = 0; k < Ds; ++k)
            d += q[k] * (double)src[j * Ds + k];
          s[(size_t)j] = d;
          m = std::max(m, d);
        }
        for (int64_t j = 0; j < n; ++j)
          sum += (s[(size_t)j] = std::exp(s[(size_t)j] - m));
        double *o = &out[(size_t)(((b * Hq + h) * Lt + t) * Ds)];
        for (int64_t j = 0; j < n; ++j) {
          double a = s[(size_t)j] / sum;
          if (probs)
            (*probs)[(size_t)(((b * Hq + h) * Lt + t) * Ls + j)] = a;
          for (int64_t k = 0; k < Ds; ++k)
            o[k] += a * (double)src[j * Ds + k];
        }
      }
  return out;
}

double maxAbsD(const std::vector<double> &v) {
  double m = 0;
  for (double x : v)
    m = std::max(m, std::fabs(x));
  return m;
}

void expectClose(const std::vector<float> &got, const std::vector<double> &ref,
                 double tol, const char *what) {
  bool nonFinite;
  double err = maxError(got, ref, nonFinite);
  EXPECT_FALSE(nonFinite) << what;
  EXPECT_LE(err, tol) << what;
}

struct LuongCase {
  int64_t B, Lt, Ls;
};

TEST(Luong, GeneralScoreIsHtWaHs) {
  // A step of an RNN decoder (Lt = 1), a short target against a long
  // source, and enough rows and keys for several blocks.
  for (LuongCase c : {LuongCase{2, 7, 33}, LuongCase{1, 1, 200},
                      LuongCase{2, 70, 65}}) {
    const int64_t Dq = 24, Ds = 40;
    Buffer<float> ht({c.B, 1, c.Lt, Dq}), hs({c.B, 1, c.Ls, Ds}),
        wa({Dq, Ds});
    ht.data = uniform(ht.numel(), 1);
    hs.data = uniform(hs.numel(), 2);
    wa.data = uniform(wa.numel(), 3, -0.5f, 0.5f);
    Buffer<float> out({c.B, 1, c.Lt, Ds}, NAN), outP({c.B, 1, c.Lt, Ds}, NAN),
        probs({c.B, 1, c.Lt, c.Ls}, NAN);
    attn_tensor_t a = ht.desc(ATTN_DTYPE_F32), s = hs.desc(ATTN_DTYPE_F32),
                  w = wa.desc(ATTN_DTYPE_F32), o = out.desc(ATTN_DTYPE_F32),
                  oP = outP.desc(ATTN_DTYPE_F32),
                  p = probs.desc(ATTN_DTYPE_F32);
    ASSERT_EQ(luong_general(&a, &s, &w, &o), ATTN_OK) << attn_last_error();
    ASSERT_EQ(luong_general__probs(&a, &s, &w, &oP, &p), ATTN_OK)
        << attn_last_error();

    std::vector<double> qw = refProject(ht.data, c.B, 1, c.Lt, Dq, wa.data,
                                        false, 1, Ds);
    std::vector<double> refProbs;
    std::vector<double> ref =
        refLuong(qw, hs.data, c.B, 1, 1, c.Lt, c.Ls, Ds, {}, &refProbs);
    double tol = luongTolerance(Dq, Ds, c.Ls, maxAbsD(qw), maxAbs(ht.data),
                                maxAbs(wa.data), maxAbs(hs.data), true);
    expectClose(out.data, ref, tol, "luong_general");
    expectClose(outP.data, ref, tol, "luong_general__probs output");
    // The alignment weights (Reference.h's luongProbsTolerance).
    for (size_t i = 0; i < refProbs.size(); ++i) {
      double bound = luongProbsTolerance(Dq, Ds, c.Ls, maxAbsD(qw),
                                         maxAbs(ht.data), maxAbs(wa.data),
                                         maxAbs(hs.data), refProbs[i]);
      ASSERT_LE(std::fabs((double)probs.data[i] - refProbs[i]), bound)
          << "weight " << i << " of B=" << c.B << " Lt=" << c.Lt;
    }
  }
}

TEST(Luong, DotScoreOverPaddedSources) {
  // Source lengths 17, 9 and 0: padding is masked, and a batch without
  // source states gives zeros.
  const int64_t B = 3, Lt = 5, Ls = 17, D = 24;
  Buffer<float> ht({B, 1, Lt, D}), hs({B, 1, Ls, D});
  ht.data = uniform(ht.numel(), 4);
  hs.data = uniform(hs.numel(), 5);
  std::vector<int64_t> len = {17, 9, 0};
  Buffer<uint8_t> keep({B, 1, 1, Ls});
  for (int64_t b = 0; b < B; ++b)
    for (int64_t j = 0; j < Ls; ++j)
      keep.at({b, 0, 0, j}) = j < len[(size_t)b];
  Buffer<float> out({B, 1, Lt, D}, NAN), outP({B, 1, Lt, D}, NAN),
      probs({B, 1, Lt, Ls}, NAN);
  attn_tensor_t a = ht.desc(ATTN_DTYPE_F32), s = hs.desc(ATTN_DTYPE_F32),
                k = keep.desc(ATTN_DTYPE_I1), o = out.desc(ATTN_DTYPE_F32),
                oP = outP.desc(ATTN_DTYPE_F32), p = probs.desc(ATTN_DTYPE_F32);
  ASSERT_EQ(luong_dot(&a, &s, &k, &o), ATTN_OK) << attn_last_error();
  ASSERT_EQ(luong_dot__probs(&a, &s, &k, &oP, &p), ATTN_OK)
      << attn_last_error();
  std::vector<double> qw(ht.data.begin(), ht.data.end());
  std::vector<double> refProbs;
  std::vector<double> ref = refLuong(qw, hs.data, B, 1, 1, Lt, Ls, D, len,
                                     &refProbs);
  double tol = luongTolerance(D, D, Ls, maxAbsD(qw), 1, 1, maxAbs(hs.data),
                              false);
  expectClose(out.data, ref, tol, "luong_dot");
  expectClose(outP.data, ref, tol, "luong_dot__probs output");
  int64_t zeros = checkProbs(probs.data, refProbs, D, Ls, 1.0,
                             maxAbs(ht.data), maxAbs(hs.data), 0);
  // Batch 1 hides 8 keys of each of its 5 rows, batch 2 all 17.
  EXPECT_EQ(zeros, 5 * 8 + 5 * 17);
  for (int64_t t = 0; t < Lt; ++t)
    for (int64_t d = 0; d < D; ++d)
      EXPECT_EQ(out.at({2, 0, t, d}), 0.0f);
}

TEST(Luong, GeneralScoreWithAWeightPerHeadAndGqa) {
  const int64_t B = 2, Hq = 4, Hkv = 2, Lt = 9, Ls = 21, Dq = 16, Ds = 32;
  Buffer<float> ht({B, Hq, Lt, Dq}), hs({B, Hkv, Ls, Ds}), wa({Hq, Dq, Ds});
  ht.data = uniform(ht.numel(), 6);
  hs.data = uniform(hs.numel(), 7);
  wa.data = uniform(wa.numel(), 8, -0.5f, 0.5f);
  Buffer<float> out({B, Hq, Lt, Ds}, NAN);
  attn_tensor_t a = ht.desc(ATTN_DTYPE_F32), s = hs.desc(ATTN_DTYPE_F32),
                w = wa.desc(ATTN_DTYPE_F32), o = out.desc(ATTN_DTYPE_F32);
  ASSERT_EQ(luong_general_heads(&a, &s, &w, &o), ATTN_OK)
      << attn_last_error();
  std::vector<double> qw =
      refProject(ht.data, B, Hq, Lt, Dq, wa.data, true, Hq, Ds);
  std::vector<double> ref = refLuong(qw, hs.data, B, Hq, Hkv, Lt, Ls, Ds, {});
  expectClose(out.data, ref,
              luongTolerance(Dq, Ds, Ls, maxAbsD(qw), maxAbs(ht.data),
                             maxAbs(wa.data), maxAbs(hs.data), true),
              "luong_general_heads");
}

TEST(Luong, AttentionalHiddenStateIsTanhOfWcContextAndState) {
  const int64_t B = 2, Lt = 3, Ls = 11, Dq = 24, Ds = 40;
  Buffer<float> ht({B, 1, Lt, Dq}), hs({B, 1, Ls, Ds}), wa({Dq, Ds}),
      wc({Ds + Dq, Dq}), bc({Dq});
  ht.data = uniform(ht.numel(), 9);
  hs.data = uniform(hs.numel(), 10);
  wa.data = uniform(wa.numel(), 11, -0.5f, 0.5f);
  wc.data = uniform(wc.numel(), 12, -0.3f, 0.3f);
  bc.data = uniform(bc.numel(), 13, -0.5f, 0.5f);
  Buffer<float> out({B, 1, Lt, Dq}, NAN);
  attn_tensor_t a = ht.desc(ATTN_DTYPE_F32), s = hs.desc(ATTN_DTYPE_F32),
                w = wa.desc(ATTN_DTYPE_F32), c = wc.desc(ATTN_DTYPE_F32),
                bias = bc.desc(ATTN_DTYPE_F32), o = out.desc(ATTN_DTYPE_F32);
  ASSERT_EQ(luong_layer(&a, &s, &w, &c, &bias, &o), ATTN_OK)
      << attn_last_error();

  std::vector<double> qw =
      refProject(ht.data, B, 1, Lt, Dq, wa.data, false, 1, Ds);
  std::vector<double> ctx = refLuong(qw, hs.data, B, 1, 1, Lt, Ls, Ds, {});
  // tanh(W_c [c; h] + b) in double, from the reference context.
  std::vector<double> ref((size_t)(B * Lt * Dq));
  for (int64_t r = 0; r < B * Lt; ++r)
    for (int64_t o = 0; o < Dq; ++o) {
      double z = bc.data[(size_t)o];
      for (int64_t i = 0; i < Ds; ++i)
        z += ctx[(size_t)(r * Ds + i)] * wc.data[(size_t)(i * Dq + o)];
      for (int64_t i = 0; i < Dq; ++i)
        z += (double)ht.data[(size_t)(r * Dq + i)] *
             wc.data[(size_t)((Ds + i) * Dq + o)];
      ref[(size_t)(r * Dq + o)] = std::tanh(z);
    }
  double ctxTol = luongTolerance(Dq, Ds, Ls, maxAbsD(qw), maxAbs(ht.data),
                                 maxAbs(wa.data), maxAbs(hs.data), true);
  double tol = luongOutputTolerance(ctxTol, Ds, Dq, maxAbsD(ctx),
                                    maxAbs(ht.data), maxAbs(wc.data),
                                    maxAbs(bc.data));
  expectClose(out.data, ref, tol, "luong_layer");
}

TEST(Luong, GeneralScoreInBf16) {
  const int64_t B = 2, Lt = 5, Ls = 19, Dq = 24, Ds = 40;
  Buffer<uint16_t> ht({B, 1, Lt, Dq}), hs({B, 1, Ls, Ds}), wa({Dq, Ds});
  std::vector<float> htF = uniform(ht.numel(), 14),
                     hsF = uniform(hs.numel(), 15),
                     waF = uniform(wa.numel(), 16, -0.5f, 0.5f);
  // The reference reads the same bf16 values, widened exactly.
  auto toB = [](std::vector<float> &f, std::vector<uint16_t> &b) {
    for (size_t i = 0; i < f.size(); ++i) {
      b[i] = toBf16(f[i]);
      f[i] = fromBf16(b[i]);
    }
  };
  toB(htF, ht.data);
  toB(hsF, hs.data);
  toB(waF, wa.data);
  Buffer<float> out({B, 1, Lt, Ds}, NAN);
  attn_tensor_t a = ht.desc(ATTN_DTYPE_BF16), s = hs.desc(ATTN_DTYPE_BF16),
                w = wa.desc(ATTN_DTYPE_BF16), o = out.desc(ATTN_DTYPE_F32);
  ASSERT_EQ(luong_general_bf16(&a, &s, &w, &o), ATTN_OK) << attn_last_error();

  // The kernel rounds its f32 q' = h_t W_a to bf16; so does the reference,
  // from the exact q'. They differ only where the f32 q' (within
  // Dq eps max|h_t| max|W_a| of the exact one) lies across a rounding
  // boundary from it: by one bf16 ulp, at most 2^-7 |q'|. Each such element
  // adds ulp * max|h̄_s| to its row's score error.
  std::vector<double> qw =
      refProject(htF, B, 1, Lt, Dq, waF, false, 1, Ds);
  double projErr = Dq * kEps * maxAbs(htF) * maxAbs(waF);
  double worstRow = 0;
  for (size_t r = 0; r < qw.size() / Ds; ++r) {
    double rowErr = 0;
    for (int64_t k = 0; k < Ds; ++k) {
      double &x = qw[r * Ds + k];
      float lo = fromBf16(toBf16((float)(x - projErr)));
      float hi = fromBf16(toBf16((float)(x + projErr)));
      x = fromBf16(toBf16((float)x));
      if (lo != hi)
        rowErr += std::fabs(hi - lo);
    }
    worstRow = std::max(worstRow, rowErr);
  }
  std::vector<double> ref = refLuong(qw, hsF, B, 1, 1, Lt, Ls, Ds, {});
  float maxHs = maxAbs(hsF);
  // f32 arithmetic on the bf16 q' (no projection term: the rounding is
  // the reference's), the straddling elements, and the bf16 P of the
  // avx512_bf16 P V products (bf16Tolerance).
  double tol = bf16Tolerance(Ds, Ls, 1.0, (float)maxAbsD(qw), maxHs, maxHs,
                             false) +
               2.0 * worstRow * maxHs * maxHs;
  expectClose(out.data, ref, tol, "luong_general_bf16");
}

TEST(Project, HeadsFromOneStreamWithBias) {
  const int64_t B = 2, L = 5, Din = 20, H = 3, Dout = 12;
  Buffer<float> x({B, 1, L, Din}), w({H, Din, Dout}), b({H, Dout});
  x.data = uniform(x.numel(), 17);
  w.data = uniform(w.numel(), 18);
  b.data = uniform(b.numel(), 19);
  Buffer<float> out({B, H, L, Dout}, NAN);
  attn_tensor_t tx = x.desc(ATTN_DTYPE_F32), tw = w.desc(ATTN_DTYPE_F32),
                tb = b.desc(ATTN_DTYPE_F32), to = out.desc(ATTN_DTYPE_F32);
  ASSERT_EQ(project_heads(&tx, &tw, &tb, &to), ATTN_OK) << attn_last_error();
  std::vector<double> ref =
      refProject(x.data, B, 1, L, Din, w.data, true, H, Dout);
  for (int64_t i = 0; i < B * H * L; ++i)
    for (int64_t o = 0; o < Dout; ++o)
      ref[(size_t)(i * Dout + o)] += b.data[(size_t)((i / L % H) * Dout + o)];
  // A sum of Din products and the bias, in f32 (the convention above).
  double tol = (Din + 1) * kEps *
               (Din * maxAbs(x.data) * maxAbs(w.data) + maxAbs(b.data));
  expectClose(out.data, ref, tol, "project_heads");
}

TEST(Project, SharedMatrixToBf16) {
  const int64_t B = 2, H = 3, L = 4, Din = 7, Dout = 9;
  Buffer<float> x({B, H, L, Din}), w({Din, Dout});
  x.data = uniform(x.numel(), 20);
  w.data = uniform(w.numel(), 21);
  Buffer<uint16_t> out({B, H, L, Dout}, 0xffff);
  attn_tensor_t tx = x.desc(ATTN_DTYPE_F32), tw = w.desc(ATTN_DTYPE_F32),
                to = out.desc(ATTN_DTYPE_BF16);
  ASSERT_EQ(project_shared_bf16(&tx, &tw, &to), ATTN_OK) << attn_last_error();
  std::vector<double> ref =
      refProject(x.data, B, H, L, Din, w.data, false, H, Dout);
  // One rounding to bf16 (2^-8 relative) after the f32 sum.
  double sumTol = Din * kEps * Din * maxAbs(x.data) * maxAbs(w.data);
  for (size_t i = 0; i < ref.size(); ++i)
    ASSERT_LE(std::fabs(fromBf16(out.data[i]) - ref[i]),
              sumTol + std::fabs(ref[i]) / 256.0 + 1e-30)
        << "element " << i;
}

TEST(Errors, MismatchedHiddenSizesAreAShapeErrorAndWriteNothing) {
  // luong_dot's hidden size is dynamic: the source's must equal the
  // target's, which the runtime checks before running.
  Buffer<float> ht({1, 1, 2, 8}), hs({1, 1, 3, 6});
  Buffer<uint8_t> keep({1, 1, 1, 3}, 1);
  // (The output has the source's hidden size: only the target-source
  // check can fail.)
  Buffer<float> out({1, 1, 2, 6}, NAN);
  attn_tensor_t a = ht.desc(ATTN_DTYPE_F32), s = hs.desc(ATTN_DTYPE_F32),
                k = keep.desc(ATTN_DTYPE_I1), o = out.desc(ATTN_DTYPE_F32);
  EXPECT_EQ(luong_dot(&a, &s, &k, &o), ATTN_ERR_SHAPE);
  EXPECT_NE(std::string(attn_last_error()), "");
  for (float v : out.data)
    EXPECT_TRUE(std::isnan(v));
  // attn.project: the weight's rows must be the input's in_dim.
  Buffer<float> x({1, 1, 2, 5}), w({4, 3});
  Buffer<uint16_t> y({1, 1, 2, 3}, 0xffff);
  attn_tensor_t tx = x.desc(ATTN_DTYPE_F32), tw = w.desc(ATTN_DTYPE_F32),
                ty = y.desc(ATTN_DTYPE_BF16);
  EXPECT_EQ(project_shared_bf16(&tx, &tw, &ty), ATTN_ERR_SHAPE);
  for (uint16_t v : y.data)
    EXPECT_EQ(v, 0xffff);
}

} // namespace
