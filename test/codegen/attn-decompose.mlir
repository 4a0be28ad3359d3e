// RUN: attn-opt %s --attn-decompose --split-input-file | FileCheck %s --implicit-check-not=attn.sdpa --implicit-check-not=attn.online_sdpa

// The reference decomposition, in order: GQA view of the query, Q Kᵀ, scale +
// mask + causal, row max from the lowest finite float, guarded exp, row sum,
// P V, guarded division, and the collapse back to [batch, q_heads, ...].

// CHECK-DAG: #[[Q5:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d5)>
// CHECK-DAG: #[[K4:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d4, d5)>
// CHECK-DAG: #[[S6:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[MASKB:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (0, 0, d3, d4)>
// CHECK-LABEL: func.func @gqa_mask_causal
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<2x8x?x64xf32>, %[[K:[a-z0-9]+]]: tensor<2x2x?x64xf32>, %[[V:[a-z0-9]+]]: tensor<2x2x?x32xf32>, %[[M:[a-z0-9]+]]: tensor<1x1x?x?xi1>
// CHECK: %[[QE:.+]] = tensor.expand_shape %[[Q]] {{\[}}[0], [1, 2], [3], [4]] output_shape [2, 2, 4, %{{.+}}, 64] : tensor<2x8x?x64xf32> into tensor<2x2x4x?x64xf32>
// CHECK: %[[S:.+]] = linalg.generic {indexing_maps = [#[[Q5]], #[[K4]], #[[S6]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[QE]], %[[K]] :
// CHECK:   arith.mulf %{{.*}}, %{{.*}} fastmath<reassoc,contract> : f32
// CHECK:   arith.addf %{{.*}}, %{{.*}} fastmath<reassoc,contract> : f32
// CHECK: %[[X:.+]] = linalg.generic {indexing_maps = [{{.*}}, #[[MASKB]], {{.*}}]{{.*}} ins(%[[S]], %[[M]] :
// CHECK:   arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK:   arith.select
// CHECK:   linalg.index 3
// CHECK:   linalg.index 4
// CHECK:   arith.cmpi sle
// CHECK: %[[LOWEST:.+]] = arith.constant -3.40282347E+38 : f32
// CHECK: %[[MAXINIT:.+]] = linalg.fill ins(%[[LOWEST]] : f32)
// CHECK: %[[MAX:.+]] = linalg.generic {{.*}} ins(%[[X]] : {{.*}}) outs(%[[MAXINIT]] :
// CHECK:   arith.maximumf
// CHECK: %[[P:.+]] = linalg.generic {{.*}} ins(%[[X]], %[[MAX]] :
// CHECK:   arith.subf
// CHECK:   arith.cmpf olt
// CHECK:   math.exp
// CHECK:   arith.select
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}} ins(%[[P]] :
// CHECK:   arith.addf
// P V runs the kv_len reduction outside v_head_dim (dims b, h, g, i, j, e).
// CHECK: %[[PV:.+]] = linalg.generic {indexing_maps = [#[[S6]], #[[K4]], #[[Q5]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%[[P]], %[[V]] :
// CHECK:   arith.mulf %{{.*}}, %{{.*}} fastmath<reassoc,contract> : f32
// CHECK:   arith.addf %{{.*}}, %{{.*}} fastmath<reassoc,contract> : f32
// CHECK: %[[O:.+]] = linalg.generic {{.*}} ins(%[[PV]], %[[SUM]] :
// CHECK:   arith.cmpf oeq
// CHECK:   arith.divf
// CHECK:   arith.select
// CHECK: %[[C:.+]] = tensor.collapse_shape %[[O]] {{\[}}[0], [1, 2], [3], [4]] : tensor<2x2x4x?x32xf32> into tensor<2x8x?x32xf32>
// CHECK: return %[[C]]
func.func @gqa_mask_causal(%q: tensor<2x8x?x64xf32>, %k: tensor<2x2x?x64xf32>,
                           %v: tensor<2x2x?x32xf32>, %m: tensor<1x1x?x?xi1>)
    -> tensor<2x8x?x32xf32> {
  %o = attn.sdpa %q, %k, %v mask %m causal
      : tensor<2x8x?x64xf32>, tensor<2x2x?x64xf32>, tensor<2x2x?x32xf32>,
        tensor<1x1x?x?xi1> -> tensor<2x8x?x32xf32>
  return %o : tensor<2x8x?x32xf32>
}

// -----

// Dynamic heads: the group size is q_heads / kv_heads at run time, and the
// default scale is 1/sqrt(head_dim) computed at run time.
// CHECK-LABEL: func.func @dynamic_heads
// CHECK: %[[G:.+]] = arith.divui
// CHECK: tensor.expand_shape {{.*}} output_shape [%{{.+}}, %{{.+}}, %[[G]], %{{.+}}, %{{.+}}]
// CHECK: math.rsqrt
// CHECK-NOT: linalg.index
// CHECK: tensor.collapse_shape
func.func @dynamic_heads(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                         %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.sdpa %q, %k, %v
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// -----

// An additive per-head bias is viewed per [kv_heads, group] too, and added.
// CHECK-LABEL: func.func @bias_per_head
// CHECK: %[[BE:.+]] = tensor.expand_shape %{{.+}} {{\[}}[0], [1, 2], [3], [4]] {{.*}} : tensor<1x4x8x8xf32> into tensor<1x2x2x8x8xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[BE]] :
// CHECK:   arith.mulf
// CHECK-NEXT: arith.addf
func.func @bias_per_head(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>,
                         %b: tensor<1x4x8x8xf32>) -> tensor<1x4x8x16xf32> {
  %o = attn.sdpa %q, %k, %k mask %b {scale = 0.5 : f32}
      : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
        tensor<1x4x8x8xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

// One online-softmax step: scores of the block, the block's row max, then
// one op that updates the running max in place and computes the rescale
// factor alpha = exp(max - new_max), P = exp(X - new_max), sum and acc
// rescaled by alpha in place, then P V added to the accumulator.
// CHECK-LABEL: func.func @online_step
// CHECK-SAME: %[[Q:[a-z0-9]+]]: tensor<1x2x8x16xf32>, %[[K:[a-z0-9]+]]: tensor<1x2x?x16xf32>, %[[ACC:[a-z0-9]+]]: tensor<1x2x8x16xf32>, %[[MAX:[a-z0-9]+]]: tensor<1x2x8xf32>, %[[SUM:[a-z0-9]+]]: tensor<1x2x8xf32>, %[[SHIFT:[a-z0-9]+]]: index
// CHECK-DAG: %[[ACCE:.+]] = tensor.expand_shape %[[ACC]]
// CHECK-DAG: %[[MAXE:.+]] = tensor.expand_shape %[[MAX]]
// CHECK-DAG: %[[SUME:.+]] = tensor.expand_shape %[[SUM]]
// CHECK: %[[S:.+]] = linalg.generic {{.*}} ins(%{{.+}}, %[[K]] :
// CHECK: %[[X:.+]] = linalg.generic {{.*}} ins(%[[S]] :
// CHECK:   arith.addi %{{.+}}, %[[SHIFT]]
// CHECK:   arith.cmpi sle
// CHECK: %[[BMAX:.+]] = linalg.generic {{.*}} ins(%[[X]] :
// CHECK:   arith.maximumf
// CHECK: %[[MA:.+]]:2 = linalg.generic {{.*}} ins(%[[BMAX]] : {{.*}}) outs(%[[MAXE]], %{{.+}} :
// CHECK:   %[[NEW:.+]] = arith.maximumf
// CHECK:   arith.subf %{{.+}}, %[[NEW]]
// CHECK:   math.exp
// CHECK: %[[P:.+]] = linalg.generic {{.*}} ins(%[[X]], %[[MA]]#0 :
// CHECK: %[[SSUM:.+]] = linalg.generic {{.*}} ins(%[[MA]]#1 : {{.*}}) outs(%[[SUME]] :
// CHECK: %[[NSUM:.+]] = linalg.generic {{.*}} ins(%[[P]] : {{.*}}) outs(%[[SSUM]] :
// CHECK: %[[SACC:.+]] = linalg.generic {{.*}} ins(%[[MA]]#1 : {{.*}}) outs(%[[ACCE]] :
// CHECK: %[[NACC:.+]] = linalg.generic {{.*}} ins(%[[P]], %{{.+}} : {{.*}}) outs(%[[SACC]] :
// CHECK-DAG: %[[RA:.+]] = tensor.collapse_shape %[[NACC]]
// CHECK-DAG: %[[RM:.+]] = tensor.collapse_shape %[[MA]]#0
// CHECK-DAG: %[[RS:.+]] = tensor.collapse_shape %[[NSUM]]
// CHECK: return %[[RA]], %[[RM]], %[[RS]]
func.func @online_step(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x?x16xf32>,
                       %acc: tensor<1x2x8x16xf32>, %max: tensor<1x2x8xf32>,
                       %sum: tensor<1x2x8xf32>, %shift: index)
    -> (tensor<1x2x8x16xf32>, tensor<1x2x8xf32>, tensor<1x2x8xf32>) {
  %a, %b, %c = attn.online_sdpa %q, %k, %k causal_shift %shift
      acc(%acc, %max, %sum)
      : tensor<1x2x8x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>,
        tensor<1x2x8x16xf32>, tensor<1x2x8xf32>, tensor<1x2x8xf32>
  return %a, %b, %c : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>, tensor<1x2x8xf32>
}

// -----

// mask_mod and score_mod are inlined into the scores' body, in the op's
// order: scale, score_mod, mask_mod, causal. h is the query head, kv_head *
// group + g; captures are read from the body.
// CHECK-LABEL: func.func @mods_gqa
// CHECK-SAME: %[[SL:[a-z0-9]+]]: tensor<8xf32>
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: %[[X:.+]] = arith.mulf %{{.+}}, %{{.+}} : f32
// CHECK: %[[KVH:.+]] = linalg.index 1 : index
// CHECK: %[[G:.+]] = linalg.index 2 : index
// CHECK: %[[HB:.+]] = arith.muli %[[KVH]], %c4 : index
// CHECK: %[[H:.+]] = arith.addi %[[HB]], %[[G]] : index
// CHECK: %[[M:.+]] = tensor.extract %[[SL]][%[[H]]] : tensor<8xf32>
// CHECK: %[[Y:.+]] = arith.addf %[[X]], %[[M]] : f32
// CHECK: %[[KEEP:.+]] = arith.cmpi ne, %[[H]], %c1 : index
// CHECK: %[[Z:.+]] = arith.select %[[KEEP]], %[[Y]], %{{.+}} : f32
// CHECK: %[[VIS:.+]] = arith.cmpi sle
// CHECK: arith.select %[[VIS]], %[[Z]], %{{.+}} : f32
func.func @mods_gqa(%q: tensor<2x8x?x64xf32>, %k: tensor<2x2x?x64xf32>,
                    %v: tensor<2x2x?x64xf32>, %slopes: tensor<8xf32>)
    -> tensor<2x8x?x64xf32> {
  %o = attn.sdpa %q, %k, %v causal captures(%slopes : tensor<8xf32>)
      : tensor<2x8x?x64xf32>, tensor<2x2x?x64xf32>, tensor<2x2x?x64xf32>
      -> tensor<2x8x?x64xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index, %sl: tensor<8xf32>):
        %c1 = arith.constant 1 : index
        %keep = arith.cmpi ne, %h, %c1 : index
        attn.yield %keep : i1
      } score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %qi: index, %ki: index,
           %sl: tensor<8xf32>):
        %m = tensor.extract %sl[%h] : tensor<8xf32>
        %r = arith.addf %s, %m : f32
        attn.yield %r : f32
      }
  return %o : tensor<2x8x?x64xf32>
}

// -----

// Named masks are inlined after the mods, as their keep-predicates: key
// padding reads the batch's length (sign-extended), top-left causal
// compares kv_idx with q_idx itself.
// CHECK-LABEL: func.func @named_masks
// CHECK-SAME: %[[LENS:[a-z0-9]+]]: tensor<2xi32>
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: %[[B:.+]] = linalg.index 0 : index
// CHECK: %[[QI:.+]] = linalg.index 3 : index
// CHECK: %[[KI:.+]] = linalg.index 4 : index
// CHECK: %[[L:.+]] = tensor.extract %[[LENS]][%[[B]]] : tensor<2xi32>
// CHECK: %[[LI:.+]] = arith.index_cast %[[L]] : i32 to index
// CHECK: %[[PAD:.+]] = arith.cmpi slt, %[[KI]], %[[LI]] : index
// CHECK: %[[CAUSAL:.+]] = arith.cmpi sle, %[[KI]], %[[QI]] : index
// CHECK: %[[KEEP:.+]] = arith.andi %[[PAD]], %[[CAUSAL]] : i1
// CHECK: arith.select %[[KEEP]], %{{.+}}, %{{.+}} : f32
func.func @named_masks(%q: tensor<2x2x?x16xf32>, %k: tensor<2x2x?x16xf32>,
                       %v: tensor<2x2x?x16xf32>, %lens: tensor<2xi32>)
    -> tensor<2x2x?x16xf32> {
  %o = attn.sdpa %q, %k, %v
      masks [#attn.key_padding<lengths = 0>, #attn.causal<top_left>]
      captures(%lens : tensor<2xi32>)
      : tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32>
      -> tensor<2x2x?x16xf32>
  return %o : tensor<2x2x?x16xf32>
}
