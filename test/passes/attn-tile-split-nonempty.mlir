// A split key range (flash-decoding; prefill when tasks are few) with a
// mask that can empty steps: each part counts the task's non-empty steps,
// then finds where its share of them starts and ends, so that the parts
// split the attended blocks, not the keys (BlockIteration.h). Masks that
// never empty a step (none here: dense) keep the split of the visited span.
// RUN: attn-opt %s --attn-tile="vector-width=16" | FileCheck %s

// CHECK-LABEL: func.func @documents
// CHECK: scf.forall (%{{.+}}, %{{.+}}, %{{.+}}, %[[PART:.+]]) in
// The count: one per step not classed empty.
// CHECK: %[[COUNT:.+]] = scf.for %{{.+}} = %c0{{.*}} to %[[STEPS:.+]] step %{{.+}} iter_args(%{{.+}} = %c0{{.*}}) -> (index) {
// CHECK: arith.ceildivui %[[COUNT]], %{{.+}} : index
// The part's first and end steps among the non-empty ones.
// CHECK: %[[FIND:.+]]:3 = scf.for %{{.+}} = %c0{{.*}} to %[[STEPS]] step %{{.+}} iter_args(
// The key loop over them.
// CHECK: scf.for %{{.+}} = %[[FIND]]#1 to %[[FIND]]#2 step %c60
func.func @documents(%q: tensor<1x4x?x64xf32>, %k: tensor<1x1x?x64xf32>,
                     %v: tensor<1x1x?x64xf32>, %doc: tensor<?xi32>)
    -> tensor<1x4x?x64xf32> {
  %o = attn.sdpa %q, %k, %v masks [#attn.document<ids = 0>]
      captures(%doc : tensor<?xi32>)
      : tensor<1x4x?x64xf32>, tensor<1x1x?x64xf32>, tensor<1x1x?x64xf32>
      -> tensor<1x4x?x64xf32>
  return %o : tensor<1x4x?x64xf32>
}

// CHECK-LABEL: func.func @dense
// CHECK-NOT: iter_args(%{{.+}} = %c0{{.*}}) -> (index)
// CHECK: return
func.func @dense(%q: tensor<1x4x?x64xf32>, %k: tensor<1x1x?x64xf32>,
                 %v: tensor<1x1x?x64xf32>) -> tensor<1x4x?x64xf32> {
  %o = attn.sdpa %q, %k, %v
      : tensor<1x4x?x64xf32>, tensor<1x1x?x64xf32>, tensor<1x1x?x64xf32>
      -> tensor<1x4x?x64xf32>
  return %o : tensor<1x4x?x64xf32>
}
