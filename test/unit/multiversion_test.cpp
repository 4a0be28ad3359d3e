//===- multiversion_test.cpp - Run-time version choice ---------------------===//
//
// The kernel has versions for x86-64-v4 and Zen 4 only. With ATTN_CPU_LIMIT
// at avx2 (or on a CPU without AVX-512) its entry point must fail cleanly:
// ATTN_ERR_UNSUPPORTED_CPU, the kernel's name in attn_last_error(), the
// output untouched. On an AVX-512 CPU without the limit it runs.
//
//===----------------------------------------------------------------------===//
#include "multiversion_test_kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

TEST(Multiversion, PicksAVersionOrSaysTheCpuIsUnsupported) {
  const int64_t L = 5;
  std::vector<float> q(2 * L * 32, 0.25f), k(q.size(), 0.5f), v(q.size()),
      out(q.size(), -7.0f);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = (float)(i % 32);
  int64_t shape[] = {1, 2, L, 32};
  attn_tensor_t tq, tk, tv, to;
  attn_tensor_contiguous(&tq, q.data(), ATTN_DTYPE_F32, 4, shape);
  attn_tensor_contiguous(&tk, k.data(), ATTN_DTYPE_F32, 4, shape);
  attn_tensor_contiguous(&tv, v.data(), ATTN_DTYPE_F32, 4, shape);
  attn_tensor_contiguous(&to, out.data(), ATTN_DTYPE_F32, 4, shape);
  attn_clear_error();
  attn_status_t st = small(&tq, &tk, &tv, &to);
  if (!(attn_cpu_features() & ATTN_CPU_AVX512)) {
    EXPECT_EQ(st, ATTN_ERR_UNSUPPORTED_CPU);
    EXPECT_NE(std::string(attn_last_error()).find("small: this CPU lacks"),
              std::string::npos)
        << attn_last_error();
    for (float x : out)
      ASSERT_EQ(x, -7.0f);
    return;
  }
  ASSERT_EQ(st, ATTN_OK) << attn_last_error();
  // Equal keys: every output row is the mean of the value rows, (i % 32).
  for (size_t i = 0; i < out.size(); ++i)
    ASSERT_NEAR(out[i], (float)(i % 32), 1e-4) << i;
}

} // namespace
