//===- Reference.h - float64 reference attention for the tests --*- C++ -*-===//
//
// An independent, deliberately plain implementation of attn.sdpa's semantics
// (AttnOps.td) in double precision: no tiling, no online softmax, explicit
// loops. Tests compare compiled kernels against it.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TEST_REFERENCE_H
#define ATTN_TEST_REFERENCE_H

#include "runtime/attn_runtime.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <vector>

namespace attn_test {

/// A dense row-major tensor of any element type, with its descriptor.
template <typename T> struct Buffer {
  std::vector<int64_t> shape;
  std::vector<T> data;

  Buffer() = default;
  explicit Buffer(std::vector<int64_t> s, T init = T())
      : shape(std::move(s)), data(numel(), init) {}
  size_t numel() const {
    size_t n = 1;
    for (int64_t d : shape)
      n *= (size_t)d;
    return n;
  }
  attn_tensor_t desc(int32_t dtype) {
    attn_tensor_t t;
    attn_tensor_contiguous(&t, data.data(), dtype, (int32_t)shape.size(),
                           shape.data());
    return t;
  }
  T &at(std::initializer_list<int64_t> idx) {
    size_t off = 0, k = 0;
    for (int64_t i : idx)
      off = off * (size_t)shape[k++] + (size_t)i;
    return data[off];
  }
};

inline void fillUniform(std::vector<float> &v, std::mt19937 &rng, float lo,
                        float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  for (float &x : v)
    x = d(rng);
}

/// How a mask is given to the reference: a contiguous [batch, heads, rows,
/// cols] (rank 4) or [rows, cols] (rank 2) array. A dim of size 1
/// broadcasts (PyTorch's rule), so the reference reads index 0 there.
struct MaskSpec {
  enum Kind { None, Bool, Bias } kind = None;
  int rank = 4;
  const uint8_t *keep = nullptr; // Bool
  const float *bias = nullptr;   // Bias
  int64_t batch = 1, heads = 1;  // mask's own dims 0 and 1 (rank 4)
  int64_t rows = 0, cols = 0;    // its query and key dims; 0: q_len, kv_len
  /// The op's mask_mod (key j visible to query i of query head h in batch
  /// b where it returns true) and score_mod (the new score from the scaled
  /// one, natural units); null when absent.
  std::function<bool(int64_t b, int64_t h, int64_t i, int64_t j)> keepFn;
  std::function<double(double x, int64_t b, int64_t h, int64_t i, int64_t j)>
      scoreFn;
};

/// O[b, h, i, :] for q [B, Hq, Lq, D], k [B, Hkv, Lk, D], v [B, Hkv, Lk, Dv].
/// Fully masked rows give zeros. With `lse`, also each row's logsumexp
/// ln sum_j exp(x_j) of its final scores, [B, Hq, Lq] (-inf for a fully
/// masked row). With `probs`, also the attention weights softmax(x),
/// [B, Hq, Lq, Lk]: exactly 0 for a masked key and in a fully masked row.
inline std::vector<double>
referenceSdpa(const std::vector<float> &q, const std::vector<float> &k,
              const std::vector<float> &v, int64_t B, int64_t Hq, int64_t Hkv,
              int64_t Lq, int64_t Lk, int64_t D, int64_t Dv, double scale,
              bool causal, const MaskSpec &mask = {},
              std::vector<double> *lse = nullptr,
              std::vector<double> *probs = nullptr) {
  std::vector<double> out((size_t)(B * Hq * Lq * Dv), 0.0);
  if (lse)
    lse->assign((size_t)(B * Hq * Lq),
                -std::numeric_limits<double>::infinity());
  if (probs)
    probs->assign((size_t)(B * Hq * Lq * Lk), 0.0);
  int64_t group = Hq / Hkv;
  std::vector<double> s((size_t)Lk);
  std::vector<bool> keep((size_t)Lk);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < Hq; ++h) {
      int64_t kh = h / group;
      for (int64_t i = 0; i < Lq; ++i) {
        const float *qi = &q[(size_t)(((b * Hq + h) * Lq + i) * D)];
        double m = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < Lk; ++j) {
          const float *kj = &k[(size_t)(((b * Hkv + kh) * Lk + j) * D)];
          double dot = 0;
          for (int64_t d = 0; d < D; ++d)
            dot += (double)qi[d] * (double)kj[d];
          // The op's order: score_mod, the dense mask, mask_mod, causal.
          double x = scale * dot;
          if (mask.scoreFn)
            x = mask.scoreFn(x, b, h, i, j);
          bool visible = !causal || j <= i + (Lk - Lq);
          if (mask.keepFn)
            visible = visible && mask.keepFn(b, h, i, j);
          if (mask.kind != MaskSpec::None) {
            int64_t rows = mask.rows ? mask.rows : Lq;
            int64_t cols = mask.cols ? mask.cols : Lk;
            int64_t mi = rows == 1 ? 0 : i, mj = cols == 1 ? 0 : j;
            size_t off;
            if (mask.rank == 2) {
              off = (size_t)(mi * cols + mj);
            } else {
              int64_t mb = mask.batch == 1 ? 0 : b;
              int64_t mh = mask.heads == 1 ? 0 : h;
              off = (size_t)(((mb * mask.heads + mh) * rows + mi) * cols + mj);
            }
            if (mask.kind == MaskSpec::Bool)
              visible = visible && mask.keep[off] != 0;
            else
              x += (double)mask.bias[off];
          }
          if (std::isinf(x) && x < 0)
            visible = false;
          keep[(size_t)j] = visible;
          s[(size_t)j] = x;
          if (visible)
            m = std::max(m, x);
        }
        if (std::isinf(m))
          continue; // Fully masked: zeros.
        double sum = 0;
        for (int64_t j = 0; j < Lk; ++j) {
          s[(size_t)j] = keep[(size_t)j] ? std::exp(s[(size_t)j] - m) : 0.0;
          sum += s[(size_t)j];
        }
        if (lse)
          (*lse)[(size_t)((b * Hq + h) * Lq + i)] = m + std::log(sum);
        if (probs)
          for (int64_t j = 0; j < Lk; ++j)
            (*probs)[(size_t)(((b * Hq + h) * Lq + i) * Lk + j)] =
                s[(size_t)j] / sum;
        double *oi = &out[(size_t)(((b * Hq + h) * Lq + i) * Dv)];
        for (int64_t j = 0; j < Lk; ++j) {
          if (s[(size_t)j] == 0)
            continue;
          const float *vj = &v[(size_t)(((b * Hkv + kh) * Lk + j) * Dv)];
          for (int64_t e = 0; e < Dv; ++e)
            oi[e] += s[(size_t)j] / sum * (double)vj[e];
        }
      }
    }
  return out;
}

/// Press et al.'s slopes for n heads, as their reference code `get_slopes`
/// computes them (in float64): 2^(-8 (i + 1) / n) for a power of two n;
/// otherwise those of the largest power of two p below n, then every
/// other slope of 2p heads.
inline std::vector<double> paperSlopes(int64_t n) {
  auto pow2 = [](int64_t m) {
    std::vector<double> s;
    double start = std::exp2(-std::exp2(-(std::log2((double)m) - 3)));
    for (int64_t i = 0; i < m; ++i)
      s.push_back(start * std::pow(start, (double)i));
    return s;
  };
  int64_t p = 1;
  while (p * 2 <= n)
    p *= 2;
  std::vector<double> s = pow2(p);
  if (p == n)
    return s;
  std::vector<double> extra = paperSlopes(2 * p);
  for (int64_t i = 0; (int64_t)s.size() < n; i += 2)
    s.push_back(extra[i]);
  return s;
}

inline float maxAbs(const std::vector<float> &v) {
  float m = 0;
  for (float x : v)
    m = std::max(m, std::fabs(x));
  return m;
}

/// The f32 error bound used by the tests, with its derivation.
///
/// A score s = scale * sum_d q_d k_d summed in f32 has absolute error at most
/// gamma_D * |scale| * D * max|q| * max|k| (gamma_n ~ n * eps32, Higham,
/// "Accuracy and Stability of Numerical Algorithms", 3.1); a bias adds
/// eps32 * max|bias|. An absolute score error delta perturbs every softmax
/// weight by a relative factor of at most e^(2 delta) - 1 ~ 2 delta, and the
/// polynomial exp adds ~2 ulp. The weighted sum of Lk values in f32 adds
/// gamma_Lk * max|v|, and the final division one ulp. So
///   |O - O_ref| <= max|v| * eps32 * (2 D |scale| max|q| max|k| + 2 max|bias|
///                                    + Lk + 8)
/// where the Lk term is the worst case of the recursive sums. Typical errors
/// are ~1e-7, far below it. A wrong kernel (a mask off by one, a missing
/// head broadcast) changes the early rows of a causal or masked output, which
/// average few values, by O(max|v|); long rows average ~Lk values and move
/// by O(max|v| / sqrt(Lk)), still above the bound for the lengths tested.
inline double f32Tolerance(int64_t D, int64_t Lk, double scale, float maxQ,
                           float maxK, float maxV, float maxBias = 0) {
  const double eps = std::numeric_limits<float>::epsilon();
  return (double)maxV * eps *
             (2.0 * (double)D * std::fabs(scale) * maxQ * maxK +
              2.0 * maxBias + (double)Lk + 8.0) +
         1e-30;
}

/// The bound on |lse - lse_ref|, with its derivation. The logsumexp is
/// 1-Lipschitz in the max norm of the scores, so a score error delta moves
/// it by at most delta. For delta this takes f32Tolerance's score term,
/// 2 D eps |scale| max|q| max|k| (plus 2 eps per unit of bias): not the
/// worst case of a recursive f32 sum (gamma_D D ..., quadratic in D) but a
/// bound on what the kernels' lane-split, FMA-contracted sums give, whose
/// rounding errors add as a random walk. The row sum of Lk positive
/// weights in f32 has relative error at most gamma_Lk, and each polynomial
/// exp about 2 ulp: ln of it moves by (Lk + 2) eps. The base-2 max times
/// ln 2, the polynomial log and the final add round relative to |lse| (a
/// few ulp). So
///   |lse - lse_ref| <= eps (2 D |scale| max|q| max|k| + 2 max|bias|
///                           + Lk + 8 + 4 |lse_ref|).
/// A wrong unit (base 2 for natural scales the max by 1.44) or a max left
/// out exceed it by orders of magnitude (the mutation noted in
/// docs/status.md fails 5 of sdpa_lse_test's 7 tests); a key missed or
/// added shows in the output's check as well.
/// The kernels' row sums are f32 for bf16 inputs too (only the weights of
/// the P V products are rounded to bf16), so the bound holds for them.
inline double lseTolerance(int64_t D, int64_t Lk, double scale, float maxQ,
                           float maxK, float maxBias, double ref) {
  const double eps = std::numeric_limits<float>::epsilon();
  return eps * (2.0 * (double)D * std::fabs(scale) * maxQ * maxK +
                2.0 * maxBias + (double)Lk + 8.0 + 4.0 * std::fabs(ref));
}

/// The bound on |p - p_ref| for one attention weight p_ref = exp(x -
/// lse_ref) > 0. A score error delta (f32Tolerance's score terms, as in
/// lseTolerance) changes exp(x - max) by the factor e^(+-delta) and the row
/// sum by at most as much, so p by about 2 delta relatively. Rounding
/// x - max in f32 adds eps |x - max|, and |x - max| is at most the scores'
/// range, 2 max|x|: another delta. The f32 row sum adds gamma_Lk, each exp
/// 2 ulp and the division 1. So
///   |p - p_ref| <= p_ref eps (6 D |scale| max|q| max|k| + 6 max|bias|
///                             + Lk + 8) + 8 FLT_MIN,
/// the last term for weights below f32's normal range (the kernels flush
/// exp below 2^-150 to 0). Relative to p_ref, so a weight of 1e-6 is held
/// to a relative error and not hidden by the large ones; masked keys are
/// checked to be exactly 0 apart from this (checkProbs).
inline double probsTolerance(int64_t D, int64_t Lk, double scale, float maxQ,
                             float maxK, float maxBias, double ref) {
  const double eps = std::numeric_limits<float>::epsilon();
  return ref * eps *
             (6.0 * (double)D * std::fabs(scale) * maxQ * maxK +
              6.0 * maxBias + (double)Lk + 8.0) +
         8.0 * (double)std::numeric_limits<float>::min();
}

/// The f32 bound on c_t, with its derivation. The kernels form the folded
/// query q' = h_t W_a in f32, each element a sum of Dq products: error
/// about Dq eps max|h_t| max|W_a| (the convention of Reference.h's
/// lseTolerance: the kernels' lane-split FMA sums, not the recursive worst
/// case). Each score q'·h̄_s then moves by Ds max|h̄_s| times that, and a
/// score error delta moves the context by at most 2 delta max|h̄_s| (as in
/// f32Tolerance, which covers the rest: the f32 scores of q' and the
/// softmax, with the values being h̄_s). For the dot score W_a = I, with
/// no projection error.
inline double luongTolerance(int64_t Dq, int64_t Ds, int64_t Ls,
                             double maxQw, float maxHt, float maxW,
                             float maxHs, bool general) {
  const double eps = std::numeric_limits<float>::epsilon();
  double proj = general ? Dq * eps * maxHt * maxW : 0.0;
  return f32Tolerance(Ds, Ls, 1.0, (float)maxQw, maxHs, maxHs) +
         2.0 * Ds * maxHs * proj * maxHs;
}

/// The bound on Luong's attentional state tanh(W_c [c; h] + b) (eq. 5),
/// from the bound `ctxTol` on the context c: that error times the Dc
/// weights of W_c it meets (tanh is 1-Lipschitz); the f32 sum of Dc + Dq
/// products, eps times each product's bound (the convention of
/// luongTolerance), and the bias; the polynomial tanh, a few ulp of a
/// result of magnitude <= 1.
inline double luongOutputTolerance(double ctxTol, int64_t Dc, int64_t Dq,
                                   double maxC, float maxHt, float maxWc,
                                   float maxBias) {
  const double eps = std::numeric_limits<float>::epsilon();
  double sumTerms = maxC * Dc + (double)maxHt * Dq;
  return ctxTol * Dc * maxWc + eps * sumTerms * maxWc + eps * maxBias +
         8 * eps;
}

/// The bound on one alignment weight a_t(s) = p_ref of the general score:
/// probsTolerance with the folded query's scores, plus the folded query's
/// own f32 error (luongTolerance's projection term, a score error
/// delta = Ds max|h̄_s| Dq eps max|h_t| max|W_a| moving p by 2 delta
/// relatively, counted three times as probsTolerance counts its score
/// error).
inline double luongProbsTolerance(int64_t Dq, int64_t Ds, int64_t Ls,
                                  double maxQw, float maxHt, float maxW,
                                  float maxHs, double ref) {
  const double eps = std::numeric_limits<float>::epsilon();
  return probsTolerance(Ds, Ls, 1.0, (float)maxQw, maxHs, 0, ref) +
         ref * 6.0 * Ds * maxHs * Dq * eps * maxHt * maxW;
}

/// bf16 storage: round to nearest even (NaN kept quiet), and back.
inline uint16_t toBf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u)
    return (uint16_t)((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}
inline float fromBf16(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}

/// The bound for bf16 inputs, with its derivation. The reference reads the
/// same bf16 values (widened exactly), so the f32 bound covers the f32
/// arithmetic. Two roundings to bf16 may add to it, each by at most
/// u * max|v| with u = 2^-8, the unit roundoff of bf16's 8-bit significand
/// (round to nearest even):
/// - the kernel may round the softmax weights P to bf16 for the avx512_bf16
///   dot products of P V: |sum_j (p~_j - p_j) v_j| / sum_j p_j <= u max|v|
///   since |p~_j - p_j| <= u p_j (the row sum stays f32);
/// - a bf16 result rounds |O| <= max|v| once more.
inline double bf16Tolerance(int64_t D, int64_t Lk, double scale, float maxQ,
                            float maxK, float maxV, bool bf16Out,
                            float maxBias = 0) {
  const double u = 1.0 / 256;
  return f32Tolerance(D, Lk, scale, maxQ, maxK, maxV, maxBias) +
         (double)maxV * u * (bf16Out ? 2.0 : 1.0);
}

} // namespace attn_test

#endif // ATTN_TEST_REFERENCE_H
