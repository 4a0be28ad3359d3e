// RUN: attn-opt %s --attn-tile="vector-width=16 vector-registers=32" --canonicalize --cse --split-input-file | FileCheck %s
// The key loop of a kernel with named masks (BlockIteration.h): one loop
// over the keys the masks' span allows, and per step an empty test (the
// step is skipped: its state passes through), a full test (the step runs
// with no mask code) and the masked step.

// A window: the loop starts at the band's first key block (rounded down
// to a multiple of the step: a window's steps are at most an eighth of it,
// here the 16-key minimum; windows, like causal, take 32-row query
// blocks), not at 0 (here the start of a part of a split key range);
// the full branch has no mask compares; the masked one compares the lanes'
// diagonal distances with the extents.
// CHECK-LABEL: func.func @window
// CHECK-DAG: %[[LEFT:.+]] = arith.constant dense<37> : vector<16xindex>
// CHECK-DAG: %[[RIGHT:.+]] = arith.constant dense<-5> : vector<16xindex>
// CHECK: scf.forall
// CHECK:   arith.divsi %{{.+}}, %c16 : index
// CHECK-NEXT: arith.muli %{{.+}}, %c16 : index
// CHECK:   scf.for %[[J0:.+]] = %{{.+}} to %{{.+}} step %c16 iter_args(%[[OT:[a-z0-9]+]] = {{.*}}) -> (tensor<16x16xf32>,
// CHECK:     %[[EMPTY:.+]] = arith.ori %{{.+}}, %{{.+}} : i1
// CHECK:     %[[FULL:.+]] = arith.andi %{{.+}}, %{{.+}} : i1
// CHECK:     scf.if %[[EMPTY]]
// CHECK-NEXT:  scf.yield %[[OT]],
// CHECK-NEXT: } else {
// CHECK-NEXT:  scf.if %[[FULL]]
// CHECK-NOT:   vector<16xindex>
// CHECK:       } else {
// CHECK:         arith.cmpi sge, %{{.+}}, %[[RIGHT]] : vector<16xindex>
// CHECK:         arith.cmpi sle, %{{.+}}, %[[LEFT]] : vector<16xindex>
func.func @window(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>,
                  %v: tensor<1x2x?x16xf32>) -> tensor<1x2x?x16xf32> {
  %o = attn.sdpa %q, %k, %v masks [#attn.window<left = 37, right = 5>]
      : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>
      -> tensor<1x2x?x16xf32>
  return %o : tensor<1x2x?x16xf32>
}

// -----

// A block layout: its summed-area table (6 x 9 counts for 5 x 8 blocks)
// is a constant, and a step's class reads four counts from it.
// CHECK-LABEL: func.func @layout
// CHECK: %[[SUMS:.+]] = arith.constant dense<{{\[\[}}0, 0, 0], [0, 1, 1], [0, 1, 1]]> : tensor<3x3xi32>
// CHECK: scf.for
// CHECK-COUNT-4: tensor.extract %[[SUMS]][%{{.+}}, %{{.+}}] : tensor<3x3xi32>
// CHECK: scf.if
func.func @layout(%q: tensor<1x1x?x16xf32>, %k: tensor<1x1x?x16xf32>,
                  %v: tensor<1x1x?x16xf32>) -> tensor<1x1x?x16xf32> {
  %o = attn.sdpa %q, %k, %v
      masks [#attn.block_layout<block = 64,
                                layout = dense<[[true, false], [false, false]]> : tensor<2x2xi1>>]
      : tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>
      -> tensor<1x1x?x16xf32>
  return %o : tensor<1x1x?x16xf32>
}

// -----

// Documents: once per call, a table of each 60-key block's min and max
// id (one search per block); once per task, the min and max id of the
// task's rows; per step, four reads of the table (the blocks of the step's
// first and last keys), no search over the step's keys.
// CHECK-LABEL: func.func @documents
// CHECK-SAME: %[[IDS:[a-z0-9]+]]: tensor<?xi32>
// CHECK: %[[TABLE:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<1x?x2xi64>)
// CHECK:   scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c1 iter_args({{.*}}) -> (index, index)
// CHECK:     tensor.extract %[[IDS]]
// CHECK: scf.forall
// CHECK:   scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c1 iter_args({{.*}}) -> (index, index)
// CHECK:     tensor.extract %[[IDS]]
// CHECK:   scf.for %[[J0:.+]] = %{{.+}} step %c60
// CHECK-NOT:  -> (index, index)
// CHECK-COUNT-4: tensor.extract %[[TABLE]][%c0, %{{.+}}, %c{{[01]}}] : tensor<1x?x2xi64>
// CHECK-NOT:  -> (index, index)
// CHECK:     scf.if
func.func @documents(%q: tensor<1x1x?x16xf32>, %k: tensor<1x1x?x16xf32>,
                     %v: tensor<1x1x?x16xf32>, %ids: tensor<?xi32>)
    -> tensor<1x1x?x16xf32> {
  %o = attn.sdpa %q, %k, %v masks [#attn.document<ids = 0>]
      captures(%ids : tensor<?xi32>)
      : tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>
      -> tensor<1x1x?x16xf32>
  return %o : tensor<1x1x?x16xf32>
}
