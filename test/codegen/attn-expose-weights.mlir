// RUN: attn-opt %s --split-input-file --attn-expose-weights="kinds=lse,probs" | FileCheck %s
// RUN: attn-opt %s --split-input-file --attn-expose-weights="kinds=probs" | FileCheck %s --check-prefix=PROBS
// RUN: not attn-opt %s --split-input-file --attn-expose-weights="kinds=lse,heads" 2>&1 | FileCheck %s --check-prefix=BADKIND

// F stays as it was; F__lse and F__probs follow it, in the order asked
// for, each with one extra result per attn.sdpa named after its kind.
// CHECK-LABEL: func.func @f(
// CHECK-SAME: -> (tensor<1x2x?x16xf32> {attn.name = "out"}) {
// CHECK-NEXT: attn.sdpa {{.*}} causal : {{.*}} -> tensor<1x2x?x16xf32>{{$}}
// CHECK-LABEL: func.func @f__lse(
// CHECK-SAME: -> (tensor<1x2x?x16xf32> {attn.name = "out"}, tensor<1x2x?xf32> {attn.name = "lse"}) {
// CHECK-NEXT: %[[O:.+]], %[[L:.+]] = attn.sdpa {{.*}} causal : {{.*}} -> tensor<1x2x?x16xf32>, lse tensor<1x2x?xf32>{{$}}
// CHECK-NEXT: return %[[O]], %[[L]]
// CHECK-LABEL: func.func @f__probs(
// CHECK-SAME: -> (tensor<1x2x?x16xf32> {attn.name = "out"}, tensor<1x2x?x?xf32> {attn.name = "probs"}) {
// CHECK-NEXT: %[[O:.+]], %[[P:.+]] = attn.sdpa {{.*}} causal : {{.*}} -> tensor<1x2x?x16xf32>, probs tensor<1x2x?x?xf32>{{$}}
// CHECK-NEXT: return %[[O]], %[[P]]
// PROBS-LABEL: func.func @f(
// PROBS-NOT: func.func @f__lse
// PROBS: func.func @f__probs(
// BADKIND: error: attn-expose-weights: unknown kind 'heads'; expected lse or probs
func.func @f(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>,
             %v: tensor<1x2x?x16xf32>)
    -> (tensor<1x2x?x16xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>
      -> tensor<1x2x?x16xf32>
  return %o : tensor<1x2x?x16xf32>
}

// -----

// Several ops: one result each, in program order (lse0, lse1); an lse the
// op already has is reused; a name F already uses gets an underscore. The
// regions, captures and attributes move to the rebuilt op.
// CHECK-LABEL: func.func @g__lse(
// CHECK-SAME: -> (tensor<1x2x8x16xf32>, tensor<1x2x8xf32> {attn.name = "lse1"}, tensor<1x2x8xf32> {attn.name = "lse0"}, tensor<1x2x8xf32> {attn.name = "lse1_"})
// CHECK: %[[O1:.+]], %[[L1:.+]] = attn.sdpa {{.*}} captures(%{{.+}} : tensor<2xi32>) {keep = "me", scale = 5.000000e-01 : f32} : {{.*}} -> tensor<1x2x8x16xf32>, lse tensor<1x2x8xf32> mask_mod {
// CHECK: tensor.extract
// CHECK: attn.yield
// CHECK: %[[O2:.+]], %[[L2:.+]] = attn.sdpa {{.*}} -> tensor<1x2x8x16xf32>, lse tensor<1x2x8xf32>{{$}}
// CHECK-NOT: attn.sdpa
// CHECK: return %[[O2]], %[[L2]], %[[L1]], %[[L2]]
// CHECK-LABEL: func.func @g__probs(
// CHECK-SAME: -> (tensor<1x2x8x16xf32>, tensor<1x2x8xf32> {attn.name = "lse1"}, tensor<1x2x8x8xf32> {attn.name = "probs0"}, tensor<1x2x8x8xf32> {attn.name = "probs1"})
// CHECK: attn.sdpa {{.*}} -> tensor<1x2x8x16xf32>, probs tensor<1x2x8x8xf32> mask_mod {
// CHECK: attn.sdpa {{.*}} -> tensor<1x2x8x16xf32>, lse tensor<1x2x8xf32>, probs tensor<1x2x8x8xf32>{{$}}
func.func @g(%q: tensor<1x2x8x16xf32>, %lens: tensor<2xi32>)
    -> (tensor<1x2x8x16xf32>, tensor<1x2x8xf32> {attn.name = "lse1"}) {
  %o1 = attn.sdpa %q, %q, %q captures(%lens : tensor<2xi32>)
      {scale = 0.5 : f32, keep = "me"}
      : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
      -> tensor<1x2x8x16xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index, %len: tensor<2xi32>):
        %c0 = arith.constant 0 : index
        %n = tensor.extract %len[%c0] : tensor<2xi32>
        %ni = arith.index_cast %n : i32 to index
        %t = arith.cmpi ult, %ki, %ni : index
        attn.yield %t : i1
      }
  %o2, %l2 = attn.sdpa %o1, %q, %q
      : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
      -> tensor<1x2x8x16xf32>, lse tensor<1x2x8xf32>
  return %o2, %l2 : tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
}

// -----

// No copies of functions without attention, or of private ones.
// CHECK-LABEL: func.func @copy(
// CHECK-NOT: func.func @copy__
// CHECK-LABEL: func.func private @helper(
// CHECK-NOT: func.func private @helper__
func.func @copy(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func private @helper(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %o = attn.sdpa %q, %q, %q
      : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
      -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}
