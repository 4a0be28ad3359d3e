//===- block_stats_test.cpp - The blocks the kernels visit and skip ---------===//
//
// Kernels from block_stats_kernels.mlir, built with --count-blocks and
// blocks of 32 query rows x 64 keys. Each test runs a masked kernel (its
// numbers checked against the float64 reference) and compares the
// runtime's block statistics (attn_get_block_stats) with the blocks the
// mask empties, keeps whole or cuts, counted here element by element at the
// same blocks: the kernels must visit exactly the non-empty blocks, run the
// full ones without the masks, and never test a block outside the masks'
// spans.
//
//===----------------------------------------------------------------------===//
#include "Checked.h"

#ifndef ATTN_KERNELS_HEADER
#define ATTN_KERNELS_HEADER "block_stats_kernels.h"
#endif
#include ATTN_KERNELS_HEADER

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>

using namespace attn_test;

namespace {

constexpr int64_t kQBlock = 32, kKvBlock = 64; // the kernels' FLAGS

/// {B, Hq, Hkv, Lq, Lk, D, Dv}: prefill with partial blocks and GQA,
/// cross-attention, decode (a KV head's group of 4 heads x 3 queries per
/// task), and MQA decode with a split key range.
const Case kCases[] = {
    {2, 4, 2, 200, 200, 32, 32},
    {1, 2, 2, 40, 300, 16, 16},
    {2, 8, 2, 3, 300, 64, 64},
    {1, 4, 1, 1, 1500, 64, 64},
};

using KeepFn = std::function<bool(int64_t b, int64_t h, int64_t i, int64_t j)>;

/// The statistics the kernels should report for `keep`: a prefill task is
/// (batch, head, 32 rows); a decode task (q_len <= 4) is (batch, KV head)
/// with its whole group of heads; steps of 64 keys from 0. With `spanEnd`
/// (masks whose span ends at a task's last kept key: causal, windows, key
/// padding) a task's last step stops there, and is classed as it runs.
attn_block_stats_t expected(const Case &c, const KeepFn &keep,
                            bool spanEnd) {
  attn_block_stats_t e{};
  bool decode = c.Lq <= 4;
  int64_t group = c.Hq / c.Hkv;
  auto task = [&](int64_t b, int64_t h0, int64_t heads, int64_t q0,
                  int64_t q1) {
    int64_t rows = heads * (q1 - q0);
    ++e.tasks;
    e.scores_dense += rows * c.Lk;
    int64_t end = c.Lk;
    if (spanEnd) {
      end = 0;
      for (int64_t h = h0; h < h0 + heads; ++h)
        for (int64_t i = q0; i < q1; ++i)
          for (int64_t j = 0; j < c.Lk; ++j)
            if (keep(b, h, i, j))
              end = std::max(end, j + 1);
    }
    for (int64_t j0 = 0; j0 < c.Lk; j0 += kKvBlock) {
      int64_t j1 = std::min(end, j0 + kKvBlock), n = 0;
      ++e.blocks;
      if (j1 <= j0)
        continue;
      for (int64_t h = h0; h < h0 + heads; ++h)
        for (int64_t i = q0; i < q1; ++i)
          for (int64_t j = j0; j < j1; ++j)
            n += keep(b, h, i, j);
      int64_t area = rows * (j1 - j0);
      if (n == 0)
        continue;
      ++(n == area ? e.blocks_full : e.blocks_partial);
      e.scores_visited += area;
    }
  };
  for (int64_t b = 0; b < c.B; ++b) {
    if (decode) {
      for (int64_t kh = 0; kh < c.Hkv; ++kh)
        task(b, kh * group, group, 0, c.Lq);
      continue;
    }
    for (int64_t h = 0; h < c.Hq; ++h)
      for (int64_t q0 = 0; q0 < c.Lq; q0 += kQBlock)
        task(b, h, 1, q0, std::min(c.Lq, q0 + kQBlock));
  }
  return e;
}

/// Runs `call` (checked against the reference with `keep`) and compares
/// the statistics of that one call with expected().
template <typename Call>
void runCounted(const Case &c, Inputs &in, Call call, const KeepFn &keep,
                bool spanEnd = false) {
  MaskSpec spec;
  spec.keepFn = keep;
  attn_reset_block_stats();
  runChecked(c, in, call, defaultScale(c), false, keep ? spec : MaskSpec{});
  attn_block_stats_t got;
  ASSERT_EQ(attn_get_block_stats(&got), ATTN_OK);
  attn_block_stats_t want =
      expected(c, keep ? keep : [](int64_t, int64_t, int64_t, int64_t) {
        return true;
      }, spanEnd);
  EXPECT_EQ(got.tasks, want.tasks);
  EXPECT_EQ(got.blocks, want.blocks);
  EXPECT_EQ(got.blocks_full, want.blocks_full);
  EXPECT_EQ(got.blocks_partial, want.blocks_partial);
  // Empty blocks are skipped after a test or never reached (outside the
  // spans); none is visited.
  EXPECT_LE(got.blocks_empty,
            want.blocks - want.blocks_full - want.blocks_partial);
  EXPECT_EQ(got.scores_dense, want.scores_dense);
  EXPECT_EQ(got.scores_visited, want.scores_visited);
}

TEST(BlockStats, DenseVisitsEveryBlockUnmasked) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 31 + c.Lk));
    runCounted(c, in, KERNEL(stats_dense), nullptr);
  }
}

TEST(BlockStats, CausalVisitsTheTriangleOnly) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 37 + c.Lk));
    runCounted(c, in, KERNEL(stats_causal),
               [&](int64_t, int64_t, int64_t i, int64_t j) {
                 return j <= i + (c.Lk - c.Lq);
               }, /*spanEnd=*/true);
  }
}

TEST(BlockStats, WindowVisitsTheBandOnly) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 41 + c.Lk));
    runCounted(c, in, KERNEL(stats_window),
               [&](int64_t, int64_t, int64_t i, int64_t j) {
                 int64_t d = i + (c.Lk - c.Lq) - j;
                 return -10 <= d && d <= 100;
               }, /*spanEnd=*/true);
  }
}

// The same masks written as mask_mods: each task's keys are bounded by
// bisection on the region's intervals, so that they visit the same blocks
// as the named masks, the last one cut at the band's end.
TEST(BlockStats, CausalModStopsAtTheDiagonal) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 59 + c.Lk));
    runCounted(c, in, KERNEL(stats_causal_mod),
               [&](int64_t, int64_t, int64_t i, int64_t j) { return j <= i; },
               /*spanEnd=*/true);
  }
}

TEST(BlockStats, WindowModVisitsTheBandOnly) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 61 + c.Lk));
    runCounted(c, in, KERNEL(stats_window_mod),
               [&](int64_t, int64_t, int64_t i, int64_t j) {
                 return j <= i + 10 && i <= j + 100;
               }, /*spanEnd=*/true);
  }
}

TEST(BlockStats, KeyPaddingStopsAtEachLength) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 43 + c.Lk));
    Buffer<int32_t> lens({c.B});
    std::mt19937 rng(5);
    for (int64_t b = 0; b < c.B; ++b)
      lens.data[b] = b == 1 ? 0 : (int32_t)(1 + rng() % c.Lk);
    attn_tensor_t l = lens.desc(ATTN_DTYPE_I32);
    runCounted(c, in, KERNEL(stats_key_padding, &l),
               [&](int64_t b, int64_t, int64_t, int64_t j) {
                 return j < lens.data[b];
               }, /*spanEnd=*/true);
  }
}

TEST(BlockStats, LongStrideSkipsStepsWithoutItsDiagonals) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 59 + c.Lk));
    runCounted(c, in, KERNEL(stats_strided),
               [&](int64_t, int64_t, int64_t i, int64_t j) {
                 int64_t d = i + (c.Lk - c.Lq) - j;
                 return ((d % 100) + 100) % 100 == 0;
               });
  }
}

TEST(BlockStats, BlockLayoutVisitsItsBlocks) {
  static const bool layout[4][6] = {{1, 0, 1, 0, 0, 1},
                                    {1, 1, 0, 0, 1, 0},
                                    {1, 0, 0, 1, 0, 0},
                                    {1, 0, 1, 0, 0, 1}};
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 47 + c.Lk));
    runCounted(c, in, KERNEL(stats_block_layout),
               [&](int64_t, int64_t, int64_t i, int64_t j) {
                 return i / 64 < 4 && j / 64 < 6 && layout[i / 64][j / 64];
               });
  }
}

TEST(BlockStats, DocumentModVisitsEachDocumentsBlocks) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 53 + c.Lk));
    // Sorted ids with documents of 1 to 150 tokens over max(q_len, kv_len).
    int64_t len = std::max(c.Lq, c.Lk);
    Buffer<int64_t> doc({c.B, len});
    std::mt19937 rng(7);
    for (int64_t b = 0; b < c.B; ++b) {
      int64_t id = 0, left = 1 + rng() % 150;
      for (int64_t t = 0; t < len; ++t, --left) {
        if (left == 0) {
          ++id;
          left = 1 + rng() % 150;
        }
        doc.at({b, t}) = id;
      }
    }
    attn_tensor_t d = doc.desc(ATTN_DTYPE_I64);
    runCounted(c, in, KERNEL(stats_document_mod, &d),
               [&](int64_t b, int64_t, int64_t i, int64_t j) {
                 return doc.at({b, i}) == doc.at({b, j});
               });
  }
}

// A graph whose rows list a key in 40, row 1 every key, the rows of the
// last (partial) query block a key in 2: a prefill task whose rows list at
// most 1/8 of its scores (the default --gather-density) gathers its edges,
// computing exactly one score per edge, in steps of up to 64 of a row's
// edges, each counted full; the others (the last block's) and decode tasks
// run the block body, skipping the blocks no row has an edge in and masking
// the others (partial).
TEST(BlockStats, SparseCsrRowsComputeTheirEdgesOnly) {
  for (const Case &c : kCases) {
    SCOPED_TRACE(name(c));
    Inputs in(c, (uint32_t)(c.Lq * 59 + c.Lk));
    CsrGraph g(c, [&](int64_t i) {
      return i == 1 ? 0 : i >= c.Lq / kQBlock * kQBlock ? 2 : 40;
    });
    attn_tensor_t offs = g.offsets.desc(ATTN_DTYPE_I32);
    attn_tensor_t colT = g.columns.desc(ATTN_DTYPE_I32);
    KeepFn keep = [&](int64_t, int64_t, int64_t i, int64_t j) {
      return g.edge(i, j);
    };
    if (c.Lq <= 4) {
      runCounted(c, in, KERNEL(stats_csr, &offs, &colT), keep);
      continue;
    }
    MaskSpec spec;
    spec.keepFn = keep;
    attn_reset_block_stats();
    runChecked(c, in, KERNEL(stats_csr, &offs, &colT), defaultScale(c), false,
               spec);
    attn_block_stats_t got, want{};
    ASSERT_EQ(attn_get_block_stats(&got), ATTN_OK);
    const int32_t *off = g.offsets.data.data();
    int64_t gathered = 0, blocked = 0;
    for (int64_t b = 0; b < c.B; ++b)
      for (int64_t h = 0; h < c.Hq; ++h)
        for (int64_t q0 = 0; q0 < c.Lq; q0 += kQBlock) {
          int64_t q1 = std::min(c.Lq, q0 + kQBlock), rows = q1 - q0;
          ++want.tasks;
          want.blocks += (c.Lk + kKvBlock - 1) / kKvBlock;
          want.scores_dense += rows * c.Lk;
          if ((off[q1] - off[q0]) * 8 <= rows * c.Lk) {
            ++gathered;
            for (int64_t i = q0; i < q1; ++i) {
              int64_t degree = off[i + 1] - off[i];
              want.blocks_full += (degree + kKvBlock - 1) / kKvBlock;
              want.scores_visited += degree;
            }
            continue;
          }
          ++blocked;
          for (int64_t j0 = 0; j0 < c.Lk; j0 += kKvBlock) {
            int64_t j1 = std::min(c.Lk, j0 + kKvBlock);
            bool any = false;
            for (int64_t i = q0; i < q1 && !any; ++i)
              for (int64_t j = j0; j < j1 && !any; ++j)
                any = g.edge(i, j);
            if (any) {
              ++want.blocks_partial;
              want.scores_visited += rows * (j1 - j0);
            } else {
              ++want.blocks_empty;
            }
          }
        }
    // The test's premise: some tasks take each body.
    ASSERT_GT(gathered, 0);
    ASSERT_GT(blocked, 0);
    EXPECT_EQ(got.tasks, want.tasks);
    EXPECT_EQ(got.blocks, want.blocks);
    EXPECT_EQ(got.blocks_full, want.blocks_full);
    EXPECT_EQ(got.blocks_partial, want.blocks_partial);
    EXPECT_EQ(got.blocks_empty, want.blocks_empty);
    EXPECT_EQ(got.scores_dense, want.scores_dense);
    EXPECT_EQ(got.scores_visited, want.scores_visited);
  }
}

TEST(BlockStats, NullOutputIsAnError) {
  EXPECT_EQ(attn_get_block_stats(nullptr), ATTN_ERR_NULL_ARGUMENT);
  EXPECT_NE(std::string(attn_last_error()).find("attn_get_block_stats"),
            std::string::npos);
}

} // namespace
