//===- Checked.h - Run a compiled kernel and check it -----------*- C++ -*-===//
//
// The f32 tests' harness: seeded inputs, a kernel call through its C entry
// point into a NaN-filled output, and every element checked against
// Reference.h with f32Tolerance. Include it after the kernels' header.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TEST_CHECKED_H
#define ATTN_TEST_CHECKED_H

#include "Reference.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <gtest/gtest.h>

namespace attn_test {

struct Case {
  int64_t B, Hq, Hkv, Lq, Lk, D, Dv;
};

/// Max |got - ref| over all elements; infinity if any element is not
/// finite (a NaN would otherwise vanish in std::max).
inline double maxError(const std::vector<float> &got,
                       const std::vector<double> &ref, bool &nonFinite) {
  double err = 0;
  nonFinite = false;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!std::isfinite(got[i])) {
      nonFinite = true;
      return INFINITY;
    }
    err = std::max(err, std::fabs((double)got[i] - ref[i]));
  }
  return err;
}

struct Inputs {
  Buffer<float> q, k, v;
  Inputs(const Case &c, uint32_t seed)
      : q({c.B, c.Hq, c.Lq, c.D}), k({c.B, c.Hkv, c.Lk, c.D}),
        v({c.B, c.Hkv, c.Lk, c.Dv}) {
    std::mt19937 rng(seed);
    fillUniform(q.data, rng, -1.f, 1.f);
    fillUniform(k.data, rng, -1.f, 1.f);
    fillUniform(v.data, rng, -1.f, 1.f);
  }
};

/// Runs `call(q, k, v, out)` on `in` into a fresh NaN-filled output, and
/// checks every element against the float64 reference with the f32 bound.
template <typename Call>
Buffer<float> runChecked(const Case &c, Inputs &in, Call call, double scale,
                         bool causal, const MaskSpec &mask = {},
                         float maxBias = 0) {
  Buffer<float> out({c.B, c.Hq, c.Lq, c.Dv}, NAN);
  attn_tensor_t q = in.q.desc(ATTN_DTYPE_F32), k = in.k.desc(ATTN_DTYPE_F32),
                v = in.v.desc(ATTN_DTYPE_F32), o = out.desc(ATTN_DTYPE_F32);
  attn_status_t st = call(q, k, v, o);
  EXPECT_EQ(st, ATTN_OK) << attn_last_error();
  std::vector<double> ref =
      referenceSdpa(in.q.data, in.k.data, in.v.data, c.B, c.Hq, c.Hkv, c.Lq,
                    c.Lk, c.D, c.Dv, scale, causal, mask);
  bool nonFinite;
  double err = maxError(out.data, ref, nonFinite);
  EXPECT_FALSE(nonFinite);
  EXPECT_LE(err, f32Tolerance(c.D, c.Lk, scale, maxAbs(in.q.data),
                              maxAbs(in.k.data), maxAbs(in.v.data), maxBias))
      << "B=" << c.B << " Hq=" << c.Hq << " Hkv=" << c.Hkv << " Lq=" << c.Lq
      << " Lk=" << c.Lk << " D=" << c.D << " Dv=" << c.Dv
      << " causal=" << causal;
  return out;
}

/// The reference's view of an f32 bias [batch or 1, heads or 1, Lq, Lk].
inline MaskSpec biasMask(const Buffer<float> &bias, int64_t batch,
                         int64_t heads) {
  MaskSpec spec;
  spec.kind = MaskSpec::Bias;
  spec.bias = bias.data.data();
  spec.batch = batch;
  spec.heads = heads;
  return spec;
}

/// A seeded f32 bias of `shape`, uniform in [-range, range], with -inf at
/// every 7th entry (as PyTorch float masks hide keys).
inline Buffer<float> biasWithHoles(std::vector<int64_t> shape, uint32_t seed,
                                   float range) {
  Buffer<float> bias(std::move(shape));
  std::mt19937 rng(seed);
  fillUniform(bias.data, rng, -range, range);
  for (size_t i = 0; i < bias.data.size(); i += 7)
    bias.data[i] = -INFINITY;
  return bias;
}

/// The reference of the kernels' `*_bias_alibi_window` functions: an f32
/// bias [batch, 1, q_len, kv_len] with -inf holes (max |bias| 2), ALiBi's
/// paper slopes, and a window of 50 keys before and 20 after each query
/// (bottom-right aligned). `maxBias` bounds the bias plus the ALiBi term,
/// which reaches max(slope) * 50 in the window and is rounded about 4 times
/// (sdpa_mod_test's AlibiPaperSlopesCausal).
struct BiasAlibiWindow {
  Buffer<float> bias;
  std::vector<double> slopes;
  MaskSpec spec;
  float maxBias;
  BiasAlibiWindow(const Case &c, uint32_t seed)
      : bias(biasWithHoles({c.B, 1, c.Lq, c.Lk}, seed, 2.f)),
        slopes(paperSlopes(c.Hq)), spec(biasMask(bias, c.B, 1)) {
    int64_t shift = c.Lk - c.Lq;
    spec.keepFn = [shift](int64_t, int64_t, int64_t i, int64_t j) {
      int64_t d = i + shift - j;
      return -20 <= d && d <= 50;
    };
    const std::vector<double> *m = &slopes;
    spec.scoreFn = [m, shift](double x, int64_t, int64_t h, int64_t i,
                              int64_t j) {
      return x + (*m)[h] * (double)(j - (i + shift));
    };
    maxBias = 2 + 2 * (float)*std::max_element(slopes.begin(), slopes.end()) *
                      50.f;
  }
  BiasAlibiWindow(const BiasAlibiWindow &) = delete;
};

/// The shapes the mask and logsumexp tests run on.
inline const Case kMaskCases[] = {
    {2, 4, 2, 67, 67, 32, 32},    // prefill, GQA, a partial query block
    {1, 2, 2, 130, 130, 16, 24},  // several query blocks, Dv != D
    {1, 2, 1, 20, 300, 16, 16},   // cross-attention, q_len < kv_len
    {1, 2, 2, 150, 90, 16, 16},   // q_len > kv_len
    {2, 8, 2, 3, 300, 64, 64},    // decode: 3 queries of 4-head groups
    {1, 4, 1, 1, 1500, 128, 128}, // decode, MQA, a split key range
};

/// Checks every row's logsumexp against the reference (`slack` times
/// lseTolerance, with -inf exactly where the reference row sees no key);
/// returns the number of such rows.
inline int64_t checkLse(const std::vector<float> &got,
                        const std::vector<double> &ref, int64_t D, int64_t Lk,
                        double scale, float maxQ, float maxK, float maxBias,
                        double slack = 1) {
  int64_t empty = 0, bad = 0;
  for (size_t r = 0; r < ref.size(); ++r) {
    bool ok;
    if (std::isinf(ref[r])) {
      ++empty;
      ok = std::isinf(got[r]) && got[r] < 0;
    } else {
      ok = std::isfinite(got[r]) &&
           std::fabs((double)got[r] - ref[r]) <=
               slack *
                   lseTolerance(D, Lk, scale, maxQ, maxK, maxBias, ref[r]);
    }
    if (!ok && bad++ < 5)
      ADD_FAILURE() << "row " << r << ": lse " << got[r] << ", reference "
                    << ref[r];
  }
  EXPECT_EQ(bad, 0);
  return empty;
}

/// Checks every attention weight against the reference: exactly 0 where
/// the reference's is (a masked key, every key of a row that sees none),
/// within `slack` times probsTolerance elsewhere. Returns the number of
/// zero weights.
inline int64_t checkProbs(const std::vector<float> &got,
                          const std::vector<double> &ref, int64_t D,
                          int64_t Lk, double scale, float maxQ, float maxK,
                          float maxBias, double slack = 1) {
  EXPECT_EQ(got.size(), ref.size());
  int64_t zeros = 0, bad = 0;
  for (size_t r = 0; r < ref.size() && r < got.size(); ++r) {
    bool ok;
    if (ref[r] == 0) {
      ++zeros;
      ok = got[r] == 0;
    } else {
      ok = std::fabs((double)got[r] - ref[r]) <=
           slack * probsTolerance(D, Lk, scale, maxQ, maxK, maxBias, ref[r]);
    }
    if (!ok && bad++ < 5)
      ADD_FAILURE() << "weight " << r << " (row " << r / Lk << ", key "
                    << r % Lk << "): " << got[r] << ", reference " << ref[r];
  }
  EXPECT_EQ(bad, 0);
  return zeros;
}

/// A case for SCOPED_TRACE.
inline std::string name(const Case &c) {
  return "B=" + std::to_string(c.B) + " Hq=" + std::to_string(c.Hq) +
         " Hkv=" + std::to_string(c.Hkv) + " Lq=" + std::to_string(c.Lq) +
         " Lk=" + std::to_string(c.Lk) + " D=" + std::to_string(c.D);
}

/// attn.sdpa's default scale, 1 / sqrt(head_dim).
inline double defaultScale(const Case &c) {
  return 1.0 / std::sqrt((double)c.D);
}

/// A random graph in CSR for a case's q_len x kv_len: each key is a
/// neighbour of query i with probability 1 / oneIn(i) (0: every key);
/// every 5th query has none (a zero row). Rows are sorted. The default,
/// 1/6 everywhere, is dense enough that the kernels' tasks take the
/// block body; sparser rows (1/8 of the keys or fewer per task) take the
/// gather body.
struct CsrGraph {
  Buffer<int32_t> offsets, columns;
  explicit CsrGraph(const Case &c,
                    std::function<int(int64_t)> oneIn = [](int64_t) {
                      return 6;
                    })
      : offsets({c.Lq + 1}) {
    std::mt19937 rng(19);
    std::vector<int32_t> cols;
    for (int64_t i = 0; i < c.Lq; ++i) {
      offsets.data[i] = (int32_t)cols.size();
      int n = oneIn(i);
      for (int64_t j = 0; j < c.Lk; ++j)
        if (i % 5 != 4 && (n == 0 || rng() % n == 0))
          cols.push_back((int32_t)j);
    }
    offsets.data[c.Lq] = (int32_t)cols.size();
    columns = Buffer<int32_t>({(int64_t)cols.size()});
    columns.data = cols;
  }
  bool edge(int64_t i, int64_t j) const {
    return std::binary_search(columns.data.begin() + offsets.data[i],
                              columns.data.begin() + offsets.data[i + 1],
                              (int32_t)j);
  }
};

/// A call of kernel `fn` for runChecked, with the arguments between v and
/// the output (masks, captures).
#define KERNEL(fn, ...)                                                        \
  [&](attn_tensor_t &q, attn_tensor_t &k, attn_tensor_t &v,                   \
      attn_tensor_t &o) { return fn(&q, &k, &v, ##__VA_ARGS__, &o); }

} // namespace attn_test

#endif // ATTN_TEST_CHECKED_H
