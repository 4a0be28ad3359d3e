// RUN: attn-opt %s --attn-lower-memref-copy | FileCheck %s --implicit-check-not=memref.copy

// CHECK-LABEL: func.func @strided_copy
// CHECK-SAME: %[[A:[a-z0-9]+]]: memref<?x?xf32, strided<[?, ?], offset: ?>>, %[[B:[a-z0-9]+]]: memref<?x?xf32>
// CHECK: linalg.copy ins(%[[A]] : memref<?x?xf32, strided<[?, ?], offset: ?>>) outs(%[[B]] : memref<?x?xf32>)
func.func @strided_copy(%a: memref<?x?xf32, strided<[?, ?], offset: ?>>,
                        %b: memref<?x?xf32>) {
  memref.copy %a, %b : memref<?x?xf32, strided<[?, ?], offset: ?>> to memref<?x?xf32>
  return
}
