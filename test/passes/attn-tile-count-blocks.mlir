// attn-tile{count-blocks}: the vector kernels count each task's key range
// once and each step as it is classed (attn_count_blocks(kind, blocks,
// scores): 0 the task's range, 1 empty, 2 partial, 3 full), for the
// runtime's attn_get_block_stats. Numbers: block_stats_test.cpp.
// RUN: attn-opt %s --attn-tile="vector-width=16 count-blocks=1" | FileCheck %s
// RUN: attn-opt %s --attn-tile="vector-width=16" | FileCheck %s --check-prefix=OFF
// RUN: not attn-opt %s --pass-pipeline="builtin.module(func.func(attn-tile{vector-width=16 count-blocks=1}))" 2>&1 | FileCheck %s --check-prefix=NESTED

// CHECK: func.func private @attn_count_blocks(i64, i64, i64)
// CHECK-LABEL: func.func @padded
// The task's whole range first (kind 0), then per step: empty (1), or
// full (3) and partial (2) bodies.
// CHECK: %[[K0:.*]] = arith.constant 0 : i64
// CHECK: call @attn_count_blocks(%[[K0]],
// CHECK: scf.for
// CHECK: scf.if
// CHECK: %[[K1:.*]] = arith.constant 1 : i64
// CHECK: call @attn_count_blocks(%[[K1]],
// CHECK: scf.if
// CHECK: %[[K3:.*]] = arith.constant 3 : i64
// CHECK: call @attn_count_blocks(%[[K3]],
// CHECK: %[[K2:.*]] = arith.constant 2 : i64
// CHECK: call @attn_count_blocks(%[[K2]],
// OFF-NOT: attn_count_blocks
// NESTED: count-blocks needs the pass on a module
func.func @padded(%q: tensor<1x2x128x64xf32>, %k: tensor<1x2x256x64xf32>,
                  %v: tensor<1x2x256x64xf32>, %lens: tensor<1xi32>)
    -> tensor<1x2x128x64xf32> {
  %o = attn.sdpa %q, %k, %v masks [#attn.key_padding<lengths = 0>]
      captures(%lens : tensor<1xi32>)
      : tensor<1x2x128x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>
      -> tensor<1x2x128x64xf32>
  return %o : tensor<1x2x128x64xf32>
}
