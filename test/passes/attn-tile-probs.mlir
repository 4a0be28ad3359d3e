// RUN: attn-opt %s --attn-tile="vector-width=16 vector-registers=32" | FileCheck %s --check-prefix=TILE
// RUN: attn-opt %s --attn-decompose --canonicalize --cse | FileCheck %s

// attn.sdpa's attention weights. The tiled bodies do not write them yet, so
// attn-tile leaves an op that returns them (and only that one) to
// attn-decompose.
// TILE-LABEL: func.func @probs
// TILE: attn.sdpa {{.*}} probs tensor<1x2x?x?xf32>
// TILE-NOT: attn.sdpa
// TILE: scf.forall

// The reference: p = exp(x - max) / sum, 0 where sum = 0 (a row that sees
// no key), written at [batch, q_heads, q_len, kv_len] from the same
// exponentials that weight V.
// CHECK-LABEL: func.func @probs
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[E:.+]] = linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<1x1x2x?x?xf32>, tensor<1x1x2x?xf32>)
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.subf
// CHECK: math.exp
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}} ins(%[[E]] : tensor<1x1x2x?x?xf32>)
// CHECK: %[[P:.+]] = linalg.generic {{.*}} ins(%[[E]], %[[SUM]] : tensor<1x1x2x?x?xf32>, tensor<1x1x2x?xf32>)
// CHECK-NEXT: ^bb0(%[[X:.+]]: f32, %[[S:.+]]: f32,
// CHECK-NEXT:   %[[Z:.+]] = arith.cmpf oeq, %[[S]], %[[ZERO]] : f32
// CHECK-NEXT:   %[[Q:.+]] = arith.divf %[[X]], %[[S]] : f32
// CHECK-NEXT:   %[[R:.+]] = arith.select %[[Z]], %[[ZERO]], %[[Q]] : f32
// CHECK-NEXT:   linalg.yield %[[R]] : f32
// CHECK: tensor.collapse_shape %[[P]] {{.*}} into tensor<1x2x?x?xf32>
func.func @probs(%q: tensor<1x2x?x16xf32>, %k: tensor<1x1x?x16xf32>,
                 %v: tensor<1x1x?x16xf32>)
    -> (tensor<1x2x?x16xf32>, tensor<1x2x?x?xf32>, tensor<1x2x?x16xf32>) {
  %o, %p = attn.sdpa %q, %k, %v causal
      : tensor<1x2x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>
      -> tensor<1x2x?x16xf32>, probs tensor<1x2x?x?xf32>
  %o2 = attn.sdpa %q, %k, %v causal
      : tensor<1x2x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>
      -> tensor<1x2x?x16xf32>
  return %o, %p, %o2
      : tensor<1x2x?x16xf32>, tensor<1x2x?x?xf32>, tensor<1x2x?x16xf32>
}
