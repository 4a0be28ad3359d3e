//===- sdpa_numerics_test.cpp - compiled attn.sdpa vs a float64 reference ---===//
//
// Kernels come from sdpa_kernels.mlir, compiled by attnc at build time for
// the host CPU. Each case draws seeded inputs, runs the kernel through its C
// entry point, and compares every output element with Reference.h.
//
//===----------------------------------------------------------------------===//
#include "Checked.h"

// The same kernels built with different attnc options (CMakeLists.txt).
#ifndef ATTN_KERNELS_HEADER
#define ATTN_KERNELS_HEADER "sdpa_kernels.h"
#endif
#include ATTN_KERNELS_HEADER

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <tuple>

using namespace attn_test;

namespace {

/// The reference's view of an i1 keep-mask [batch or 1, heads or 1, Lq, Lk].
MaskSpec keepMask(const Buffer<uint8_t> &mask, int64_t batch, int64_t heads) {
  MaskSpec spec;
  spec.kind = MaskSpec::Bool;
  spec.keep = mask.data.data();
  spec.batch = batch;
  spec.heads = heads;
  return spec;
}

// ---------------------------------------------------------------------------
// The grid: q_len x kv_len x head_dim x causal, with GQA on every other case.
// ---------------------------------------------------------------------------

using GridParam = std::tuple<int64_t, int64_t, int64_t, bool>;

std::string gridName(const ::testing::TestParamInfo<GridParam> &info) {
  const GridParam &p = info.param;
  return "q" + std::to_string(std::get<0>(p)) + "_kv" +
         std::to_string(std::get<1>(p)) + "_d" + std::to_string(std::get<2>(p)) +
         (std::get<3>(p) ? "_causal" : "");
}

class SdpaGrid : public ::testing::TestWithParam<GridParam> {};

TEST_P(SdpaGrid, MatchesFloat64Reference) {
  auto [Lq, Lk, D, causal] = GetParam();
  // GQA (2 query heads over 1 KV head) when (Lq + Lk) is odd; MHA otherwise.
  int64_t Hkv = (Lq + Lk) % 2 ? 1 : 2;
  Case c{1, 2, Hkv, Lq, Lk, D, D};
  Inputs in(c, (uint32_t)(Lq * 7919 + Lk * 104729 + D * 31 + causal));
  double scale = 1.0 / std::sqrt((double)D);
  if (causal)
    runChecked(c, in, KERNEL(sdpa_causal_dyn), scale, true);
  else
    runChecked(c, in, KERNEL(sdpa_dyn), scale, false);
}

INSTANTIATE_TEST_SUITE_P(
    Spine, SdpaGrid,
    ::testing::Combine(::testing::Values(1, 7, 63, 64, 65, 127, 1000),
                       ::testing::Values(1, 7, 63, 64, 65, 127, 1000),
                       ::testing::Values(16, 64, 80, 128),
                       ::testing::Bool()),
    gridName);

// ---------------------------------------------------------------------------
// Decode shapes: q_len 1 to 4 over a KV head's whole query group (MHA, GQA
// groups of 2, 4 and 8, MQA), so that the decode body's row blocks (4, 2,
// 1 rows), its head_dim remainders (72 = 4 x 16 + 8, 20 = 16 + 4), P V
// with the accumulators in registers (head_dim <= 8 vectors) and in memory
// (160), the causal prefix of each row and split key ranges (kv_len >= 512
// with few tasks) all occur.
// ---------------------------------------------------------------------------

using DecodeParam = std::tuple<int64_t, int64_t, int64_t, int64_t, bool>;

std::string decodeName(const ::testing::TestParamInfo<DecodeParam> &info) {
  auto [hkv, lq, lk, d, causal] = info.param;
  return "hkv" + std::to_string(hkv) + "_q" + std::to_string(lq) + "_kv" +
         std::to_string(lk) + "_d" + std::to_string(d) +
         (causal ? "_causal" : "");
}

class SdpaDecode : public ::testing::TestWithParam<DecodeParam> {};

TEST_P(SdpaDecode, MatchesFloat64Reference) {
  auto [Hkv, Lq, Lk, D, causal] = GetParam();
  Case c{2, 8, Hkv, Lq, Lk, D, D};
  Inputs in(c, (uint32_t)(Hkv * 131 + Lq * 7919 + Lk * 104729 + D * 31 +
                          causal));
  double scale = 1.0 / std::sqrt((double)D);
  if (causal)
    runChecked(c, in, KERNEL(sdpa_causal_dyn), scale, true);
  else
    runChecked(c, in, KERNEL(sdpa_dyn), scale, false);
}

INSTANTIATE_TEST_SUITE_P(
    Decode, SdpaDecode,
    ::testing::Combine(::testing::Values(8, 4, 2, 1),
                       ::testing::Values(1, 2, 3, 4),
                       ::testing::Values(1, 5, 130, 700),
                       ::testing::Values(20, 72, 128, 160), ::testing::Bool()),
    decodeName);

/// A keep-mask and a bias in decode: per-score terms in the decode body.
TEST(SdpaDecodeMask, BoolMaskAndBiasOverGqaGroups) {
  Case c{2, 8, 2, 3, 300, 64, 64};
  Inputs in(c, 41);
  Buffer<uint8_t> mask({c.B, 1, c.Lq, c.Lk});
  std::mt19937 rng(42);
  for (auto &m : mask.data)
    m = (rng() % 4) != 0;
  for (int64_t j = 0; j < c.Lk; ++j) // one fully masked row: zeros
    mask.at({1, 0, 2, j}) = 0;
  attn_tensor_t m = mask.desc(ATTN_DTYPE_I1);
  MaskSpec spec = keepMask(mask, c.B, 1);
  Buffer<float> out = runChecked(c, in, KERNEL(sdpa_bool_mask, &m),
                                 1.0 / std::sqrt((double)c.D), false, spec);
  for (int64_t h = 0; h < c.Hq; ++h)
    for (int64_t e = 0; e < c.Dv; ++e)
      EXPECT_EQ(out.at({1, h, 2, e}), 0.0f);
}

/// A per-head bias with causal in decode: each row of a GQA task reads its
/// own head's terms, and each row's causal prefix bounds its keys.
TEST(SdpaDecodeMask, PerHeadBiasWithCausalOverGqaGroups) {
  Case c{1, 8, 1, 4, 600, 40, 40};
  Inputs in(c, 51);
  Buffer<float> bias({1, c.Hq, c.Lq, c.Lk});
  std::mt19937 rng(52);
  fillUniform(bias.data, rng, -4.f, 4.f);
  for (size_t i = 0; i < bias.data.size(); i += 5)
    bias.data[i] = -INFINITY;
  attn_tensor_t m = bias.desc(ATTN_DTYPE_F32);
  MaskSpec spec = biasMask(bias, 1, c.Hq);
  runChecked(c, in, KERNEL(sdpa_bias_causal, &m), 1.0 / std::sqrt((double)c.D),
             true, spec, /*maxBias=*/4);
}

/// Causal decode, 4 queries of a GQA group in one row block: the last keys,
/// hidden from the earlier queries, score far above every visible one. A
/// hidden key in a row's running max would push that row's weights to 0.
TEST(SdpaDecodeMask, HiddenKeysStayOutOfTheMax) {
  Case c{1, 4, 1, 4, 40, 16, 16};
  Inputs in(c, 61);
  for (int64_t h = 0; h < c.Hq; ++h)
    for (int64_t i = 0; i < c.Lq; ++i)
      for (int64_t d = 0; d < c.D; ++d)
        in.q.at({0, h, i, d}) = 1.0f;
  for (int64_t j = c.Lk - 3; j < c.Lk; ++j)
    for (int64_t d = 0; d < c.D; ++d)
      in.k.at({0, 0, j, d}) = 60.0f; // scores 240 above the others' ~0
  runChecked(c, in, KERNEL(sdpa_causal_dyn), 1.0 / std::sqrt((double)c.D),
             true);
}

// ---------------------------------------------------------------------------
// Masks, GQA, batches, static shapes.
// ---------------------------------------------------------------------------

TEST(SdpaMask, BoolMaskPerBatchBroadcastOverHeads) {
  Case c{2, 4, 2, 33, 70, 64, 64};
  Inputs in(c, 11);
  Buffer<uint8_t> mask({c.B, 1, c.Lq, c.Lk});
  std::mt19937 rng(12);
  for (auto &m : mask.data)
    m = (rng() % 3) != 0; // ~1/3 masked
  // Row 5 of batch 1 fully masked: must give zeros.
  for (int64_t j = 0; j < c.Lk; ++j)
    mask.at({1, 0, 5, j}) = 0;
  attn_tensor_t m = mask.desc(ATTN_DTYPE_I1);
  MaskSpec spec = keepMask(mask, c.B, 1);
  Buffer<float> out = runChecked(c, in, KERNEL(sdpa_bool_mask, &m),
                                 1.0 / std::sqrt((double)c.D), false, spec);
  for (int64_t h = 0; h < c.Hq; ++h)
    for (int64_t e = 0; e < c.Dv; ++e)
      EXPECT_EQ(out.at({1, h, 5, e}), 0.0f);
}

TEST(SdpaMask, AdditiveBiasPerHeadWithCausal) {
  Case c{2, 6, 3, 40, 90, 32, 32};
  Inputs in(c, 21);
  // Some -inf entries, as PyTorch float masks use, and one fully -inf row.
  Buffer<float> bias = biasWithHoles({1, c.Hq, c.Lq, c.Lk}, 22, 4.f);
  for (int64_t j = 0; j < c.Lk; ++j)
    bias.at({0, 2, 17, j}) = -INFINITY;
  attn_tensor_t m = bias.desc(ATTN_DTYPE_F32);
  MaskSpec spec = biasMask(bias, 1, c.Hq);
  Buffer<float> out =
      runChecked(c, in, KERNEL(sdpa_bias_causal, &m),
                 1.0 / std::sqrt((double)c.D), true, spec, /*maxBias=*/4);
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t e = 0; e < c.Dv; ++e)
      EXPECT_EQ(out.at({b, 2, 17, e}), 0.0f);
}

TEST(SdpaMask, Rank2BoolMaskSharedByAllHeads) {
  Case c{3, 2, 2, 17, 9, 16, 16};
  Inputs in(c, 31);
  Buffer<uint8_t> mask({c.Lq, c.Lk});
  for (int64_t i = 0; i < c.Lq; ++i)
    for (int64_t j = 0; j < c.Lk; ++j)
      mask.at({i, j}) = (i + 2 * j) % 5 != 0;
  attn_tensor_t m = mask.desc(ATTN_DTYPE_I1);
  MaskSpec spec;
  spec.kind = MaskSpec::Bool;
  spec.rank = 2;
  spec.keep = mask.data.data();
  runChecked(c, in, KERNEL(sdpa_mask2d, &m), 1.0 / std::sqrt((double)c.D),
             false, spec);
}

// ---------------------------------------------------------------------------
// Dense masks broadcast as PyTorch's attn_mask does: any dim of size 1
// (static, or dynamic and 1 at run time) applies to every index of its
// partner. The mask is read in place (stride 0), so the numbers are those of
// the same mask materialized densely, which is what the reference reads.
// ---------------------------------------------------------------------------

/// A random keep-mask (about 1/3 masked) of the given shape.
Buffer<uint8_t> randomKeep(std::vector<int64_t> shape, uint32_t seed) {
  Buffer<uint8_t> mask(std::move(shape));
  std::mt19937 rng(seed);
  for (auto &m : mask.data)
    m = (rng() % 3) != 0;
  return mask;
}

/// The reference's view of a rank-4 mask of any broadcast shape.
MaskSpec viewOf(const MaskSpec &base, const std::vector<int64_t> &shape) {
  MaskSpec spec = base;
  spec.batch = shape[0];
  spec.heads = shape[1];
  spec.rows = shape[2];
  spec.cols = shape[3];
  return spec;
}

TEST(SdpaMaskBroadcast, AnyDimOfADynamicMaskBroadcasts) {
  // Prefill with GQA, q_len != kv_len, and decode over a GQA group.
  for (Case c : {Case{2, 4, 2, 33, 70, 64, 64}, Case{2, 8, 2, 1, 300, 128, 128},
                 Case{1, 3, 3, 17, 5, 16, 16}}) {
    int64_t B = c.B, H = c.Hq, Lq = c.Lq, Lk = c.Lk;
    for (std::vector<int64_t> shape :
         {std::vector<int64_t>{B, 1, Lq, Lk}, {B, 1, 1, Lk}, {1, H, Lq, Lk},
          {1, H, 1, Lk}, {B, H, Lq, Lk}, {1, 1, Lq, 1}, {1, 1, 1, 1}}) {
      Inputs in(c, (uint32_t)(Lq * 7 + shape[0] + 2 * shape[1] + 3 * shape[2]));
      Buffer<uint8_t> mask = randomKeep(shape, (uint32_t)(Lk + shape[3]));
      attn_tensor_t m = mask.desc(ATTN_DTYPE_I1);
      SCOPED_TRACE("mask [" + std::to_string(shape[0]) + ", " +
                   std::to_string(shape[1]) + ", " + std::to_string(shape[2]) +
                   ", " + std::to_string(shape[3]) + "], Lq " +
                   std::to_string(Lq));
      runChecked(c, in, KERNEL(sdpa_mask_any, &m),
                 1.0 / std::sqrt((double)c.D), false,
                 viewOf(keepMask(mask, 1, 1), shape));
    }
  }
}

TEST(SdpaMaskBroadcast, KeyPaddingHidesKeysOfEveryHeadAndRow) {
  // Per-batch valid lengths as a [batch, 1, 1, kv_len] mask, given to a
  // kernel whose mask dims are all dynamic and to one whose broadcast dims
  // are static 1; batch 2 has no valid key, so its rows are zeros.
  Case c{3, 4, 2, 20, 45, 32, 32};
  const int64_t valid[3] = {45, 17, 0};
  Buffer<uint8_t> mask({c.B, 1, 1, c.Lk});
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t j = 0; j < c.Lk; ++j)
      mask.at({b, 0, 0, j}) = j < valid[b];
  attn_tensor_t m = mask.desc(ATTN_DTYPE_I1);
  MaskSpec spec = viewOf(keepMask(mask, 1, 1), mask.shape);
  for (int kernel = 0; kernel < 2; ++kernel) {
    Inputs in(c, 80 + kernel);
    Buffer<float> out =
        kernel ? runChecked(c, in, KERNEL(sdpa_key_padding, &m),
                            1.0 / std::sqrt((double)c.D), false, spec)
               : runChecked(c, in, KERNEL(sdpa_mask_any, &m),
                            1.0 / std::sqrt((double)c.D), false, spec);
    for (int64_t h = 0; h < c.Hq; ++h)
      for (int64_t i = 0; i < c.Lq; ++i)
        for (int64_t e = 0; e < c.Dv; ++e)
          EXPECT_EQ(out.at({2, h, i, e}), 0.0f);
  }
}

TEST(SdpaMaskBroadcast, BiasBroadcastWithCausal) {
  Case c{2, 6, 3, 40, 90, 32, 32};
  for (std::vector<int64_t> shape :
       {std::vector<int64_t>{c.B, 1, 1, c.Lk}, {1, c.Hq, c.Lq, 1},
        {c.B, c.Hq, 1, c.Lk}}) {
    Inputs in(c, (uint32_t)(90 + shape[1] + shape[2]));
    Buffer<float> bias = biasWithHoles(shape, 91, 4.f);
    attn_tensor_t m = bias.desc(ATTN_DTYPE_F32);
    runChecked(c, in, KERNEL(sdpa_bias_any_causal, &m),
               1.0 / std::sqrt((double)c.D), true,
               viewOf(biasMask(bias, 1, 1), shape), /*maxBias=*/4);
  }
}

TEST(SdpaMaskBroadcast, Rank2MasksBroadcastRowsOrKeys) {
  // A dynamic [q_len, kv_len] mask given as [1, kv_len] (one row for all),
  // and a static [q_len, 1] bias (one term per row; -inf rows give zeros).
  Case c{2, 2, 1, 19, 37, 16, 16};
  Inputs in(c, 95);
  Buffer<uint8_t> keys = randomKeep({1, c.Lk}, 96);
  attn_tensor_t mk = keys.desc(ATTN_DTYPE_I1);
  MaskSpec spec = keepMask(keys, 1, 1);
  spec.rank = 2;
  spec.rows = 1;
  runChecked(c, in, KERNEL(sdpa_mask2d, &mk), 1.0 / std::sqrt((double)c.D),
             false, spec);

  Buffer<float> rows({c.Lq, 1});
  std::mt19937 rng(97);
  fillUniform(rows.data, rng, -3.f, 3.f);
  rows.at({4, 0}) = -INFINITY;
  attn_tensor_t mr = rows.desc(ATTN_DTYPE_F32);
  MaskSpec rspec = biasMask(rows, 1, 1);
  rspec.rank = 2;
  rspec.cols = 1;
  Buffer<float> out =
      runChecked(c, in, KERNEL(sdpa_row_bias, &mr),
                 1.0 / std::sqrt((double)c.D), false, rspec, /*maxBias=*/3);
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t h = 0; h < c.Hq; ++h)
      for (int64_t e = 0; e < c.Dv; ++e)
        EXPECT_EQ(out.at({b, h, 4, e}), 0.0f);
}

TEST(SdpaMaskBroadcast, ADimNeitherOneNorItsPartnerIsAShapeError) {
  // q_len 5, mask dim 2 of 3: ATTN_ERR_SHAPE naming both dims, output
  // untouched.
  Case c{1, 2, 2, 5, 8, 16, 16};
  Inputs in(c, 98);
  Buffer<uint8_t> mask = randomKeep({1, 1, 3, c.Lk}, 99);
  Buffer<float> out({c.B, c.Hq, c.Lq, c.Dv}, 7.0f);
  attn_tensor_t q = in.q.desc(ATTN_DTYPE_F32), k = in.k.desc(ATTN_DTYPE_F32),
                v = in.v.desc(ATTN_DTYPE_F32), m = mask.desc(ATTN_DTYPE_I1),
                o = out.desc(ATTN_DTYPE_F32);
  EXPECT_EQ(sdpa_mask_any(&q, &k, &v, &m, &o), ATTN_ERR_SHAPE);
  EXPECT_NE(std::string(attn_last_error())
                .find("'mask' dim 2 is 3 but 'q' dim 2 is 5; they must be "
                      "equal, or 'mask' dim 2 must be 1 (broadcast)"),
            std::string::npos)
      << attn_last_error();
  for (float x : out.data)
    EXPECT_EQ(x, 7.0f);
}

TEST(SdpaGqa, MqaAndGroupsWithBatch) {
  for (auto [Hq, Hkv] : {std::pair<int64_t, int64_t>{8, 1}, {8, 2}, {6, 3},
                        {4, 4}}) {
    Case c{2, Hq, Hkv, 19, 23, 64, 64};
    Inputs in(c, (uint32_t)(Hq * 100 + Hkv));
    runChecked(c, in, KERNEL(sdpa_causal_dyn), 1.0 / std::sqrt((double)c.D),
               true);
  }
}

TEST(SdpaGqa, StaticQueryHeadsOverDynamicKvHeads) {
  // q_heads is static (8) and kv_heads dynamic: one kernel for MHA, GQA
  // and MQA.
  for (int64_t Hkv : {8, 4, 2, 1}) {
    Case c{1, 8, Hkv, 9, 14, 32, 32};
    Inputs in(c, (uint32_t)(700 + Hkv));
    runChecked(c, in, KERNEL(sdpa_q8_kvdyn), 1.0 / std::sqrt(32.0), true);
  }
}

TEST(SdpaStatic, GqaExplicitScaleDifferentValueDim) {
  Case c{2, 8, 2, 65, 127, 80, 48};
  Inputs in(c, 41);
  // The kernel's scale attribute is the f32 0.3.
  runChecked(c, in, KERNEL(sdpa_static_gqa), (double)0.3f, true);
}

TEST(SdpaCausal, MoreQueriesThanKeysGivesZeroRows) {
  // Bottom-right alignment: with Lq = 10 > Lk = 4, rows 0..5 see no key.
  Case c{1, 2, 2, 10, 4, 16, 16};
  Inputs in(c, 51);
  Buffer<float> out = runChecked(c, in, KERNEL(sdpa_causal_dyn), 0.25, true);
  for (int64_t h = 0; h < c.Hq; ++h)
    for (int64_t i = 0; i < 6; ++i)
      for (int64_t e = 0; e < c.Dv; ++e)
        EXPECT_EQ(out.at({0, h, i, e}), 0.0f);
  // Row 6 sees exactly key 0: its output is v[0].
  for (int64_t e = 0; e < c.Dv; ++e)
    EXPECT_FLOAT_EQ(out.at({0, 0, 6, e}), in.v.at({0, 0, 0, e}));
}

TEST(SdpaShapes, EmptyKeysGiveZerosAndEmptyQueriesDoNothing) {
  Case c{1, 2, 2, 3, 0, 16, 16};
  Inputs in(c, 61);
  Buffer<float> out({c.B, c.Hq, c.Lq, c.Dv}, NAN);
  attn_tensor_t q = in.q.desc(ATTN_DTYPE_F32), k = in.k.desc(ATTN_DTYPE_F32),
                v = in.v.desc(ATTN_DTYPE_F32), o = out.desc(ATTN_DTYPE_F32);
  ASSERT_EQ(sdpa_dyn(&q, &k, &v, &o), ATTN_OK) << attn_last_error();
  for (float x : out.data)
    EXPECT_EQ(x, 0.0f);

  Case e{1, 2, 2, 0, 5, 16, 16};
  Inputs in2(e, 62);
  Buffer<float> out2({e.B, e.Hq, e.Lq, e.Dv});
  attn_tensor_t q2 = in2.q.desc(ATTN_DTYPE_F32),
                k2 = in2.k.desc(ATTN_DTYPE_F32),
                v2 = in2.v.desc(ATTN_DTYPE_F32),
                o2 = out2.desc(ATTN_DTYPE_F32);
  EXPECT_EQ(sdpa_dyn(&q2, &k2, &v2, &o2), ATTN_OK) << attn_last_error();
}

TEST(SdpaStrides, NonContiguousAndBroadcastInputs) {
  // Q, K and V stored as [B, L, H, D] (the layout a fused QKV projection
  // produces) and passed as [B, H, L, D] views; V's batch dim broadcast with
  // stride 0; output written into a strided slice of a larger buffer.
  const int64_t B = 2, H = 3, Lq = 11, Lk = 13, D = 16;
  std::mt19937 rng(71);
  std::vector<float> qs(B * Lq * H * D), ks(B * Lk * H * D), vs(Lk * H * D);
  fillUniform(qs, rng, -1, 1);
  fillUniform(ks, rng, -1, 1);
  fillUniform(vs, rng, -1, 1);
  auto view = [](void *data, std::vector<int64_t> shape,
                 std::vector<int64_t> strides) {
    attn_tensor_t t{};
    t.data = data;
    t.dtype = ATTN_DTYPE_F32;
    t.rank = 4;
    for (int k = 0; k < 4; ++k) {
      t.shape[k] = shape[k];
      t.strides[k] = strides[k];
    }
    return t;
  };
  attn_tensor_t q = view(qs.data(), {B, H, Lq, D},
                         {Lq * H * D, D, H * D, 1});
  attn_tensor_t k = view(ks.data(), {B, H, Lk, D},
                         {Lk * H * D, D, H * D, 1});
  attn_tensor_t v = view(vs.data(), {B, H, Lk, D}, {0, D, H * D, 1});
  // Output: every other row of a [B, H, 2*Lq, D] buffer.
  std::vector<float> big(B * H * 2 * Lq * D, -7.0f);
  attn_tensor_t o = view(big.data(), {B, H, Lq, D},
                         {H * 2 * Lq * D, 2 * Lq * D, 2 * D, 1});
  ASSERT_EQ(sdpa_dyn(&q, &k, &v, &o), ATTN_OK) << attn_last_error();

  // Reference on contiguous copies.
  std::vector<float> qc(B * H * Lq * D), kc(B * H * Lk * D),
      vc(B * H * Lk * D);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      for (int64_t i = 0; i < Lq; ++i)
        for (int64_t d = 0; d < D; ++d)
          qc[((b * H + h) * Lq + i) * D + d] = qs[((b * Lq + i) * H + h) * D + d];
      for (int64_t j = 0; j < Lk; ++j)
        for (int64_t d = 0; d < D; ++d) {
          kc[((b * H + h) * Lk + j) * D + d] = ks[((b * Lk + j) * H + h) * D + d];
          vc[((b * H + h) * Lk + j) * D + d] = vs[(j * H + h) * D + d];
        }
    }
  double scale = 1.0 / std::sqrt((double)D);
  auto ref = referenceSdpa(qc, kc, vc, B, H, H, Lq, Lk, D, D, scale, false);
  double tol = f32Tolerance(D, Lk, scale, 1, 1, 1);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < 2 * Lq; ++i)
        for (int64_t d = 0; d < D; ++d) {
          float got = big[((b * H + h) * 2 * Lq + i) * D + d];
          if (i % 2) {
            EXPECT_EQ(got, -7.0f) << "gap rows must stay untouched";
          } else {
            double want = ref[((b * H + h) * Lq + i / 2) * D + d];
            EXPECT_NEAR(got, want, tol);
          }
        }
}

TEST(SdpaStrides, KeysStoredTransposedTakeTheGeneralKernel) {
  // K stored as [B, H, D, Lk] (a "K transposed" cache) and passed as a
  // [B, H, Lk, D] view: its last stride is Lk, not 1, so the entry point
  // runs the kernel for any strides instead of the unit-stride copy. Long
  // enough for full register blocks and several key blocks.
  const int64_t B = 1, H = 2, Lq = 70, Lk = 150, D = 64;
  std::mt19937 rng(83);
  Buffer<float> q({B, H, Lq, D}), kt({B, H, D, Lk}), v({B, H, Lk, D});
  fillUniform(q.data, rng, -1, 1);
  fillUniform(kt.data, rng, -1, 1);
  fillUniform(v.data, rng, -1, 1);
  attn_tensor_t qd = q.desc(ATTN_DTYPE_F32), vd = v.desc(ATTN_DTYPE_F32);
  attn_tensor_t kd = kt.desc(ATTN_DTYPE_F32);
  kd.shape[2] = Lk;
  kd.shape[3] = D;
  kd.strides[2] = 1;
  kd.strides[3] = Lk;
  Buffer<float> out({B, H, Lq, D}, NAN);
  attn_tensor_t od = out.desc(ATTN_DTYPE_F32);
  ASSERT_EQ(sdpa_causal_dyn(&qd, &kd, &vd, &od), ATTN_OK) << attn_last_error();
  std::vector<float> k(kt.data.size());
  for (int64_t h = 0; h < H; ++h)
    for (int64_t j = 0; j < Lk; ++j)
      for (int64_t d = 0; d < D; ++d)
        k[(h * Lk + j) * D + d] = kt.data[(h * D + d) * Lk + j];
  double scale = 1.0 / std::sqrt((double)D);
  auto ref = referenceSdpa(q.data, k, v.data, B, H, H, Lq, Lk, D, D, scale,
                           true);
  bool nonFinite;
  EXPECT_LE(maxError(out.data, ref, nonFinite),
            f32Tolerance(D, Lk, scale, 1, 1, 1));
  EXPECT_FALSE(nonFinite);
}

TEST(SdpaOutputs, TwoResultsFromOneFunction) {
  Case c{1, 2, 2, 9, 9, 16, 16};
  Inputs in(c, 81);
  Buffer<float> full({1, 2, 9, 16}, NAN), causal({1, 2, 9, 16}, NAN);
  attn_tensor_t q = in.q.desc(ATTN_DTYPE_F32), k = in.k.desc(ATTN_DTYPE_F32),
                v = in.v.desc(ATTN_DTYPE_F32), o1 = full.desc(ATTN_DTYPE_F32),
                o2 = causal.desc(ATTN_DTYPE_F32);
  ASSERT_EQ(sdpa_two_outputs(&q, &k, &v, &o1, &o2), ATTN_OK)
      << attn_last_error();
  double scale = 0.25;
  auto refFull = referenceSdpa(in.q.data, in.k.data, in.v.data, 1, 2, 2, 9, 9,
                               16, 16, scale, false);
  auto refCausal = referenceSdpa(in.q.data, in.k.data, in.v.data, 1, 2, 2, 9,
                                 9, 16, 16, scale, true);
  bool nf;
  double tol = f32Tolerance(16, 9, scale, 1, 1, 1);
  EXPECT_LE(maxError(full.data, refFull, nf), tol);
  EXPECT_FALSE(nf);
  EXPECT_LE(maxError(causal.data, refCausal, nf), tol);
  EXPECT_FALSE(nf);
}

} // namespace
