//===- sdpa_named_test.cpp - Named masks vs a float64 reference --------------===//
//
// Kernels come from sdpa_named_kernels.mlir (one build per attnc variant,
// CMakeLists.txt). Each test runs one kernel over prefill, cross-attention
// and decode shapes (GQA, split key ranges, partial blocks, q_len != kv_len
// for the alignments) and checks it against Reference.h with the mask
// written out in C++ from the attributes' documented meaning
// (dialect/Attn/AttnAttrs.td). The kernels class key blocks as empty, full
// or partial from the masks' structure; a wrong class shows here as a
// wrong row.
//
//===----------------------------------------------------------------------===//
#include "Checked.h"

#ifndef ATTN_KERNELS_HEADER
#define ATTN_KERNELS_HEADER "sdpa_named_kernels.h"
#endif
#include ATTN_KERNELS_HEADER

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

using namespace attn_test;

namespace {

/// Shapes every mask runs on.
const auto &kCases = kMaskCases;

/// Runs `call` on every case with the keep-predicate `keep(c)` gives.
template <typename Keep, typename Call>
void runAll(uint32_t seed, Keep keep, Call call) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * seed + c.Lk));
    MaskSpec spec;
    spec.keepFn = keep(c);
    call(c, in, spec);
  }
}

TEST(SdpaNamedMask, CausalTopLeft) {
  runAll(
      31,
      [](const Case &) {
        return [](int64_t, int64_t, int64_t i, int64_t j) { return j <= i; };
      },
      [](const Case &c, Inputs &in, const MaskSpec &spec) {
        runChecked(c, in, KERNEL(named_causal_top_left), defaultScale(c),
                   false, spec);
      });
}

TEST(SdpaNamedMask, WindowBothSidesBottomRight) {
  runAll(
      37,
      [](const Case &c) {
        return [c](int64_t, int64_t, int64_t i, int64_t j) {
          int64_t d = i + (c.Lk - c.Lq) - j;
          return -5 <= d && d <= 37;
        };
      },
      [](const Case &c, Inputs &in, const MaskSpec &spec) {
        runChecked(c, in, KERNEL(named_window), defaultScale(c), false, spec);
      });
}

TEST(SdpaNamedMask, DilatedWindowTopLeft) {
  runAll(
      41,
      [](const Case &) {
        return [](int64_t, int64_t, int64_t i, int64_t j) {
          int64_t d = i - j;
          return 0 <= d && d <= 40 && d % 3 == 0;
        };
      },
      [](const Case &c, Inputs &in, const MaskSpec &spec) {
        runChecked(c, in, KERNEL(named_dilated), defaultScale(c), false, spec);
      });
}

TEST(SdpaNamedMask, LongformerWindowOrGlobalTokens) {
  runAll(
      43,
      [](const Case &c) {
        return [c](int64_t, int64_t, int64_t i, int64_t j) {
          int64_t d = i + (c.Lk - c.Lq) - j;
          return (-16 <= d && d <= 16) || i < 3 || j < 3;
        };
      },
      [](const Case &c, Inputs &in, const MaskSpec &spec) {
        runChecked(c, in, KERNEL(named_longformer), defaultScale(c), false,
                   spec);
      });
}

TEST(SdpaNamedMask, StaticBlockLayout) {
  // named_block_layout's layout in sdpa_named_kernels.mlir: 5 x 8 blocks
  // of 16; queries and keys past it see nothing.
  static const bool layout[5][8] = {
      {1, 0, 0, 0, 0, 0, 0, 0}, {0, 1, 1, 0, 1, 0, 1, 1},
      {1, 0, 1, 0, 1, 0, 0, 1}, {0, 1, 1, 1, 0, 1, 0, 0},
      {1, 0, 1, 1, 1, 1, 0, 0}};
  runAll(
      47,
      [](const Case &) {
        return [](int64_t, int64_t, int64_t i, int64_t j) {
          return i / 16 < 5 && j / 16 < 8 && layout[i / 16][j / 16];
        };
      },
      [](const Case &c, Inputs &in, const MaskSpec &spec) {
        Buffer<float> out = runChecked(c, in, KERNEL(named_block_layout),
                                       defaultScale(c), false, spec);
        if (c.Lq > 80)
          for (int64_t e = 0; e < c.Dv; ++e)
            ASSERT_EQ(out.at({0, 0, 80, e}), 0.0f) << "row 80 is past it";
      });
}

/// Per-batch key lengths: 0 for batch 1 (zeros), else from [1, kv_len + 5]
/// (past kv_len: every key).
template <typename T> Buffer<T> drawLengths(const Case &c, std::mt19937 &rng) {
  Buffer<T> lens({c.B});
  for (int64_t b = 0; b < c.B; ++b)
    lens.data[b] = b == 1 ? 0 : (T)(1 + rng() % (c.Lk + 5));
  return lens;
}

TEST(SdpaNamedMask, KeyPaddingWithCausal) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 53 + c.Lk));
    std::mt19937 rng(7);
    Buffer<int32_t> lens = drawLengths<int32_t>(c, rng);
    attn_tensor_t l = lens.desc(ATTN_DTYPE_I32);
    MaskSpec spec;
    spec.keepFn = [&](int64_t b, int64_t, int64_t i, int64_t j) {
      return j < lens.data[b] && j <= i + (c.Lk - c.Lq);
    };
    Buffer<float> out = runChecked(c, in, KERNEL(named_key_padding_causal, &l),
                                   defaultScale(c), false, spec);
    if (c.B > 1)
      for (size_t x = c.Hq * c.Lq * c.Dv; x < 2 * c.Hq * c.Lq * c.Dv; ++x)
        ASSERT_EQ(out.data[x], 0.0f) << "batch 1 has no keys";
  }
}

TEST(SdpaNamedMask, KeyPaddingLengthsNotOnePerBatchIsAShapeError) {
  // 1 length for a batch of 2: the entry point ties the lengths' dim 0 to
  // the batch (tieCaptureDims), so the kernel never reads lens[1].
  Case c{2, 2, 2, 8, 8, 16, 16};
  Inputs in(c, 6);
  Buffer<int32_t> lens({1}, 4);
  Buffer<float> out({c.B, c.Hq, c.Lq, c.Dv}, 7.0f);
  attn_tensor_t q = in.q.desc(ATTN_DTYPE_F32), k = in.k.desc(ATTN_DTYPE_F32),
                v = in.v.desc(ATTN_DTYPE_F32), l = lens.desc(ATTN_DTYPE_I32),
                o = out.desc(ATTN_DTYPE_F32);
  EXPECT_EQ(named_key_padding_causal(&q, &k, &v, &l, &o), ATTN_ERR_SHAPE);
  EXPECT_NE(std::string(attn_last_error())
                .find("'lens' dim 0 is 1 but 'q' dim 0 is 2"),
            std::string::npos)
      << attn_last_error();
  for (float x : out.data) // untouched
    ASSERT_EQ(x, 7.0f);
}

/// Document ids [B, Lk]: documents of 1 to 40 tokens, with ids in order
/// (packed sequences) or drawn at random (any ids work).
Buffer<int64_t> drawDocuments(const Case &c, bool sorted, std::mt19937 &rng) {
  Buffer<int64_t> doc({c.B, std::max(c.Lq, c.Lk)});
  for (int64_t b = 0; b < c.B; ++b) {
    int64_t id = 0, left = 0;
    for (int64_t j = 0; j < doc.shape[1]; ++j) {
      if (left-- == 0) {
        id = sorted ? id + 1 : (int64_t)(rng() % 1000) - 500;
        left = (int64_t)(rng() % 40);
      }
      doc.at({b, j}) = id;
    }
  }
  return doc;
}

void runDocuments(bool sorted) {
  for (const Case &c : kCases) {
    if (c.Lq != c.Lk) // self-attention over packed sequences
      continue;
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 59 + c.Lk));
    std::mt19937 rng(11);
    Buffer<int64_t> doc = drawDocuments(c, sorted, rng);
    attn_tensor_t d = doc.desc(ATTN_DTYPE_I64);
    MaskSpec spec;
    spec.keepFn = [&](int64_t b, int64_t, int64_t i, int64_t j) {
      return doc.at({b, i}) == doc.at({b, j}) && j <= i;
    };
    runChecked(c, in, KERNEL(named_document_causal, &d), defaultScale(c),
               false, spec);
  }
}

TEST(SdpaNamedMask, PackedDocumentsWithCausal) { runDocuments(true); }
TEST(SdpaNamedMask, UnsortedDocumentIdsWithCausal) { runDocuments(false); }

TEST(SdpaNamedMask, CrossAttentionDocuments) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 61 + c.Lk));
    // Query i of document i * 4 / Lq, key j of document j * 4 / Lk: each
    // query sees a quarter of the keys.
    Buffer<int32_t> qdoc({c.Lq}), kdoc({c.Lk});
    for (int64_t i = 0; i < c.Lq; ++i)
      qdoc.data[i] = (int32_t)(i * 4 / c.Lq);
    for (int64_t j = 0; j < c.Lk; ++j)
      kdoc.data[j] = (int32_t)(j * 4 / c.Lk);
    attn_tensor_t qd = qdoc.desc(ATTN_DTYPE_I32), kd = kdoc.desc(ATTN_DTYPE_I32);
    MaskSpec spec;
    spec.keepFn = [&](int64_t, int64_t, int64_t i, int64_t j) {
      return qdoc.data[i] == kdoc.data[j];
    };
    runChecked(c, in, KERNEL(named_document_cross, &qd, &kd), defaultScale(c),
               false, spec);
  }
}

TEST(SdpaNamedMask, GraphAdjacencyInCsr) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 67 + c.Lk));
    CsrGraph g(c);
    // (Not named q, k, v or o: KERNEL's lambda takes those names.)
    attn_tensor_t offs = g.offsets.desc(ATTN_DTYPE_I32);
    attn_tensor_t colT = g.columns.desc(ATTN_DTYPE_I32);
    MaskSpec spec;
    spec.keepFn = [&](int64_t, int64_t, int64_t i, int64_t j) {
      return g.edge(i, j);
    };
    Buffer<float> out = runChecked(c, in, KERNEL(named_csr, &offs, &colT),
                                   defaultScale(c), false, spec);
    if (c.Lq > 4)
      for (int64_t e = 0; e < c.Dv; ++e)
        ASSERT_EQ(out.at({0, 0, 4, e}), 0.0f) << "query 4 has no neighbours";
  }
}

// Rows sparse enough for the gather body (a key in 40, and one row that
// lists every key: several steps of listed keys), after rows dense enough
// for the block body (a key in 2): one call runs both, per task. With a
// score_mod that reads each key's index; and with a causal mask.
TEST(SdpaNamedMask, GraphAdjacencySparseAndDenseRowsInCsr) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 73 + c.Lk));
    CsrGraph g(c, [&](int64_t i) {
      return i == c.Lq / 2 + 1 ? 0 : i < c.Lq / 2 ? 2 : 40;
    });
    attn_tensor_t offs = g.offsets.desc(ATTN_DTYPE_I32);
    attn_tensor_t colT = g.columns.desc(ATTN_DTYPE_I32);
    MaskSpec spec;
    spec.keepFn = [&](int64_t, int64_t, int64_t i, int64_t j) {
      return g.edge(i, j);
    };
    runChecked(c, in, KERNEL(named_csr, &offs, &colT), defaultScale(c), false,
               spec);
    // The score_mod's bias is in natural-log units, as the op's scores.
    spec.scoreFn = [](double s, int64_t, int64_t, int64_t i, int64_t j) {
      return s + 0.05 * (double)(j - i);
    };
    runChecked(c, in, KERNEL(named_csr_distance, &offs, &colT),
               defaultScale(c), false, spec);
    // With top-left causal: rows with no edge at or below their diagonal
    // are fully masked (zeros).
    spec.scoreFn = nullptr;
    spec.keepFn = [&](int64_t, int64_t, int64_t i, int64_t j) {
      return j <= i && g.edge(i, j);
    };
    runChecked(c, in, KERNEL(named_csr_causal, &offs, &colT), defaultScale(c),
               false, spec);
  }
}

TEST(SdpaNamedMask, UnionOfAnIntersection) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 71 + c.Lk));
    std::mt19937 rng(23);
    Buffer<int64_t> lens = drawLengths<int64_t>(c, rng);
    attn_tensor_t l = lens.desc(ATTN_DTYPE_I64);
    MaskSpec spec;
    spec.keepFn = [&](int64_t b, int64_t, int64_t i, int64_t j) {
      return (j <= i + (c.Lk - c.Lq) && j < lens.data[b]) || i < 2 || j < 2;
    };
    runChecked(c, in, KERNEL(named_union, &l), defaultScale(c), false, spec);
  }
}

} // namespace
