//===- sdpa_bf16_test.cpp - bf16 attn.sdpa vs a float64 reference ---------===//
//
// Kernels from sdpa_bf16_kernels.mlir (bf16 query/key/value; bf16 or f32
// result), built by attnc for the host (with avx512_bf16 dot products where
// the CPU has them) and for other targets (CMakeLists.txt). Inputs are drawn
// in f32, rounded to bf16, and the float64 reference reads the same bf16
// values; bf16Tolerance (Reference.h) gives the bound.
//
//===----------------------------------------------------------------------===//
#include "Checked.h"

#ifndef ATTN_KERNELS_HEADER
#define ATTN_KERNELS_HEADER "sdpa_bf16_kernels.h"
#endif
#include ATTN_KERNELS_HEADER

#include <gtest/gtest.h>

#include <functional>

#include <cmath>
#include <string>
#include <tuple>

using namespace attn_test;

namespace {

struct Bf16Tensor {
  Buffer<uint16_t> bits;
  std::vector<float> values; // the same numbers, for the reference
  Bf16Tensor(std::vector<int64_t> shape, std::mt19937 &rng)
      : bits(std::move(shape)) {
    values.resize(bits.numel());
    fillUniform(values, rng, -1.f, 1.f);
    for (size_t i = 0; i < values.size(); ++i) {
      bits.data[i] = toBf16(values[i]);
      values[i] = fromBf16(bits.data[i]);
    }
  }
};

using Kernel = attn_status_t (*)(const attn_tensor_t *, const attn_tensor_t *,
                                 const attn_tensor_t *, attn_tensor_t *);

/// Runs `kernel` on seeded bf16 inputs [1, Hq, Lq, D], [1, Hkv, Lk, D] and
/// checks every output element (bf16 or f32) against the reference.
void check(Kernel kernel, bool bf16Out, int64_t Hq, int64_t Hkv, int64_t Lq,
           int64_t Lk, int64_t D, bool causal, uint32_t seed) {
  std::mt19937 rng(seed);
  Bf16Tensor q({1, Hq, Lq, D}, rng), k({1, Hkv, Lk, D}, rng),
      v({1, Hkv, Lk, D}, rng);
  attn_tensor_t qd = q.bits.desc(ATTN_DTYPE_BF16),
                kd = k.bits.desc(ATTN_DTYPE_BF16),
                vd = v.bits.desc(ATTN_DTYPE_BF16);
  std::vector<float> got;
  attn_status_t st;
  if (bf16Out) {
    Buffer<uint16_t> out({1, Hq, Lq, D}, 0x7fc0); // NaN
    attn_tensor_t od = out.desc(ATTN_DTYPE_BF16);
    st = kernel(&qd, &kd, &vd, &od);
    for (uint16_t h : out.data)
      got.push_back(fromBf16(h));
  } else {
    Buffer<float> out({1, Hq, Lq, D}, NAN);
    attn_tensor_t od = out.desc(ATTN_DTYPE_F32);
    st = kernel(&qd, &kd, &vd, &od);
    got = out.data;
  }
  ASSERT_EQ(st, ATTN_OK) << attn_last_error();
  double scale = 1.0 / std::sqrt((double)D);
  std::vector<double> ref = referenceSdpa(q.values, k.values, v.values, 1, Hq,
                                          Hkv, Lq, Lk, D, D, scale, causal);
  double bound = bf16Tolerance(D, Lk, scale, maxAbs(q.values),
                               maxAbs(k.values), maxAbs(v.values), bf16Out);
  double err = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_TRUE(std::isfinite(got[i])) << "element " << i;
    err = std::max(err, std::fabs((double)got[i] - ref[i]));
  }
  EXPECT_LE(err, bound) << "Hq=" << Hq << " Hkv=" << Hkv << " Lq=" << Lq
                        << " Lk=" << Lk << " D=" << D << " causal=" << causal;
}

using GridParam = std::tuple<int64_t, int64_t, int64_t, bool, bool>;

std::string gridName(const ::testing::TestParamInfo<GridParam> &info) {
  auto [Lq, Lk, D, causal, bf16Out] = info.param;
  return "q" + std::to_string(Lq) + "_kv" + std::to_string(Lk) + "_d" +
         std::to_string(D) + (causal ? "_causal" : "") +
         (bf16Out ? "_bf16out" : "_f32out");
}

class Bf16Grid : public ::testing::TestWithParam<GridParam> {};

TEST_P(Bf16Grid, MatchesFloat64Reference) {
  auto [Lq, Lk, D, causal, bf16Out] = GetParam();
  // GQA (4 query heads over 2 KV heads) when Lk is odd.
  int64_t Hkv = Lk % 2 ? 2 : 4;
  Kernel kernel = bf16Out ? (causal ? bf16_causal : bf16_dense)
                          : (causal ? bf16_causal_f32out : bf16_dense_f32out);
  check(kernel, bf16Out, 4, Hkv, Lq, Lk, D, causal,
        (uint32_t)(Lq * 7919 + Lk * 104729 + D * 31 + causal * 2 + bf16Out));
}

// q_len 1 and 7 take the one-row-vector body (and, with few tasks and long
// keys, the split key range); odd lengths leave partial blocks and pairs.
INSTANTIATE_TEST_SUITE_P(
    Bf16, Bf16Grid,
    ::testing::Combine(::testing::Values(1, 7, 65, 300),
                       ::testing::Values(1, 63, 65, 300, 1000),
                       ::testing::Values(16, 64, 80, 128), ::testing::Bool(),
                       ::testing::Bool()),
    gridName);

/// bf16_mask_f32out (a [q_len, kv_len] keep-mask, all dims dynamic) on a
/// random mask of `maskRows` rows (q_len, or 1 to broadcast at run time),
/// against the float64 reference.
void checkKeepMask(uint32_t seed, int64_t Lq, int64_t Lk, int64_t D,
                   int64_t maskRows) {
  std::mt19937 rng(seed);
  Bf16Tensor q({1, 2, Lq, D}, rng), k({1, 2, Lk, D}, rng), v({1, 2, Lk, D}, rng);
  Buffer<uint8_t> mask({maskRows, Lk});
  for (auto &m : mask.data)
    m = (rng() % 3) != 0;
  Buffer<float> out({1, 2, Lq, D}, NAN);
  attn_tensor_t qd = q.bits.desc(ATTN_DTYPE_BF16),
                kd = k.bits.desc(ATTN_DTYPE_BF16),
                vd = v.bits.desc(ATTN_DTYPE_BF16),
                md = mask.desc(ATTN_DTYPE_I1), od = out.desc(ATTN_DTYPE_F32);
  ASSERT_EQ(bf16_mask_f32out(&qd, &kd, &vd, &md, &od), ATTN_OK)
      << attn_last_error();
  MaskSpec spec;
  spec.kind = MaskSpec::Bool;
  spec.rank = 2;
  spec.rows = maskRows;
  spec.keep = mask.data.data();
  double scale = 1.0 / std::sqrt((double)D);
  std::vector<double> ref = referenceSdpa(q.values, k.values, v.values, 1, 2,
                                          2, Lq, Lk, D, D, scale, false, spec);
  double err = 0;
  for (size_t i = 0; i < out.data.size(); ++i)
    err = std::max(err, std::fabs((double)out.data[i] - ref[i]));
  EXPECT_LE(err, bf16Tolerance(D, Lk, scale, maxAbs(q.values),
                               maxAbs(k.values), maxAbs(v.values), false));
}

TEST(Bf16Mask, KeepMaskOnTheScalarSteps) { checkKeepMask(5, 37, 90, 64, 37); }

/// A named-mask kernel on seeded bf16 inputs [1, 4, Lq, D] over [1, 2, Lk,
/// D] (GQA), against the float64 reference with the mask as `keep`.
template <typename Call>
void checkNamed(
    uint32_t seed, int64_t Lq, int64_t Lk, int64_t D,
    std::function<bool(int64_t, int64_t, int64_t, int64_t)> keep, Call call,
    std::function<double(double, int64_t, int64_t, int64_t, int64_t)> score =
        nullptr,
    float maxBias = 0) {
  std::mt19937 rng(seed);
  Bf16Tensor q({1, 4, Lq, D}, rng), k({1, 2, Lk, D}, rng), v({1, 2, Lk, D}, rng);
  Buffer<float> out({1, 4, Lq, D}, NAN);
  attn_tensor_t qd = q.bits.desc(ATTN_DTYPE_BF16),
                kd = k.bits.desc(ATTN_DTYPE_BF16),
                vd = v.bits.desc(ATTN_DTYPE_BF16), od = out.desc(ATTN_DTYPE_F32);
  ASSERT_EQ(call(qd, kd, vd, od), ATTN_OK) << attn_last_error();
  MaskSpec spec;
  spec.keepFn = keep;
  spec.scoreFn = score;
  double scale = 1.0 / std::sqrt((double)D);
  std::vector<double> ref = referenceSdpa(q.values, k.values, v.values, 1, 4,
                                          2, Lq, Lk, D, D, scale, false, spec);
  double err = 0;
  for (size_t i = 0; i < out.data.size(); ++i)
    err = std::max(err, std::isfinite(out.data[i])
                            ? std::fabs((double)out.data[i] - ref[i])
                            : INFINITY);
  EXPECT_LE(err, bf16Tolerance(D, Lk, scale, maxAbs(q.values),
                               maxAbs(k.values), maxAbs(v.values), false,
                               maxBias))
      << "Lq=" << Lq << " Lk=" << Lk << " D=" << D;
}

TEST(Bf16NamedMask, WindowOnPrefillAndDecode) {
  for (auto [Lq, Lk] : {std::pair<int64_t, int64_t>{130, 130}, {20, 300}, {1, 1000}})
    checkNamed(
        (uint32_t)(Lq * 3 + Lk), Lq, Lk, 64,
        [Lq = Lq, Lk = Lk](int64_t, int64_t, int64_t i, int64_t j) {
          int64_t d = i + (Lk - Lq) - j;
          return -5 <= d && d <= 37;
        },
        [](attn_tensor_t &q, attn_tensor_t &k, attn_tensor_t &v,
           attn_tensor_t &o) { return bf16_window_f32out(&q, &k, &v, &o); });
}

TEST(Bf16NamedMask, KeyPaddingWithCausal) {
  for (auto [Lq, Lk] : {std::pair<int64_t, int64_t>{130, 130}, {3, 300}}) {
    Buffer<int32_t> lens({1});
    lens.data[0] = (int32_t)(Lk * 2 / 3);
    attn_tensor_t l = lens.desc(ATTN_DTYPE_I32);
    checkNamed(
        (uint32_t)(Lq * 5 + Lk), Lq, Lk, 64,
        [&, Lq = Lq, Lk = Lk](int64_t, int64_t, int64_t i, int64_t j) {
          return j < lens.data[0] && j <= i + (Lk - Lq);
        },
        [&](attn_tensor_t &q, attn_tensor_t &k, attn_tensor_t &v,
            attn_tensor_t &o) {
          return bf16_padding_causal_f32out(&q, &k, &v, &l, &o);
        });
  }
}

TEST(Bf16Mods, MaskModWindowWithKeyPadding) {
  for (auto [Lq, Lk] : {std::pair<int64_t, int64_t>{130, 130}, {20, 300},
                        {3, 300}, {1, 1000}}) {
    Buffer<int32_t> lens({1});
    lens.data[0] = (int32_t)(Lk * 2 / 3);
    attn_tensor_t l = lens.desc(ATTN_DTYPE_I32);
    checkNamed(
        (uint32_t)(Lq * 7 + Lk), Lq, Lk, 64,
        [&](int64_t, int64_t, int64_t i, int64_t j) {
          return j < lens.data[0] && j <= i && i <= j + 64;
        },
        [&](attn_tensor_t &q, attn_tensor_t &k, attn_tensor_t &v,
            attn_tensor_t &o) {
          return bf16_mod_window_padding_f32out(&q, &k, &v, &l, &o);
        });
  }
}

TEST(Bf16Mods, ScoreModAlibiThenSoftCap) {
  for (auto [Lq, Lk] : {std::pair<int64_t, int64_t>{130, 130}, {20, 300},
                        {1, 1000}}) {
    // Press et al.'s slopes 2^(-8 (h + 1) / 4) for the 4 query heads.
    Buffer<float> slopes({4});
    for (int64_t h = 0; h < 4; ++h)
      slopes.data[h] = std::exp2(-8.0f * (float)(h + 1) / 4.0f);
    attn_tensor_t s = slopes.desc(ATTN_DTYPE_F32);
    // The bias reaches slope * kv_len before the cap; rounded about 4
    // times at that size (as sdpa_mod_test's ALiBi budgets it).
    float maxBias = 2 * slopes.data[0] * (float)Lk;
    checkNamed(
        (uint32_t)(Lq * 11 + Lk), Lq, Lk, 64,
        [](int64_t, int64_t, int64_t, int64_t) { return true; },
        [&](attn_tensor_t &q, attn_tensor_t &k, attn_tensor_t &v,
            attn_tensor_t &o) {
          return bf16_mod_alibi_softcap_f32out(&q, &k, &v, &s, &o);
        },
        [&](double x, int64_t, int64_t h, int64_t i, int64_t j) {
          return 8.0 * std::tanh((x + (double)slopes.data[h] * (double)(j - i)) /
                                 8.0);
        },
        maxBias);
  }
}

TEST(Bf16NamedScoreMod, AlibiWithCausal) {
  for (auto [Lq, Lk] : {std::pair<int64_t, int64_t>{130, 130}, {20, 300},
                        {1, 1000}}) {
    // The paper's slopes for 4 query heads: 2^(-8 (h + 1) / 4); positions
    // bottom-right, as the causal mask's.
    int64_t off = Lk - Lq;
    checkNamed(
        (uint32_t)(Lq * 13 + Lk), Lq, Lk, 64,
        [off](int64_t, int64_t, int64_t i, int64_t j) { return j <= i + off; },
        [&](attn_tensor_t &q, attn_tensor_t &k, attn_tensor_t &v,
            attn_tensor_t &o) { return bf16_alibi_causal_f32out(&q, &k, &v, &o); },
        [off](double x, int64_t, int64_t h, int64_t i, int64_t j) {
          return x + std::exp2(-2.0 * (double)(h + 1)) * (double)(j - i - off);
        },
        // The bias reaches slope[0] * kv_len, rounded about 4 times at that
        // size (as in ScoreModAlibiThenSoftCap).
        2 * 0.25f * (float)Lk);
  }
}

TEST(Bf16Mask, OneKeyMaskRowBroadcastOverQueries) {
  // A [1, kv_len] mask: the dynamic q_len dim broadcasts (stride 0).
  checkKeepMask(6, 21, 70, 32, 1);
}

TEST(Bf16Strides, ValuesStoredTransposedTakeTheGeneralKernel) {
  // V stored as [1, H, D, Lk] and passed as a [1, H, Lk, D] view (last
  // stride Lk): the general kernel, whose bf16 pairs are two loads.
  std::mt19937 rng(9);
  int64_t H = 2, Lq = 33, Lk = 101, D = 80;
  Bf16Tensor q({1, H, Lq, D}, rng), k({1, H, Lk, D}, rng),
      vt({1, H, D, Lk}, rng);
  attn_tensor_t qd = q.bits.desc(ATTN_DTYPE_BF16),
                kd = k.bits.desc(ATTN_DTYPE_BF16),
                vd = vt.bits.desc(ATTN_DTYPE_BF16);
  vd.shape[2] = Lk;
  vd.shape[3] = D;
  vd.strides[2] = 1;
  vd.strides[3] = Lk;
  Buffer<float> out({1, H, Lq, D}, NAN);
  attn_tensor_t od = out.desc(ATTN_DTYPE_F32);
  ASSERT_EQ(bf16_causal_f32out(&qd, &kd, &vd, &od), ATTN_OK)
      << attn_last_error();
  std::vector<float> v(vt.values.size());
  for (int64_t h = 0; h < H; ++h)
    for (int64_t j = 0; j < Lk; ++j)
      for (int64_t d = 0; d < D; ++d)
        v[(h * Lk + j) * D + d] = vt.values[(h * D + d) * Lk + j];
  double scale = 1.0 / std::sqrt((double)D);
  std::vector<double> ref = referenceSdpa(q.values, k.values, v, 1, H, H, Lq,
                                          Lk, D, D, scale, true);
  double err = 0;
  for (size_t i = 0; i < out.data.size(); ++i)
    err = std::max(err, std::fabs((double)out.data[i] - ref[i]));
  EXPECT_LE(err, bf16Tolerance(D, Lk, scale, maxAbs(q.values),
                               maxAbs(k.values), maxAbs(v), false));
}

TEST(Bf16Lse, CausalPrefillDecodeAndSplit) {
  // GQA 4 over 2 heads; prefill, cross-attention, q_len > kv_len (rows
  // with no key: -inf) and one decode query over a split key range.
  const int64_t cases[][2] = {{130, 130}, {20, 300}, {90, 40}, {1, 1500}};
  for (auto [Lq, Lk] : cases) {
    SCOPED_TRACE("Lq=" + std::to_string(Lq) + " Lk=" + std::to_string(Lk));
    const int64_t D = 64;
    std::mt19937 rng((uint32_t)(Lq * 7 + Lk));
    Bf16Tensor q({1, 4, Lq, D}, rng), k({1, 2, Lk, D}, rng),
        v({1, 2, Lk, D}, rng);
    Buffer<uint16_t> out({1, 4, Lq, D}, 0x7fc0); // NaN
    Buffer<float> lse({1, 4, Lq}, NAN);
    attn_tensor_t qd = q.bits.desc(ATTN_DTYPE_BF16),
                  kd = k.bits.desc(ATTN_DTYPE_BF16),
                  vd = v.bits.desc(ATTN_DTYPE_BF16),
                  od = out.desc(ATTN_DTYPE_BF16), ld = lse.desc(ATTN_DTYPE_F32);
    ASSERT_EQ(bf16_causal_lse(&qd, &kd, &vd, &od, &ld), ATTN_OK)
        << attn_last_error();
    double scale = 1.0 / std::sqrt((double)D);
    std::vector<double> refLse;
    std::vector<double> ref =
        referenceSdpa(q.values, k.values, v.values, 1, 4, 2, Lq, Lk, D, D,
                      scale, true, {}, &refLse);
    double err = 0;
    for (size_t i = 0; i < out.data.size(); ++i) {
      float x = fromBf16(out.data[i]);
      err = std::max(err, std::isfinite(x) ? std::fabs((double)x - ref[i])
                                           : INFINITY);
    }
    float maxQ = maxAbs(q.values), maxK = maxAbs(k.values);
    EXPECT_LE(err,
              bf16Tolerance(D, Lk, scale, maxQ, maxK, maxAbs(v.values), true));
    checkLse(lse.data, refLse, D, Lk, scale, maxQ, maxK, 0);
  }
}

TEST(Bf16Dtype, F32InputsAreRejected) {
  Buffer<float> q({1, 1, 4, 16}), k({1, 1, 4, 16}), v({1, 1, 4, 16}),
      out({1, 1, 4, 16}, 7.0f);
  attn_tensor_t qd = q.desc(ATTN_DTYPE_F32), kd = k.desc(ATTN_DTYPE_F32),
                vd = v.desc(ATTN_DTYPE_F32), od = out.desc(ATTN_DTYPE_F32);
  EXPECT_EQ(bf16_dense_f32out(&qd, &kd, &vd, &od), ATTN_ERR_DTYPE);
  EXPECT_EQ(out.data[0], 7.0f); // untouched
}

} // namespace
