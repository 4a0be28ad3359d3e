// RUN: attn-opt %s --attn-tile="vector-width=16 vector-registers=32" --canonicalize --cse --split-input-file | FileCheck %s --implicit-check-not=attn.sdpa
// RUN: attn-opt %s --attn-tile="vector-width=0" --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=SCALAR
// RUN: attn-opt %s --attn-decompose --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=DECOMPOSE

// attn.sdpa's logsumexp result. The vector bodies keep each row's max in
// base-2 units (log2(e) folded into the scale) and its sum of 2^(s - max):
// lse = ln 2 * max + ln(sum), -inf where the sum is 0. Unsplit tasks write
// it beside their output block; split key ranges merge it with the output
// (M + log2 of the weighted sums).
// CHECK-LABEL: func.func @lse
// CHECK-DAG: %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[LN2:.+]] = arith.constant 0.693147182 : f32
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[R:.+]]:2 = scf.if %{{.+}} -> (tensor<1x8x?x32xf32>, tensor<1x8x?xf32>) {
// The split branch: parts of (acc, max, sum), then the merge.
// CHECK:   %[[P:.+]]:3 = scf.forall {{.*}} -> (tensor<1x8x?x?x32xf32>, tensor<1x8x?x?xf32>, tensor<1x8x?x?xf32>)
// CHECK-NOT: math.log
// CHECK:   %[[GMAX:.+]] = linalg.generic {{.*}} ins(%[[P]]#1 : tensor<1x8x?x?xf32>)
// CHECK:   %[[SUMS:.+]] = linalg.generic {{.*}} ins(%[[P]]#2, %{{.+}} :
// CHECK:   %[[OUT:.+]] = linalg.generic {{.*}} ins(%{{.+}}, %[[SUMS]] :
// CHECK:   %[[LSE:.+]] = linalg.generic {{.*}} ins(%[[GMAX]], %[[SUMS]] : tensor<1x8x?xf32>, tensor<1x8x?xf32>)
// CHECK:   ^bb0(%[[M:.+]]: f32, %[[S:.+]]: f32, %{{.+}}: f32):
// CHECK:     %[[ML:.+]] = arith.mulf %[[M]], %[[LN2]] : f32
// CHECK:     %[[LOG:.+]] = math.log %[[S]] : f32
// CHECK:     %[[ADD:.+]] = arith.addf %[[ML]], %[[LOG]] : f32
// CHECK:     %[[EMPTY:.+]] = arith.cmpf oeq, %[[S]], %[[ZERO]] : f32
// CHECK:     arith.select %[[EMPTY]], %[[NEGINF]], %[[ADD]] : f32
// CHECK:   scf.yield %[[OUT]], %[[LSE]]
// The unsplit branch: each task returns its output block and lse rows.
// CHECK: } else {
// CHECK:   scf.forall (%{{.+}}, %{{.+}}) in (8, %{{.+}}) shared_outs(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (tensor<1x8x?x32xf32>, tensor<1x8x?xf32>)
// CHECK:     scf.if %{{.+}} -> (tensor<1x1x?x32xf32>, tensor<1x1x?xf32>)
// CHECK:       math.log
// CHECK:     scf.forall.in_parallel
// CHECK:       tensor.parallel_insert_slice %{{.+}} : tensor<1x1x?x32xf32> into tensor<1x8x?x32xf32>
// CHECK:       tensor.parallel_insert_slice %{{.+}} : tensor<1x1x?xf32> into tensor<1x8x?xf32>
// CHECK: return %[[R]]#0, %[[R]]#1 : tensor<1x8x?x32xf32>, tensor<1x8x?xf32>

// Without vectors: the attn.online_sdpa steps are in natural units, so the
// lse is max + ln(sum).
// SCALAR-LABEL: func.func @lse
// SCALAR: %[[STATE:.+]]:3 = scf.for
// SCALAR:   attn.online_sdpa
// SCALAR: linalg.generic {{.*}} ins(%[[STATE]]#1, %[[STATE]]#2 : tensor<1x1x?xf32>, tensor<1x1x?xf32>)
// SCALAR-NEXT: ^bb0(%[[M:.+]]: f32, %[[S:.+]]: f32, %{{.+}}: f32):
// SCALAR-NEXT:   %[[LOG:.+]] = math.log %[[S]] : f32
// SCALAR-NEXT:   arith.addf %[[M]], %[[LOG]] : f32
// SCALAR: tensor.parallel_insert_slice %{{.+}} : tensor<1x1x?xf32> into tensor<1x8x?xf32>

// The reference decomposition: the row max and row sum of the scores, then
// M + ln L per row, collapsed to [batch, q_heads, q_len].
// DECOMPOSE-LABEL: func.func @lse
// DECOMPOSE: linalg.generic {{.*}} ins(%[[MAX:.+]], %[[SUM:.+]] : tensor<1x2x4x?xf32>, tensor<1x2x4x?xf32>)
// DECOMPOSE-NEXT: ^bb0(%[[M:.+]]: f32, %[[S:.+]]: f32, %{{.+}}: f32):
// DECOMPOSE-NEXT:   %[[LOG:.+]] = math.log %[[S]] : f32
// DECOMPOSE-NEXT:   %[[ADD:.+]] = arith.addf %[[M]], %[[LOG]] : f32
// DECOMPOSE-NEXT:   %[[EMPTY:.+]] = arith.cmpf oeq, %[[S]], %{{.+}} : f32
// DECOMPOSE-NEXT:   arith.select %[[EMPTY]], %{{.+}}, %[[ADD]] : f32
// DECOMPOSE: tensor.collapse_shape %{{.+}} {{\[}}[0], [1, 2], [3]] : tensor<1x2x4x?xf32> into tensor<1x8x?xf32>
func.func @lse(%q: tensor<1x8x?x32xf32>, %k: tensor<1x2x?x32xf32>,
               %v: tensor<1x2x?x32xf32>)
    -> (tensor<1x8x?x32xf32>, tensor<1x8x?xf32>) {
  %o, %l = attn.sdpa %q, %k, %v
      : tensor<1x8x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>
      -> tensor<1x8x?x32xf32>, lse tensor<1x8x?xf32>
  return %o, %l : tensor<1x8x?x32xf32>, tensor<1x8x?xf32>
}

// -----

// Without the lse result nothing of it is built: the same kernel as
// before (one shared output, no log).
// CHECK-LABEL: func.func @no_lse
// CHECK-NOT: math.log
// CHECK: scf.forall {{.*}} -> (tensor<1x8x?x32xf32>) {
// CHECK-NOT: math.log
// CHECK: return
func.func @no_lse(%q: tensor<1x8x?x32xf32>, %k: tensor<1x2x?x32xf32>,
                  %v: tensor<1x2x?x32xf32>) -> tensor<1x8x?x32xf32> {
  %o = attn.sdpa %q, %k, %v
      : tensor<1x8x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>
      -> tensor<1x8x?x32xf32>
  return %o : tensor<1x8x?x32xf32>
}
