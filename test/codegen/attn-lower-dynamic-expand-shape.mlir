// RUN: attn-opt %s --attn-lower-dynamic-expand-shape | FileCheck %s
// RUN: attn-opt %s --attn-lower-dynamic-expand-shape --expand-strided-metadata | FileCheck %s --check-prefix=META

// Two dynamic dims in one group: rewritten. The inner dim keeps the source
// stride; the outer one gets stride * inner size.
// CHECK-LABEL: func.func @two_dynamic
// CHECK-SAME: %[[M:[a-z0-9]+]]: memref<?x?xf32, strided<[?, ?], offset: ?>>, %[[A:[a-z0-9]+]]: index, %[[B:[a-z0-9]+]]: index, %[[C:[a-z0-9]+]]: index
// CHECK: %[[BASE:.+]], %[[OFF:.+]], %[[SIZES:.+]]:2, %[[STRIDES:.+]]:2 = memref.extract_strided_metadata %[[M]]
// CHECK: %[[OUTER:.+]] = affine.apply #{{.+}}()[%[[STRIDES]]#0, %[[B]]]
// CHECK: memref.reinterpret_cast %[[BASE]] to offset: [%[[OFF]]], sizes: [%[[A]], %[[B]], %[[C]]], strides: [%[[OUTER]], %[[STRIDES]]#0, %[[STRIDES]]#1]
// CHECK-NOT: memref.expand_shape
// META-LABEL: func.func @two_dynamic
// META-NOT: memref.expand_shape
func.func @two_dynamic(%m: memref<?x?xf32, strided<[?, ?], offset: ?>>,
                       %a: index, %b: index, %c: index)
    -> memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>> {
  %e = memref.expand_shape %m [[0, 1], [2]] output_shape [%a, %b, %c]
      : memref<?x?xf32, strided<[?, ?], offset: ?>>
        into memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>
  return %e : memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>
}

// One dynamic dim per group: left to upstream.
// CHECK-LABEL: func.func @one_dynamic
// CHECK: memref.expand_shape
func.func @one_dynamic(%m: memref<?x8xf32>, %a: index)
    -> memref<?x4x8xf32> {
  %e = memref.expand_shape %m [[0, 1], [2]] output_shape [%a, 4, 8]
      : memref<?x8xf32> into memref<?x4x8xf32>
  return %e : memref<?x4x8xf32>
}
