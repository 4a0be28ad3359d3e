// RUN: attn-opt %s | FileCheck %s
// RUN: attn-opt %s | attn-opt | FileCheck %s
// RUN: attn-opt %s -mlir-print-op-generic | attn-opt | FileCheck %s

// CHECK-LABEL: func.func @plain
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x12x128x64xf32>, tensor<1x12x128x64xf32>, tensor<1x12x128x64xf32> -> tensor<1x12x128x64xf32>
func.func @plain(%q: tensor<1x12x128x64xf32>, %k: tensor<1x12x128x64xf32>,
                 %v: tensor<1x12x128x64xf32>) -> tensor<1x12x128x64xf32> {
  %o = attn.sdpa %q, %k, %v
      : tensor<1x12x128x64xf32>, tensor<1x12x128x64xf32>,
        tensor<1x12x128x64xf32> -> tensor<1x12x128x64xf32>
  return %o : tensor<1x12x128x64xf32>
}

// CHECK-LABEL: func.func @causal_scale_dynamic
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} causal {scale = 1.250000e-01 : f32} : tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32> -> tensor<?x12x?x64xf32>
func.func @causal_scale_dynamic(%q: tensor<?x12x?x64xf32>,
                                %k: tensor<?x12x?x64xf32>,
                                %v: tensor<?x12x?x64xf32>)
    -> tensor<?x12x?x64xf32> {
  %o = attn.sdpa %q, %k, %v causal {scale = 0.125 : f32}
      : tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>
      -> tensor<?x12x?x64xf32>
  return %o : tensor<?x12x?x64xf32>
}

// GQA (8 over 2), MQA (8 over 1), a v_head_dim unlike head_dim.
// CHECK-LABEL: func.func @gqa_mqa
// CHECK: attn.sdpa {{.*}} : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x40xf32> -> tensor<2x8x16x40xf32>
// CHECK: attn.sdpa {{.*}} : tensor<2x8x16x64xf32>, tensor<2x1x32x64xf32>, tensor<2x1x32x64xf32> -> tensor<2x8x16x64xf32>
func.func @gqa_mqa(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>,
                   %v: tensor<2x2x32x40xf32>, %k1: tensor<2x1x32x64xf32>,
                   %v1: tensor<2x1x32x64xf32>)
    -> (tensor<2x8x16x40xf32>, tensor<2x8x16x64xf32>) {
  %a = attn.sdpa %q, %k, %v
      : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x40xf32>
      -> tensor<2x8x16x40xf32>
  %b = attn.sdpa %q, %k1, %v1
      : tensor<2x8x16x64xf32>, tensor<2x1x32x64xf32>, tensor<2x1x32x64xf32>
      -> tensor<2x8x16x64xf32>
  return %a, %b : tensor<2x8x16x40xf32>, tensor<2x8x16x64xf32>
}

// Masks: i1 keep-mask broadcast over batch and heads, additive f32 bias per
// head, a rank-2 mask, and a mask together with causal.
// CHECK-LABEL: func.func @masks
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} : tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>, tensor<1x1x?x?xi1> -> tensor<2x4x?x32xf32>
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} causal : {{.*}}, tensor<2x4x?x?xf32> -> tensor<2x4x?x32xf32>
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} : {{.*}}, tensor<?x?xf32> -> tensor<2x4x?x32xf32>
func.func @masks(%q: tensor<2x4x?x32xf32>, %k: tensor<2x4x?x32xf32>,
                 %v: tensor<2x4x?x32xf32>, %keep: tensor<1x1x?x?xi1>,
                 %bias: tensor<2x4x?x?xf32>, %bias2: tensor<?x?xf32>)
    -> (tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>) {
  %a = attn.sdpa %q, %k, %v mask %keep
      : tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>,
        tensor<1x1x?x?xi1> -> tensor<2x4x?x32xf32>
  %b = attn.sdpa %q, %k, %v mask %bias causal
      : tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>,
        tensor<2x4x?x?xf32> -> tensor<2x4x?x32xf32>
  %c = attn.sdpa %q, %k, %v mask %bias2
      : tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>,
        tensor<?x?xf32> -> tensor<2x4x?x32xf32>
  return %a, %b, %c
      : tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>
}

// Masks broadcast in any dim of size 1, as PyTorch's attn_mask does: key
// padding [batch, 1, 1, kv_len], and a rank-2 bias with one term per row.
// CHECK-LABEL: func.func @broadcast_masks
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} : {{.*}}, tensor<2x1x1x?xi1> -> tensor<2x4x?x32xf32>
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} causal : {{.*}}, tensor<?x1xf32> -> tensor<2x4x?x32xf32>
func.func @broadcast_masks(%q: tensor<2x4x?x32xf32>, %k: tensor<2x4x?x32xf32>,
                           %v: tensor<2x4x?x32xf32>, %pad: tensor<2x1x1x?xi1>,
                           %rows: tensor<?x1xf32>)
    -> (tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>) {
  %a = attn.sdpa %q, %k, %v mask %pad
      : tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>,
        tensor<2x1x1x?xi1> -> tensor<2x4x?x32xf32>
  %b = attn.sdpa %q, %k, %v mask %rows causal
      : tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>,
        tensor<?x1xf32> -> tensor<2x4x?x32xf32>
  return %a, %b : tensor<2x4x?x32xf32>, tensor<2x4x?x32xf32>
}

// Cross-attention: q_len differs from kv_len.
// CHECK-LABEL: func.func @cross
// CHECK: attn.sdpa {{.*}} : tensor<1x8x7x64xf32>, tensor<1x8x1000x64xf32>, tensor<1x8x1000x64xf32> -> tensor<1x8x7x64xf32>
func.func @cross(%q: tensor<1x8x7x64xf32>, %k: tensor<1x8x1000x64xf32>,
                 %v: tensor<1x8x1000x64xf32>) -> tensor<1x8x7x64xf32> {
  %o = attn.sdpa %q, %k, %v
      : tensor<1x8x7x64xf32>, tensor<1x8x1000x64xf32>, tensor<1x8x1000x64xf32>
      -> tensor<1x8x7x64xf32>
  return %o : tensor<1x8x7x64xf32>
}

// One KV block of online-softmax attention, as attn-tile produces it.
// CHECK-LABEL: func.func @online_block
// CHECK: %{{.+}}, %{{.+}}, %{{.+}} = attn.online_sdpa %{{.+}}, %{{.+}}, %{{.+}} mask(%{{.+}} : tensor<1x1x64x?xi1>) causal_shift %{{.+}} acc(%{{.+}}, %{{.+}}, %{{.+}}) {scale = 1.250000e-01 : f32} : tensor<1x4x64x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x4x64x64xf32>, tensor<1x4x64xf32>, tensor<1x4x64xf32>
// CHECK: attn.online_sdpa %{{.+}}, %{{.+}}, %{{.+}} acc(
func.func @online_block(%q: tensor<1x4x64x64xf32>, %k: tensor<1x2x?x64xf32>,
                        %m: tensor<1x1x64x?xi1>, %acc: tensor<1x4x64x64xf32>,
                        %max: tensor<1x4x64xf32>, %sum: tensor<1x4x64xf32>,
                        %shift: index)
    -> (tensor<1x4x64x64xf32>, tensor<1x4x64xf32>, tensor<1x4x64xf32>) {
  %a, %b, %c = attn.online_sdpa %q, %k, %k mask(%m : tensor<1x1x64x?xi1>)
      causal_shift %shift acc(%acc, %max, %sum) {scale = 0.125 : f32}
      : tensor<1x4x64x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>,
        tensor<1x4x64x64xf32>, tensor<1x4x64xf32>, tensor<1x4x64xf32>
  %d, %e, %f = attn.online_sdpa %q, %k, %k acc(%a, %b, %c)
      : tensor<1x4x64x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>,
        tensor<1x4x64x64xf32>, tensor<1x4x64xf32>, tensor<1x4x64xf32>
  return %d, %e, %f : tensor<1x4x64x64xf32>, tensor<1x4x64xf32>, tensor<1x4x64xf32>
}

// bf16 inputs with a bf16 or an f32 result.
// CHECK-LABEL: func.func @bf16
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} causal : tensor<1x8x?x64xbf16>, tensor<1x2x?x64xbf16>, tensor<1x2x?x64xbf16> -> tensor<1x8x?x64xbf16>
// CHECK: attn.sdpa %{{.+}}, %{{.+}}, %{{.+}} : tensor<1x8x?x64xbf16>, tensor<1x2x?x64xbf16>, tensor<1x2x?x64xbf16> -> tensor<1x8x?x64xf32>
func.func @bf16(%q: tensor<1x8x?x64xbf16>, %k: tensor<1x2x?x64xbf16>,
                %v: tensor<1x2x?x64xbf16>)
    -> (tensor<1x8x?x64xbf16>, tensor<1x8x?x64xf32>) {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<1x8x?x64xbf16>, tensor<1x2x?x64xbf16>, tensor<1x2x?x64xbf16>
      -> tensor<1x8x?x64xbf16>
  %p = attn.sdpa %q, %k, %v
      : tensor<1x8x?x64xbf16>, tensor<1x2x?x64xbf16>, tensor<1x2x?x64xbf16>
      -> tensor<1x8x?x64xf32>
  return %o, %p : tensor<1x8x?x64xbf16>, tensor<1x8x?x64xf32>
}

// mask_mod and score_mod with captures (key padding and tanh soft-capping).
// CHECK-LABEL: func.func @mods
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} causal captures(%[[L:.*]], %{{.*}} : tensor<?xi32>, f32) {scale = 1.250000e-01 : f32} : tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x1x?x?xf32> -> tensor<?x8x?x64xf32> mask_mod {
// CHECK-NEXT: ^bb0(%[[B:.*]]: index, %{{.*}}: index, %{{.*}}: index, %[[KI:.*]]: index, %[[LEN:.*]]: tensor<?xi32>, %{{.*}}: f32):
// CHECK-NEXT:   %[[X:.*]] = tensor.extract %[[LEN]][%[[B]]] : tensor<?xi32>
// CHECK-NEXT:   %[[XI:.*]] = arith.index_cast %[[X]] : i32 to index
// CHECK-NEXT:   %[[KEEP:.*]] = arith.cmpi ult, %[[KI]], %[[XI]] : index
// CHECK-NEXT:   attn.yield %[[KEEP]] : i1
// CHECK-NEXT: } score_mod {
// CHECK-NEXT: ^bb0(%[[S:.*]]: f32, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: tensor<?xi32>, %[[C:.*]]: f32):
// CHECK-NEXT:   %[[D:.*]] = arith.divf %[[S]], %[[C]] : f32
// CHECK-NEXT:   %[[T:.*]] = math.tanh %[[D]] : f32
// CHECK-NEXT:   %[[R:.*]] = arith.mulf %[[T]], %[[C]] : f32
// CHECK-NEXT:   attn.yield %[[R]] : f32
// CHECK-NEXT: }
func.func @mods(%q: tensor<?x8x?x64xf32>, %k: tensor<?x2x?x64xf32>,
                %v: tensor<?x2x?x64xf32>, %m: tensor<?x1x?x?xf32>,
                %lens: tensor<?xi32>, %cap: f32) -> tensor<?x8x?x64xf32> {
  %o = attn.sdpa %q, %k, %v mask %m causal
      captures(%lens, %cap : tensor<?xi32>, f32) {scale = 0.125 : f32}
      : tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32>,
        tensor<?x1x?x?xf32> -> tensor<?x8x?x64xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index, %len: tensor<?xi32>,
           %c: f32):
        %l = tensor.extract %len[%b] : tensor<?xi32>
        %li = arith.index_cast %l : i32 to index
        %keep = arith.cmpi ult, %ki, %li : index
        attn.yield %keep : i1
      } score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %qi: index, %ki: index,
           %len: tensor<?xi32>, %c: f32):
        %x = arith.divf %s, %c : f32
        %t = math.tanh %x : f32
        %r = arith.mulf %t, %c : f32
        attn.yield %r : f32
      }
  return %o : tensor<?x8x?x64xf32>
}

// Named masks: every kind, the defaults elided on printing, and nesting.
// CHECK-LABEL: func.func @named_masks
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} masks [#attn.causal, #attn.causal<top_left>, #attn.window<left = 128>, #attn.window<left = 3, right = 2, alignment = top_left>, #attn.strided<stride = 4>, #attn.global_tokens<count = 2>, #attn.block_layout<block = 64, layout = dense<{{\[\[}}true, false], [true, true]]> : tensor<2x2xi1>>, #attn.key_padding<lengths = 0>, #attn.document<ids = 1>, #attn.document<ids = 1, kv_ids = 1>, #attn.csr<offsets = 2, columns = 3>, #attn.any_of<[#attn.window<left = 8>, #attn.all_of<[#attn.global_tokens<count = 1>, #attn.causal]>]>] captures(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<2xi32>, tensor<?xi64>, tensor<?xi32>, tensor<?xi32>) : tensor<2x4x?x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32> -> tensor<2x4x?x16xf32>
func.func @named_masks(%q: tensor<2x4x?x16xf32>, %k: tensor<2x2x?x16xf32>,
                       %v: tensor<2x2x?x16xf32>, %lens: tensor<2xi32>,
                       %doc: tensor<?xi64>, %offs: tensor<?xi32>,
                       %cols: tensor<?xi32>) -> tensor<2x4x?x16xf32> {
  %o = attn.sdpa %q, %k, %v masks [#attn.causal<bottom_right>,
        #attn.causal<top_left>, #attn.window<left = 128, right = 0>,
        #attn.window<left = 3, right = 2, alignment = top_left>,
        #attn.strided<stride = 4>, #attn.global_tokens<count = 2>,
        #attn.block_layout<block = 64,
                           layout = dense<[[true, false], [true, true]]> : tensor<2x2xi1>>,
        #attn.key_padding<lengths = 0>, #attn.document<ids = 1>,
        #attn.document<ids = 1, kv_ids = 1>,
        #attn.csr<offsets = 2, columns = 3>,
        #attn.any_of<[#attn.window<left = 8>,
                      #attn.all_of<[#attn.global_tokens<count = 1>, #attn.causal]>]>]
      captures(%lens, %doc, %offs, %cols
               : tensor<2xi32>, tensor<?xi64>, tensor<?xi32>, tensor<?xi32>)
      : tensor<2x4x?x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32>
        -> tensor<2x4x?x16xf32>
  return %o : tensor<2x4x?x16xf32>
}

// Named masks with the causal flag and a mask_mod.
// CHECK-LABEL: func.func @named_with_flag
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} causal masks [#attn.window<left = 16>]
// CHECK: mask_mod
func.func @named_with_flag(%q: tensor<1x1x?x8xf32>, %k: tensor<1x1x?x8xf32>,
                           %v: tensor<1x1x?x8xf32>) -> tensor<1x1x?x8xf32> {
  %o = attn.sdpa %q, %k, %v causal masks [#attn.window<left = 16>]
      : tensor<1x1x?x8xf32>, tensor<1x1x?x8xf32>, tensor<1x1x?x8xf32>
        -> tensor<1x1x?x8xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index):
        %t = arith.constant true
        attn.yield %t : i1
      }
  return %o : tensor<1x1x?x8xf32>
}

// Named score modifiers: ALiBi with the paper's slopes and with captured
// slopes, beside named masks and a score_mod region.
// CHECK-LABEL: func.func @named_score_mods
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} causal score_mods [#attn.alibi] :
// CHECK: attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} masks [#attn.window<left = 4>] score_mods [#attn.alibi<slopes = 0>, #attn.alibi] captures(%{{.*}} : tensor<4xf32>)
// CHECK: score_mod
func.func @named_score_mods(%q: tensor<1x4x?x8xf32>, %k: tensor<1x2x?x8xf32>,
                            %v: tensor<1x2x?x8xf32>, %s: tensor<4xf32>)
    -> (tensor<1x4x?x8xf32>, tensor<1x4x?x8xf32>) {
  %o = attn.sdpa %q, %k, %v causal score_mods [#attn.alibi]
      : tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
        -> tensor<1x4x?x8xf32>
  %o2 = attn.sdpa %q, %k, %v masks [#attn.window<left = 4>]
      score_mods [#attn.alibi<slopes = 0>, #attn.alibi]
      captures(%s : tensor<4xf32>)
      : tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
        -> tensor<1x4x?x8xf32>
      score_mod {
      ^bb0(%x: f32, %b: index, %h: index, %qi: index, %ki: index,
           %sl: tensor<4xf32>):
        attn.yield %x : f32
      }
  return %o, %o2 : tensor<1x4x?x8xf32>, tensor<1x4x?x8xf32>
}

// The logsumexp result, with a mask and a region (the optional result's
// type comes after the output's, before the regions).
// CHECK-LABEL: func.func @sdpa_lse
// CHECK: %{{.*}}, %{{.*}} = attn.sdpa %{{.*}}, %{{.*}}, %{{.*}} causal : tensor<2x4x?x8xf32>, tensor<2x2x?x8xf32>, tensor<2x2x?x8xf32> -> tensor<2x4x?x8xf32>, lse tensor<2x4x?xf32>
// CHECK: attn.sdpa %{{.*}} mask %{{.*}} : {{.*}}, tensor<?x?xf32> -> tensor<2x4x?x8xbf16>, lse tensor<2x4x?xf32> mask_mod {
// CHECK: attn.sdpa %{{.*}} -> tensor<2x4x?x8xf32>{{$}}
func.func @sdpa_lse(%q: tensor<2x4x?x8xf32>, %k: tensor<2x2x?x8xf32>,
                    %v: tensor<2x2x?x8xf32>, %m: tensor<?x?xf32>)
    -> (tensor<2x4x?xf32>, tensor<2x4x?x8xbf16>, tensor<2x4x?xf32>,
        tensor<2x4x?x8xf32>) {
  %o, %l = attn.sdpa %q, %k, %v causal
      : tensor<2x4x?x8xf32>, tensor<2x2x?x8xf32>, tensor<2x2x?x8xf32>
      -> tensor<2x4x?x8xf32>, lse tensor<2x4x?xf32>
  %o2, %l2 = attn.sdpa %q, %k, %v mask %m
      : tensor<2x4x?x8xf32>, tensor<2x2x?x8xf32>, tensor<2x2x?x8xf32>,
        tensor<?x?xf32> -> tensor<2x4x?x8xbf16>, lse tensor<2x4x?xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index):
        %t = arith.cmpi ule, %ki, %qi : index
        attn.yield %t : i1
      }
  %o3 = attn.sdpa %q, %k, %v
      : tensor<2x4x?x8xf32>, tensor<2x2x?x8xf32>, tensor<2x2x?x8xf32>
      -> tensor<2x4x?x8xf32>
  return %l, %o2, %l2, %o3
      : tensor<2x4x?xf32>, tensor<2x4x?x8xbf16>, tensor<2x4x?xf32>,
        tensor<2x4x?x8xf32>
}

// The attention weights, alone and after the logsumexp (each optional
// result is labeled by its name).
// CHECK-LABEL: func.func @sdpa_probs
// CHECK: attn.sdpa %{{.*}} -> tensor<2x4x?x8xf32>, probs tensor<2x4x?x?xf32>{{$}}
// CHECK: attn.sdpa %{{.*}} causal : {{.*}} -> tensor<2x4x?x8xf32>, lse tensor<2x4x?xf32>, probs tensor<2x4x?x?xf32>{{$}}
func.func @sdpa_probs(%q: tensor<2x4x?x8xf32>, %k: tensor<2x2x?x8xf32>,
                      %v: tensor<2x2x?x8xf32>)
    -> (tensor<2x4x?x?xf32>, tensor<2x4x?xf32>, tensor<2x4x?x?xf32>) {
  %o, %p = attn.sdpa %q, %k, %v
      : tensor<2x4x?x8xf32>, tensor<2x2x?x8xf32>, tensor<2x2x?x8xf32>
      -> tensor<2x4x?x8xf32>, probs tensor<2x4x?x?xf32>
  %o2, %l2, %p2 = attn.sdpa %q, %k, %v causal
      : tensor<2x4x?x8xf32>, tensor<2x2x?x8xf32>, tensor<2x2x?x8xf32>
      -> tensor<2x4x?x8xf32>, lse tensor<2x4x?xf32>, probs tensor<2x4x?x?xf32>
  return %p, %l2, %p2
      : tensor<2x4x?x?xf32>, tensor<2x4x?xf32>, tensor<2x4x?x?xf32>
}
