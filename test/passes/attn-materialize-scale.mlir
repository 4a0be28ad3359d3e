// RUN: attn-opt %s --attn-materialize-scale | FileCheck %s

// CHECK-LABEL: func.func @static_head_dim
// CHECK: attn.sdpa {{.*}} {scale = 1.250000e-01 : f32}
func.func @static_head_dim(%q: tensor<1x2x?x64xf32>) -> tensor<1x2x?x64xf32> {
  %o = attn.sdpa %q, %q, %q
      : tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>
      -> tensor<1x2x?x64xf32>
  return %o : tensor<1x2x?x64xf32>
}

// An explicit scale is kept.
// CHECK-LABEL: func.func @explicit
// CHECK: attn.sdpa {{.*}} causal {scale = 5.000000e-01 : f32}
func.func @explicit(%q: tensor<1x2x4x64xf32>) -> tensor<1x2x4x64xf32> {
  %o = attn.sdpa %q, %q, %q causal {scale = 0.5 : f32}
      : tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32>, tensor<1x2x4x64xf32>
      -> tensor<1x2x4x64xf32>
  return %o : tensor<1x2x4x64xf32>
}

// A dynamic head_dim keeps the implicit default.
// CHECK-LABEL: func.func @dynamic_head_dim
// CHECK: attn.sdpa
// CHECK-NOT: scale
// CHECK: return
func.func @dynamic_head_dim(%q: tensor<1x2x4x?xf32>) -> tensor<1x2x4x?xf32> {
  %o = attn.sdpa %q, %q, %q
      : tensor<1x2x4x?xf32>, tensor<1x2x4x?xf32>, tensor<1x2x4x?xf32>
      -> tensor<1x2x4x?xf32>
  return %o : tensor<1x2x4x?xf32>
}
