// RUN: attn-opt %s --attn-expand-variants | FileCheck %s --implicit-check-not=attn.luong

// The dot score: attn.sdpa over the source states as keys and values, not
// scaled.
// CHECK-LABEL: func.func @dot(
// CHECK-SAME: %[[HT:[a-z0-9]+]]: tensor<?x1x?x6xf32>, %[[HS:[a-z0-9]+]]: tensor<?x1x?x6xf32>, %[[M:[a-z0-9]+]]: tensor<?x1x1x?xi1>
// CHECK: %[[C:.+]] = attn.sdpa %[[HT]], %[[HS]], %[[HS]] mask %[[M]] {scale = 1.000000e+00 : f32} : tensor<?x1x?x6xf32>, tensor<?x1x?x6xf32>, tensor<?x1x?x6xf32>, tensor<?x1x1x?xi1> -> tensor<?x1x?x6xf32>
// CHECK: return %[[C]]
func.func @dot(%ht: tensor<?x1x?x6xf32>, %hs: tensor<?x1x?x6xf32>,
               %m: tensor<?x1x1x?xi1>) -> tensor<?x1x?x6xf32> {
  %c = attn.luong %ht, %hs mask(%m : tensor<?x1x1x?xi1>)
      : tensor<?x1x?x6xf32>, tensor<?x1x?x6xf32> -> tensor<?x1x?x6xf32>
  return %c : tensor<?x1x?x6xf32>
}

// The general score folds W_a into the query; the op's discardable
// attributes go to the attn.sdpa.
// CHECK-LABEL: func.func @general(
// CHECK-SAME: %[[HT:[a-z0-9]+]]: tensor<2x1x3x8xf32>, %[[HS:[a-z0-9]+]]: tensor<2x1x5x6xf32>, %[[W:[a-z0-9]+]]: tensor<8x6xf32>
// CHECK: %[[P:.+]] = attn.project %[[HT]], %[[W]] : tensor<2x1x3x8xf32>, tensor<8x6xf32> -> tensor<2x1x3x6xf32>
// CHECK: %[[C:.+]] = attn.sdpa %[[P]], %[[HS]], %[[HS]] {attn.name = "align", scale = 1.000000e+00 : f32} : tensor<2x1x3x6xf32>, tensor<2x1x5x6xf32>, tensor<2x1x5x6xf32> -> tensor<2x1x3x6xf32>
// CHECK: return %[[C]]
func.func @general(%ht: tensor<2x1x3x8xf32>, %hs: tensor<2x1x5x6xf32>,
                   %w: tensor<8x6xf32>) -> tensor<2x1x3x6xf32> {
  %c = attn.luong %ht, %hs weight(%w : tensor<8x6xf32>) {attn.name = "align"}
      : tensor<2x1x3x8xf32>, tensor<2x1x5x6xf32> -> tensor<2x1x3x6xf32>
  return %c : tensor<2x1x3x6xf32>
}

// A weight per query head gives the folded query those heads; GQA over two
// source heads, in bf16.
// CHECK-LABEL: func.func @general_heads(
// CHECK: %[[P:.+]] = attn.project %{{.*}}, %{{.*}} : tensor<1x8x4x32xbf16>, tensor<8x32x16xbf16> -> tensor<1x8x4x16xbf16>
// CHECK: attn.sdpa %[[P]], %{{.*}}, %{{.*}} {scale = 1.000000e+00 : f32} : tensor<1x8x4x16xbf16>, tensor<1x2x6x16xbf16>, tensor<1x2x6x16xbf16> -> tensor<1x8x4x16xf32>
func.func @general_heads(%ht: tensor<1x8x4x32xbf16>, %hs: tensor<1x2x6x16xbf16>,
                         %w: tensor<8x32x16xbf16>) -> tensor<1x8x4x16xf32> {
  %c = attn.luong %ht, %hs weight(%w : tensor<8x32x16xbf16>)
      : tensor<1x8x4x32xbf16>, tensor<1x2x6x16xbf16> -> tensor<1x8x4x16xf32>
  return %c : tensor<1x8x4x16xf32>
}

// Other attn ops are left alone.
// CHECK-LABEL: func.func @plain(
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} causal :
func.func @plain(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %o = attn.sdpa %q, %q, %q causal
      : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
      -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}
