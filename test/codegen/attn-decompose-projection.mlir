// RUN: attn-opt %s --attn-decompose | FileCheck %s --implicit-check-not=attn.project --implicit-check-not=attn.luong_output

// attn.project: the bias broadcast over the rows, then one contraction over
// in_dim in f32 (the input's single head read for every weight head), its
// output column the innermost loop.
// CHECK-DAG: #[[BIAS:.+]] = affine_map<(d0, d1, d2, d3) -> (d1, d3)>
// CHECK-DAG: #[[X:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d2, d3)>
// CHECK-DAG: #[[W:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d3, d4)>
// CHECK-LABEL: func.func @project(
// CHECK: %[[B:.+]] = linalg.generic {indexing_maps = [#[[BIAS]], #{{.+}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%{{.*}} : tensor<4x8xf32>)
// CHECK: %[[S:.+]] = tensor.extract_slice %{{.*}}[0, 0, 0] [4, 16, 8] [1, 1, 1]
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[W]], #{{.+}}], iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]} ins(%{{.*}}, %[[S]] : tensor<?x1x?x16xf32>, tensor<4x16x8xbf16>) outs(%[[B]] : tensor<?x4x?x8xf32>)
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.mulf {{.*}} fastmath<reassoc,contract>
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @project(%x: tensor<?x1x?x16xf32>, %w: tensor<4x16x8xbf16>,
                   %b: tensor<4x8xf32>) -> tensor<?x4x?x8xf32> {
  %o = attn.project %x, %w bias %b
      : tensor<?x1x?x16xf32>, tensor<4x16x8xbf16>, tensor<4x8xf32>
      -> tensor<?x4x?x8xf32>
  return %o : tensor<?x4x?x8xf32>
}

// attn.luong_output: rows 0-5 of W_c multiply the context, rows 6-13 the
// query state, into one sum; then tanh, and the rounding to bf16.
// CHECK-LABEL: func.func @luong_output(
// CHECK-SAME: %[[C:[a-z0-9]+]]: tensor<?x1x?x6xf32>, %[[H:[a-z0-9]+]]: tensor<?x1x?x8xf32>, %[[WC:[a-z0-9]+]]: tensor<14x4xf32>
// CHECK: %[[Z:.+]] = linalg.fill
// CHECK: %[[WCC:.+]] = tensor.extract_slice %[[WC]][0, 0] [6, 4] [1, 1]
// CHECK: %[[S1:.+]] = linalg.generic {{.*}} ins(%[[C]], %[[WCC]] : {{.*}}) outs(%[[Z]] :
// CHECK: %[[WCH:.+]] = tensor.extract_slice %[[WC]][6, 0] [8, 4] [1, 1]
// CHECK: %[[S2:.+]] = linalg.generic {{.*}} ins(%[[H]], %[[WCH]] : {{.*}}) outs(%[[S1]] :
// CHECK: linalg.generic {{.*}} ins(%[[S2]] : tensor<?x1x?x4xf32>) outs(%{{.*}} : tensor<?x1x?x4xbf16>)
// CHECK: math.tanh
// CHECK: arith.trunci %{{.*}} : i32 to i16
func.func @luong_output(%c: tensor<?x1x?x6xf32>, %h: tensor<?x1x?x8xf32>,
                        %w: tensor<14x4xf32>) -> tensor<?x1x?x4xbf16> {
  %o = attn.luong_output %c, %h, %w
      : tensor<?x1x?x6xf32>, tensor<?x1x?x8xf32>, tensor<14x4xf32>
      -> tensor<?x1x?x4xbf16>
  return %o : tensor<?x1x?x4xbf16>
}
