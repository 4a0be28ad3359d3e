// RUN: attn-opt %s --pass-pipeline="builtin.module(attn-export-functions,attn-decompose,one-shot-bufferize{bufferize-function-boundaries=1},buffer-deallocation-pipeline,attn-lower-memref-copy,func.func(convert-linalg-to-loops),attn-lower-dynamic-expand-shape,expand-strided-metadata,lower-affine,convert-scf-to-cf,convert-to-llvm,reconcile-unrealized-casts,attn-emit-entry-points)" | FileCheck %s

// The signature and names become internal constants; the kernel becomes
// internal; the C entry point checks the call first and returns its status
// without calling the kernel when it fails.

// CHECK-DAG: llvm.mlir.global internal constant @__attn_sig_sdpa(dense<[1096044034, 3, 1,
// CHECK-DAG: llvm.mlir.global internal constant @__attn_names_sdpa("sdpa\00q\00k\00v\00out\00")
// CHECK-DAG: llvm.func @attn_check_call(!llvm.ptr, !llvm.ptr, !llvm.ptr) -> i32
// CHECK-DAG: llvm.func @attn_run_tasks(!llvm.ptr, i64, !llvm.ptr, !llvm.ptr) -> i32
// CHECK-DAG: llvm.func internal @__attn_kernel_sdpa(

// The task unpacks the descriptors and calls the kernel on batches
// [begin, end): data += begin * stride0 * 4 bytes, dim 0 = end - begin.
// CHECK-LABEL: llvm.func internal @__attn_task_sdpa(
// CHECK-SAME: %[[ARGV:[a-z0-9]+]]: !llvm.ptr, %[[BEGIN:[a-z0-9]+]]: i64, %[[END:[a-z0-9]+]]: i64)
// CHECK: %[[SLOT:.+]] = llvm.getelementptr %[[ARGV]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[QD:.+]] = llvm.load %[[SLOT]] : !llvm.ptr -> !llvm.ptr
// Shape dim 2 of q is at byte 16 + 8 * 2; its stride at 80 + 8 * 2.
// CHECK-DAG: llvm.getelementptr %[[QD]][32] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK-DAG: llvm.getelementptr %[[QD]][96] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: %[[ELEMS:.+]] = llvm.mul %[[BEGIN]], %{{.+}} : i64
// CHECK: %[[BYTES:.+]] = llvm.mul %[[ELEMS]], %{{.+}} : i64
// CHECK: llvm.getelementptr %{{.+}}[%[[BYTES]]] : (!llvm.ptr, i64) -> !llvm.ptr, i8
// CHECK: llvm.sub %[[END]], %[[BEGIN]] : i64
// CHECK: llvm.call @__attn_kernel_sdpa(

// The entry point checks the call first and returns its status without
// running anything when it fails; else it runs the task over the batch and
// returns the status of that run (a failed workspace allocation).
// CHECK-LABEL: llvm.func @sdpa(
// CHECK-SAME: %[[Q:[a-z0-9]+]]: !llvm.ptr, %[[K:[a-z0-9]+]]: !llvm.ptr, %[[V:[a-z0-9]+]]: !llvm.ptr, %[[O:[a-z0-9]+]]: !llvm.ptr) -> i32
// CHECK: %[[AV:.+]] = llvm.alloca
// CHECK: llvm.store %[[Q]]
// CHECK: llvm.store %[[K]]
// CHECK: llvm.store %[[V]]
// CHECK: llvm.store %[[O]]
// CHECK: %[[ST:.+]] = llvm.call @attn_check_call(%{{.+}}, %{{.+}}, %[[AV]])
// CHECK: %[[OK:.+]] = llvm.icmp "eq" %[[ST]]
// CHECK: llvm.cond_br %[[OK]], ^[[CALL:.+]], ^[[RET:[a-z0-9]+]](%[[ST]] : i32)
// CHECK: ^[[CALL]]:
// CHECK: %[[BPTR:.+]] = llvm.getelementptr %[[O]][16] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: %[[BATCH:.+]] = llvm.load %[[BPTR]] : !llvm.ptr -> i64
// CHECK: %[[TASK:.+]] = llvm.mlir.addressof @__attn_task_sdpa
// CHECK: %[[STATUS:.+]] = llvm.call @attn_run_tasks(%{{.+}}, %[[BATCH]], %[[TASK]], %[[AV]])
// CHECK: llvm.br ^[[RET]](%[[STATUS]] : i32)
// CHECK: ^[[RET]](%[[R:.+]]: i32):
// CHECK: llvm.return %[[R]] : i32
func.func @sdpa(%q: tensor<?x2x?x16xf32> {attn.name = "q"},
                %k: tensor<?x2x?x16xf32> {attn.name = "k"},
                %v: tensor<?x2x?x16xf32> {attn.name = "v"})
    -> (tensor<?x2x?x16xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>
      -> tensor<?x2x?x16xf32>
  return %o : tensor<?x2x?x16xf32>
}

// A static batch runs as one task over the whole call.
// CHECK-LABEL: llvm.func internal @__attn_task_static_batch(
// CHECK-NOT: llvm.sub
// CHECK: llvm.call @__attn_kernel_static_batch(
// CHECK-LABEL: llvm.func @static_batch(
// CHECK: ^bb1:
// CHECK-NEXT: %[[ONE:.+]] = llvm.mlir.constant(1 : i64) : i64
// CHECK: llvm.call @attn_run_tasks(%{{.+}}, %[[ONE]],
func.func @static_batch(%q: tensor<2x2x4x16xf32>) -> tensor<2x2x4x16xf32> {
  %o = attn.sdpa %q, %q, %q
      : tensor<2x2x4x16xf32>, tensor<2x2x4x16xf32>, tensor<2x2x4x16xf32>
      -> tensor<2x2x4x16xf32>
  return %o : tensor<2x2x4x16xf32>
}

// A mask dim that may broadcast (dim 1, heads): when it is 1 at run time the
// task passes the query's head count with stride 0, so the kernel reads the
// one mask for every head in place.
// CHECK-LABEL: llvm.func internal @__attn_task_masked(
// CHECK: %[[QSLOT:.+]] = llvm.getelementptr %{{.+}}[0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[QD:.+]] = llvm.load %[[QSLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[QH:.+]] = llvm.getelementptr %[[QD]][24] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: %[[HEADS:.+]] = llvm.load %[[QH]] : !llvm.ptr -> i64
// CHECK: %[[MSLOT:.+]] = llvm.getelementptr %{{.+}}[1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[MD:.+]] = llvm.load %[[MSLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[MH:.+]] = llvm.getelementptr %[[MD]][24] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: %[[MSIZE:.+]] = llvm.load %[[MH]] : !llvm.ptr -> i64
// CHECK: %[[MS:.+]] = llvm.getelementptr %[[MD]][88] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: %[[MSTRIDE:.+]] = llvm.load %[[MS]] : !llvm.ptr -> i64
// CHECK: %[[IS1:.+]] = llvm.icmp "eq" %[[MSIZE]], %[[ONE:.+]] : i64
// CHECK: llvm.select %[[IS1]], %[[HEADS]], %[[MSIZE]] : i1, i64
// CHECK: llvm.select %[[IS1]], %[[ZERO:.+]], %[[MSTRIDE]] : i1, i64
// CHECK: llvm.call @__attn_kernel_masked(
func.func @masked(%q: tensor<1x?x4x16xf32> {attn.name = "q"},
                  %m: tensor<1x?x4x4xi1> {attn.name = "mask"})
    -> tensor<1x?x4x16xf32> {
  %o = attn.sdpa %q, %q, %q mask %m
      : tensor<1x?x4x16xf32>, tensor<1x?x4x16xf32>, tensor<1x?x4x16xf32>,
        tensor<1x?x4x4xi1> -> tensor<1x?x4x16xf32>
  return %o : tensor<1x?x4x16xf32>
}
