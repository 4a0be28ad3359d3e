// RUN: attn-opt %s --attn-tile --split-input-file | FileCheck %s --implicit-check-not=attn.sdpa
// RUN: attn-opt %s --attn-tile="q-block=32 kv-block=128" --split-input-file | FileCheck %s --check-prefix=SIZES
// RUN: attn-opt %s --attn-tile --attn-decompose --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=NOSQUARE

// GPT-2's causal attention: a parallel loop over (batch, heads, query
// blocks), and in it a loop over key blocks carrying (acc, max, sum).
// CHECK-LABEL: func.func @causal
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<1x12x?x64xf32>, %[[K:[a-z0-9]+]]: tensor<1x12x?x64xf32>, %[[V:[a-z0-9]+]]: tensor<1x12x?x64xf32>
// CHECK-DAG: %[[C64:.+]] = arith.constant 64 : index
// CHECK-DAG: %[[LQ:.+]] = tensor.dim %[[Q]], %c2
// CHECK-DAG: %[[LK:.+]] = tensor.dim %[[K]], %c2
// CHECK: %[[NQB:.+]] = arith.ceildivui %[[LQ]], %[[C64]]
// CHECK: %[[DIAG:.+]] = arith.subi %[[LK]], %[[LQ]]
// CHECK: %[[OUT:.+]] = scf.forall (%[[B:.+]], %[[H:.+]], %[[QB:.+]]) in (%c1, %c12, %[[NQB]]) shared_outs(%[[SO:.+]] = %{{.+}}) -> (tensor<1x12x?x64xf32>)
// CHECK:   %[[Q0:.+]] = arith.muli %[[QB]], %[[C64]]
// CHECK:   %[[ROWS:.+]] = arith.minsi %[[C64]], %{{.+}}
// Causal: key blocks past the diagonal are never visited.
// CHECK:   %[[END:.+]] = arith.addi %{{.+}}, %[[DIAG]]
// CHECK:   %[[CLAMP:.+]] = arith.minsi %[[LK]], %[[END]]
// CHECK:   %[[KVEND:.+]] = arith.maxsi %{{c0[_0-9]*}}, %[[CLAMP]]
// CHECK:   %[[QT:.+]] = tensor.extract_slice %[[Q]][%[[B]], %[[H]], %[[Q0]], 0] [1, 1, %[[ROWS]], 64] [1, 1, 1, 1]
// CHECK:   %[[ACC0:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<1x1x?x64xf32>)
// CHECK:   %[[MAX0:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<1x1x?xf32>)
// CHECK:   %[[SUM0:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<1x1x?xf32>)
// CHECK:   %[[ST:.+]]:3 = scf.for %[[J0:.+]] = %{{c0[_0-9]*}} to %[[KVEND]] step %{{.+}} iter_args(%[[ACC:.+]] = %[[ACC0]], %[[MAX:.+]] = %[[MAX0]], %[[SUM:.+]] = %[[SUM0]]) -> (tensor<1x1x?x64xf32>, tensor<1x1x?xf32>, tensor<1x1x?xf32>)
// CHECK:     %[[KT:.+]] = tensor.extract_slice %[[K]][%[[B]], %[[KVH:.+]], %[[J0]], 0] [1, 1, %[[COLS:.+]], 64]
// CHECK:     %[[VT:.+]] = tensor.extract_slice %[[V]][%[[B]], %[[KVH]], %[[J0]], 0] [1, 1, %[[COLS]], 64]
// CHECK:     %[[SHIFT:.+]] = arith.subi %{{.+}}, %[[J0]]
// CHECK:     %[[NA:.+]], %[[NM:.+]], %[[NS:.+]] = attn.online_sdpa %[[QT]], %[[KT]], %[[VT]] causal_shift %[[SHIFT]] acc(%[[ACC]], %[[MAX]], %[[SUM]])
// CHECK:     scf.yield %[[NA]], %[[NM]], %[[NS]]
// CHECK:   %[[O:.+]] = linalg.generic {{.*}} ins(%[[ST]]#0, %[[ST]]#2 :
// CHECK:     arith.divf
// CHECK:   scf.forall.in_parallel
// CHECK:     tensor.parallel_insert_slice %[[O]] into %[[SO]][%[[B]], %[[H]], %[[Q0]], 0] [1, 1, %[[ROWS]], 64]
// CHECK: return %[[OUT]]
// SIZES-LABEL: func.func @causal
// SIZES-DAG: arith.constant 32 : index
// SIZES-DAG: arith.constant 128 : index
// No [q_len, kv_len] tensor after decomposition: the only score tensors are
// [rows, cols] blocks, rows = min(q_len - q0, 64), cols = min(end - j0, 64).
// NOSQUARE-LABEL: func.func @causal
// NOSQUARE-NOT: x?x?xf32>
// NOSQUARE: %[[ROWS:.+]] = arith.minsi %{{.+}}, %c64
// NOSQUARE-NOT: x?x?xf32>
// NOSQUARE: scf.for
// NOSQUARE-NOT: x?x?xf32>
// NOSQUARE: %[[COLS:.+]] = arith.minsi %{{.+}}, %c64
// NOSQUARE-NOT: x?x?xf32>
// NOSQUARE: tensor.empty(%[[ROWS]], %[[COLS]]) : tensor<1x1x1x?x?xf32>
// NOSQUARE-NOT: tensor.empty({{.*}}) : tensor<{{.*}}x?x?xf32>
// NOSQUARE: scf.yield
// NOSQUARE-NOT: x?x?xf32>
// NOSQUARE: return
func.func @causal(%q: tensor<1x12x?x64xf32>, %k: tensor<1x12x?x64xf32>,
                  %v: tensor<1x12x?x64xf32>) -> tensor<1x12x?x64xf32> {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<1x12x?x64xf32>, tensor<1x12x?x64xf32>, tensor<1x12x?x64xf32>
      -> tensor<1x12x?x64xf32>
  return %o : tensor<1x12x?x64xf32>
}

// -----

// GQA: query head h reads KV head h / (q_heads / kv_heads) in place. Masks
// are sliced per block; a broadcast (static 1) dim stays at 0. Without
// causal, the key loop runs to kv_len and no shift is passed.
// CHECK-LABEL: func.func @gqa_mask
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<2x8x?x64xf32>, %[[K:[a-z0-9]+]]: tensor<2x2x?x64xf32>, %[[V:[a-z0-9]+]]: tensor<2x2x?x32xf32>, %[[M:[a-z0-9]+]]: tensor<1x8x?x?xf32>
// CHECK: %[[LK:.+]] = tensor.dim %[[K]], %c2
// CHECK: %[[G:.+]] = arith.divui %c8, %{{.+}}
// CHECK: scf.forall (%[[B:.+]], %[[H:.+]], %[[QB:.+]]) in (%c2, %c8, %{{.+}})
// CHECK:   %[[KVH:.+]] = arith.divui %[[H]], %{{.+}}
// CHECK:   scf.for %[[J0:.+]] = %{{c0[_0-9]*}} to %[[LK]] step
// CHECK:     tensor.extract_slice %[[K]][%[[B]], %[[KVH]], %[[J0]], 0]
// CHECK:     tensor.extract_slice %[[V]][%[[B]], %[[KVH]], %[[J0]], 0] [1, 1, %{{.+}}, 32]
// CHECK:     %[[MT:.+]] = tensor.extract_slice %[[M]][0, %[[H]], %{{.+}}, %[[J0]]]
// CHECK:     attn.online_sdpa %{{.+}}, %{{.+}}, %{{.+}} mask(%[[MT]] : tensor<1x1x?x?xf32>) acc(
// CHECK-SAME: {scale = 1.250000e-01 : f32}
func.func @gqa_mask(%q: tensor<2x8x?x64xf32>, %k: tensor<2x2x?x64xf32>,
                    %v: tensor<2x2x?x32xf32>, %m: tensor<1x8x?x?xf32>)
    -> tensor<2x8x?x32xf32> {
  %o = attn.sdpa %q, %k, %v mask %m {scale = 0.125 : f32}
      : tensor<2x8x?x64xf32>, tensor<2x2x?x64xf32>, tensor<2x2x?x32xf32>,
        tensor<1x8x?x?xf32> -> tensor<2x8x?x32xf32>
  return %o : tensor<2x8x?x32xf32>
}
