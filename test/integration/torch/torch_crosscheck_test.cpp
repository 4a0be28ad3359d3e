//===- torch_crosscheck_test.cpp - attnc kernels vs PyTorch 1.13 -----------===//
//
// Runs the kernels of sdpa_kernels.mlir (and the named, mod, lse, weights
// and Luong kernels' files) on inputs written by torch_cases.py
// and compares with what PyTorch's own attention (the fused
// _scaled_dot_product_attention and nn.MultiheadAttention) computed on them.
//
//===----------------------------------------------------------------------===//
#include "../cpu/Checked.h"
#include "examples/npy.h"
#include "luong_kernels.h"
#include "sdpa_kernels.h"
#include "sdpa_lse_kernels.h"
#include "sdpa_mod_kernels.h"
#include "sdpa_named_kernels.h"
#include "sdpa_weights_kernels.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cstring>
#include <functional>
#include <string>

#ifndef ATTN_TORCH_CASES_DIR
#error "ATTN_TORCH_CASES_DIR must name the folder torch_cases.py writes"
#endif

namespace {

struct Array {
  npy_array a{};
  ~Array() { npy_free(&a); }
  attn_tensor_t desc() {
    attn_tensor_t t;
    int32_t dtype = !std::strcmp(a.dtype, "<i4")   ? ATTN_DTYPE_I32
                    : !std::strcmp(a.dtype, "<i8") ? ATTN_DTYPE_I64
                    : a.elem_size == 1             ? ATTN_DTYPE_I1
                                                   : ATTN_DTYPE_F32;
    attn_tensor_contiguous(&t, a.data, dtype, a.rank, a.shape);
    return t;
  }
  const float *f() const { return static_cast<const float *>(a.data); }
  float maxAbs() const {
    float m = 0;
    for (size_t i = 0; i < a.count; ++i)
      m = std::max(m, std::fabs(f()[i]));
    return m;
  }
};

void load(const std::string &c, const char *name, Array &out) {
  std::string path = std::string(ATTN_TORCH_CASES_DIR) + "/" + c + "/" +
                     name + ".npy";
  char err[512];
  ASSERT_EQ(npy_read(path.c_str(), &out.a, err, sizeof(err)), 0) << err;
}

/// f32 bound of Reference.h, doubled because PyTorch's result is f32 too.
double tolerance(const Array &q, const Array &k, const Array &v,
                 float maxBias = 0) {
  int64_t D = q.a.shape[3], Lk = k.a.shape[2];
  return 2 * attn_test::f32Tolerance(D, Lk, 1.0 / std::sqrt((double)D),
                                     q.maxAbs(), k.maxAbs(), v.maxAbs(),
                                     maxBias);
}

double maxDiff(const float *a, const float *b, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(a[i]))
      return INFINITY;
    m = std::max(m, std::fabs((double)a[i] - (double)b[i]));
  }
  return m;
}

using Kernel3 = attn_status_t (*)(const attn_tensor_t *, const attn_tensor_t *,
                                  const attn_tensor_t *, attn_tensor_t *);
using Kernel4 = attn_status_t (*)(const attn_tensor_t *, const attn_tensor_t *,
                                  const attn_tensor_t *, const attn_tensor_t *,
                                  attn_tensor_t *);

/// Runs `k3` on q, k, v or, if given, `k4` on q, k, v and the mask, into
/// `out` (contiguous, of shape `shape`).
attn_status_t callKernel(Kernel3 k3, Kernel4 k4, Array &q, Array &k,
                         Array &v, Array &mask, float *out,
                         const int64_t *shape) {
  attn_tensor_t tq = q.desc(), tk = k.desc(), tv = v.desc(), to;
  attn_tensor_contiguous(&to, out, ATTN_DTYPE_F32, 4, shape);
  if (!k4)
    return k3(&tq, &tk, &tv, &to);
  attn_tensor_t tm = mask.desc();
  return k4(&tq, &tk, &tv, &tm, &to);
}

void runCase(const std::string &name, Kernel3 k3, Kernel4 k4) {
  Array q, k, v, mask, ref;
  load(name, "q", q);
  load(name, "k", k);
  load(name, "v", v);
  load(name, "out", ref);
  if (k4)
    load(name, "mask", mask);
  std::vector<float> out(ref.a.count, NAN);
  ASSERT_EQ(callKernel(k3, k4, q, k, v, mask, out.data(), ref.a.shape),
            ATTN_OK)
      << attn_last_error();
  float maxBias = 0;
  if (k4 && mask.a.elem_size == 4)
    for (size_t i = 0; i < mask.a.count; ++i)
      if (std::isfinite(mask.f()[i]))
        maxBias = std::max(maxBias, std::fabs(mask.f()[i]));
  double err = maxDiff(out.data(), ref.f(), ref.a.count);
  EXPECT_LE(err, tolerance(q, k, v, maxBias)) << name;
}

TEST(TorchCrossCheck, FusedCausalMultiHead) {
  runCase("mha_causal", sdpa_causal_dyn, nullptr);
}
TEST(TorchCrossCheck, GqaCrossAttention) {
  runCase("gqa_cross", sdpa_dyn, nullptr);
}
TEST(TorchCrossCheck, BoolMask) {
  runCase("bool_mask", nullptr, sdpa_bool_mask);
}
TEST(TorchCrossCheck, AdditiveBiasWithCausal) {
  runCase("bias_causal", nullptr, sdpa_bias_causal);
}

/// A torch.nn.MultiheadAttention case: attnc computes the attention core on
/// the module's own Q/K/V projections (with the case's mask, if `k4`), and
/// the module's output projection is applied here, in double.
void runModuleCase(const std::string &name, Kernel3 k3, Kernel4 k4) {
  Array q, k, v, y, w, bias, mask;
  load(name, "q", q);
  load(name, "k", k);
  load(name, "v", v);
  load(name, "out", y);
  load(name, "out_proj_w", w);
  load(name, "out_proj_b", bias);
  if (k4)
    load(name, "mask", mask);
  int64_t B = q.a.shape[0], H = q.a.shape[1], L = q.a.shape[2],
          hd = q.a.shape[3], E = H * hd;
  std::vector<float> o(q.a.count, NAN);
  ASSERT_EQ(callKernel(k3, k4, q, k, v, mask, o.data(), q.a.shape), ATTN_OK)
      << attn_last_error();
  // y[b, i, :] = concat_h(o[b, h, i, :]) W^T + bias, in double.
  double maxErr = 0, maxW = w.maxAbs();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < L; ++i)
      for (int64_t r = 0; r < E; ++r) {
        double acc = bias.f()[r];
        for (int64_t h = 0; h < H; ++h)
          for (int64_t d = 0; d < hd; ++d)
            acc += (double)o[((b * H + h) * L + i) * hd + d] *
                   (double)w.f()[r * E + h * hd + d];
        maxErr = std::max(maxErr,
                          std::fabs(acc - (double)y.f()[(b * L + i) * E + r]));
      }
  // The attention error, carried through E terms of the projection, plus
  // PyTorch's own f32 GEMM over E terms.
  double tol = tolerance(q, k, v) * E * maxW +
               2.0 * FLT_EPSILON * E * maxW * v.maxAbs();
  EXPECT_LE(maxErr, tol) << name;
}

TEST(TorchCrossCheck, MultiheadAttentionModule) {
  runModuleCase("mha_module", sdpa_causal_dyn, nullptr);
}

// The same [batch, 1, q_len, kv_len] mask as BoolMask, given to a kernel
// whose mask dims are all dynamic: dim 1 broadcasts at run time.
TEST(TorchCrossCheck, BoolMaskBroadcastAtRunTime) {
  runCase("bool_mask", nullptr, sdpa_mask_any);
}

// nn.MultiheadAttention's key_padding_mask ([batch, kv_len], True = pad),
// given to attnc as a [batch, 1, 1, kv_len] keep-mask that broadcasts over
// heads and query rows: at run time (all dims dynamic) and statically.
TEST(TorchCrossCheck, KeyPaddingMaskOfTheModule) {
  runModuleCase("mha_key_padding", nullptr, sdpa_mask_any);
  runModuleCase("mha_key_padding", nullptr, sdpa_key_padding);
}

/// A named-mask case: `call` runs the kernel on q, k, v, the case's
/// captures (the .npy files named in `captures`, in order) and the output.
/// `maxBias` bounds what a score modifier adds to a score (f32Tolerance).
void runNamedCase(
    const std::string &name, std::vector<const char *> captures,
    std::function<attn_status_t(attn_tensor_t *, attn_tensor_t *,
                                attn_tensor_t *, attn_tensor_t *,
                                attn_tensor_t *)>
        call,
    float maxBias = 0) {
  Array q, k, v, ref;
  load(name, "q", q);
  load(name, "k", k);
  load(name, "v", v);
  load(name, "out", ref);
  std::vector<Array> caps(captures.size());
  std::vector<attn_tensor_t> capT(captures.size());
  for (size_t i = 0; i < captures.size(); ++i) {
    load(name, captures[i], caps[i]);
    capT[i] = caps[i].desc();
  }
  std::vector<float> out(ref.a.count, NAN);
  attn_tensor_t tq = q.desc(), tk = k.desc(), tv = v.desc(), to;
  attn_tensor_contiguous(&to, out.data(), ATTN_DTYPE_F32, 4, ref.a.shape);
  ASSERT_EQ(call(&tq, &tk, &tv, capT.data(), &to), ATTN_OK)
      << attn_last_error();
  EXPECT_LE(maxDiff(out.data(), ref.f(), ref.a.count),
            tolerance(q, k, v, maxBias))
      << name;
}

/// runNamedCase for a kernel with no captures, one, or two.
using Kernel0 = attn_status_t (*)(const attn_tensor_t *, const attn_tensor_t *,
                                  const attn_tensor_t *, attn_tensor_t *);
using Kernel1 = attn_status_t (*)(const attn_tensor_t *, const attn_tensor_t *,
                                  const attn_tensor_t *, const attn_tensor_t *,
                                  attn_tensor_t *);
using Kernel2 = attn_status_t (*)(const attn_tensor_t *, const attn_tensor_t *,
                                  const attn_tensor_t *, const attn_tensor_t *,
                                  const attn_tensor_t *, attn_tensor_t *);
void runNamed(const std::string &name, Kernel0 fn, float maxBias = 0) {
  runNamedCase(
      name, {},
      [fn](attn_tensor_t *q, attn_tensor_t *k, attn_tensor_t *v,
           attn_tensor_t *, attn_tensor_t *o) { return fn(q, k, v, o); },
      maxBias);
}
void runNamed(const std::string &name, const char *capture, Kernel1 fn) {
  runNamedCase(name, {capture},
               [fn](attn_tensor_t *q, attn_tensor_t *k, attn_tensor_t *v,
                    attn_tensor_t *c, attn_tensor_t *o) {
                 return fn(q, k, v, &c[0], o);
               });
}
void runNamed(const std::string &name, const char *capture0,
              const char *capture1, Kernel2 fn) {
  runNamedCase(name, {capture0, capture1},
               [fn](attn_tensor_t *q, attn_tensor_t *k, attn_tensor_t *v,
                    attn_tensor_t *c, attn_tensor_t *o) {
                 return fn(q, k, v, &c[0], &c[1], o);
               });
}

// #attn.causal<top_left> is PyTorch's is_causal (torch_cases.py checks that
// it is top-left for q_len != kv_len).
TEST(TorchCrossCheck, NamedCausalTopLeftIsTorchsIsCausal) {
  runNamed("named_causal_top_left", named_causal_top_left);
}

TEST(TorchCrossCheck, NamedWindow) {
  runNamed("named_window", named_window);
}

TEST(TorchCrossCheck, NamedKeyPaddingWithCausal) {
  runNamed("named_key_padding", "lens", named_key_padding_causal);
}

TEST(TorchCrossCheck, NamedDocumentsInCrossAttention) {
  runNamed("named_documents", "qdoc", "kdoc", named_document_cross);
}

// The rest of the named masks against PyTorch with the dense mask each one
// means (torch_cases.py builds it).
TEST(TorchCrossCheck, NamedDilatedWindow) {
  runNamed("named_dilated", named_dilated);
}

TEST(TorchCrossCheck, NamedLongformer) {
  runNamed("named_longformer", named_longformer);
}

TEST(TorchCrossCheck, NamedStaticBlockLayout) {
  runNamed("named_block_layout", named_block_layout);
}

TEST(TorchCrossCheck, NamedGraphAdjacencyInCsr) {
  runNamed("named_csr", "offsets", "columns", named_csr);
}

// Sparse enough that the kernel's tasks gather the edges.
TEST(TorchCrossCheck, NamedSparseGraphAdjacencyInCsr) {
  runNamed("named_csr_sparse", "offsets", "columns", named_csr);
}

TEST(TorchCrossCheck, NamedUnionOfAnIntersection) {
  runNamed("named_union", "lens", named_union);
}

// #attn.alibi's default slopes are the paper's get_slopes (6 heads: both
// branches), and its bias is BLOOM's up to a per-row constant.
TEST(TorchCrossCheck, NamedAlibiIsTheReferenceSlopesWithCausal) {
  // The bias reaches max(slope) * kv_len: 2^-1 (6 heads' second branch)
  // times 90 keys, in both forms.
  runNamed("alibi_causal", named_alibi, 0.5f * 90);
}

TEST(TorchCrossCheck, LogSumExpIsTorchLogsumexpOfTheMaskedScores) {
  Array q, k, v, ref, refLse;
  load("lse_causal", "q", q);
  load("lse_causal", "k", k);
  load("lse_causal", "v", v);
  load("lse_causal", "out", ref);
  load("lse_causal", "lse", refLse);
  std::vector<float> out(ref.a.count, NAN), lse(refLse.a.count, NAN);
  attn_tensor_t tq = q.desc(), tk = k.desc(), tv = v.desc(), to, tl;
  attn_tensor_contiguous(&to, out.data(), ATTN_DTYPE_F32, 4, ref.a.shape);
  attn_tensor_contiguous(&tl, lse.data(), ATTN_DTYPE_F32, 3, refLse.a.shape);
  ASSERT_EQ(lse_causal(&tq, &tk, &tv, &to, &tl), ATTN_OK) << attn_last_error();
  int64_t D = q.a.shape[3], Lk = k.a.shape[2];
  EXPECT_LE(maxDiff(out.data(), ref.f(), ref.a.count),
            2 * attn_test::f32Tolerance(D, Lk, 0.3, q.maxAbs(), k.maxAbs(),
                                        v.maxAbs()));
  // Both sides are f32: twice Reference.h's bound. 2 x 8 x 20 rows see no
  // key.
  std::vector<double> want(refLse.f(), refLse.f() + refLse.a.count);
  int64_t empty = attn_test::checkLse(lse, want, D, Lk, 0.3, q.maxAbs(),
                                      k.maxAbs(), 0, /*slack=*/2);
  EXPECT_EQ(empty, 2 * 8 * 20);
}

/// A w_*__probs kernel of sdpa_weights_kernels.mlir against
/// nn.MultiheadAttention's per-head weights (need_weights,
/// average_attn_weights=False) and output.
using WeightsKernel = attn_status_t (*)(const attn_tensor_t *,
                                        const attn_tensor_t *,
                                        const attn_tensor_t *, attn_tensor_t *,
                                        attn_tensor_t *);
int64_t runWeights(const char *name, WeightsKernel fn, double scale) {
  Array q, k, v, ref, refProbs;
  load(name, "q", q);
  load(name, "k", k);
  load(name, "v", v);
  load(name, "out", ref);
  load(name, "probs", refProbs);
  std::vector<float> out(ref.a.count, NAN), probs(refProbs.a.count, NAN);
  attn_tensor_t tq = q.desc(), tk = k.desc(), tv = v.desc(), to, tp;
  attn_tensor_contiguous(&to, out.data(), ATTN_DTYPE_F32, 4, ref.a.shape);
  attn_tensor_contiguous(&tp, probs.data(), ATTN_DTYPE_F32, 4,
                         refProbs.a.shape);
  EXPECT_EQ(fn(&tq, &tk, &tv, &to, &tp), ATTN_OK) << attn_last_error();
  int64_t D = q.a.shape[3], Lk = k.a.shape[2];
  // Both sides are f32, and PyTorch's projections are exact but for the
  // query's scaling by c (one rounding, far below the score terms): twice
  // Reference.h's bounds.
  EXPECT_LE(maxDiff(out.data(), ref.f(), ref.a.count),
            2 * attn_test::f32Tolerance(D, Lk, scale, q.maxAbs(), k.maxAbs(),
                                        v.maxAbs()));
  std::vector<double> want(refProbs.f(), refProbs.f() + refProbs.a.count);
  return attn_test::checkProbs(probs, want, D, Lk, scale, q.maxAbs(),
                               k.maxAbs(), 0, /*slack=*/2);
}

TEST(TorchCrossCheck, WeightsAreMultiheadAttentionsPerHeadWeights) {
  EXPECT_EQ(runWeights("probs_cross", w_dense__probs, 1 / std::sqrt(32.0)),
            0);
  // attn_mask hides the 45 * 44 / 2 keys above the diagonal in each of
  // 2 x 4 heads: exactly 0 on both sides.
  EXPECT_EQ(runWeights("probs_causal", w_causal__probs, 0.3),
            2 * 4 * 45 * 44 / 2);
}

} // namespace

namespace {
TEST(TorchCrossCheck, LuongAttentionOverGruStates) {
  Array ht, hs, wa, wc, bc, context, probs, out;
  for (auto [name, a] : {std::pair<const char *, Array *>{"ht", &ht},
                         {"hs", &hs}, {"wa", &wa}, {"wc", &wc}, {"bc", &bc},
                         {"context", &context}, {"probs", &probs},
                         {"out", &out}})
    load("luong_gru", name, *a);
  attn_tensor_t tht = ht.desc(), ths = hs.desc(), twa = wa.desc(),
                twc = wc.desc(), tbc = bc.desc(), tc, tp, to;
  std::vector<float> c(context.a.count, NAN), p(probs.a.count, NAN),
      o(out.a.count, NAN);
  attn_tensor_contiguous(&tc, c.data(), ATTN_DTYPE_F32, 4, context.a.shape);
  attn_tensor_contiguous(&tp, p.data(), ATTN_DTYPE_F32, 4, probs.a.shape);
  attn_tensor_contiguous(&to, o.data(), ATTN_DTYPE_F32, 4, out.a.shape);
  ASSERT_EQ(luong_general__probs(&tht, &ths, &twa, &tc, &tp), ATTN_OK)
      << attn_last_error();
  ASSERT_EQ(luong_layer(&tht, &ths, &twa, &twc, &tbc, &to), ATTN_OK)
      << attn_last_error();
  // Reference.h's bounds, doubled because PyTorch computes in f32 too.
  int64_t Dq = ht.a.shape[3], Ds = hs.a.shape[3], Ls = hs.a.shape[2];
  double maxQw = 0;
  for (size_t r = 0; r < ht.a.count / Dq; ++r)
    for (int64_t j = 0; j < Ds; ++j) {
      double s = 0;
      for (int64_t i = 0; i < Dq; ++i)
        s += (double)ht.f()[r * Dq + i] * wa.f()[i * Ds + j];
      maxQw = std::max(maxQw, std::fabs(s));
    }
  double ctxTol = attn_test::luongTolerance(
      Dq, Ds, Ls, maxQw, ht.maxAbs(), wa.maxAbs(), hs.maxAbs(), true);
  EXPECT_LE(maxDiff(c.data(), context.f(), c.size()), 2 * ctxTol);
  for (size_t i = 0; i < p.size(); ++i)
    ASSERT_LE(std::fabs((double)p[i] - probs.f()[i]),
              2 * attn_test::luongProbsTolerance(Dq, Ds, Ls, maxQw,
                                                 ht.maxAbs(), wa.maxAbs(),
                                                 hs.maxAbs(), probs.f()[i]))
        << "weight " << i;
  EXPECT_LE(maxDiff(o.data(), out.f(), o.size()),
            2 * attn_test::luongOutputTolerance(ctxTol, Ds, Dq,
                                                context.maxAbs(), ht.maxAbs(),
                                                wc.maxAbs(), bc.maxAbs()));
}
} // namespace
