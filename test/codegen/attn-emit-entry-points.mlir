// RUN: attn-opt %s --pass-pipeline="builtin.module(attn-export-functions,attn-decompose,one-shot-bufferize{bufferize-function-boundaries=1},buffer-deallocation-pipeline,attn-lower-memref-copy,func.func(convert-linalg-to-loops),attn-lower-dynamic-expand-shape,expand-strided-metadata,lower-affine,convert-scf-to-cf,convert-to-llvm,reconcile-unrealized-casts,attn-emit-entry-points)" | FileCheck %s

// The signature and names become internal constants; the kernel becomes
// internal; the C entry point checks the call first and returns its status
// without calling the kernel when it fails.

// CHECK-DAG: llvm.mlir.global internal constant @__attn_sig_sdpa(dense<[1096044033, 3, 1,
// CHECK-DAG: llvm.mlir.global internal constant @__attn_names_sdpa("sdpa\00q\00k\00v\00out\00")
// CHECK-DAG: llvm.func @attn_check_call(!llvm.ptr, !llvm.ptr, !llvm.ptr) -> i32
// CHECK-DAG: llvm.func internal @__attn_kernel_sdpa(
// CHECK-LABEL: llvm.func @sdpa(
// CHECK-SAME: %[[Q:[a-z0-9]+]]: !llvm.ptr, %[[K:[a-z0-9]+]]: !llvm.ptr, %[[V:[a-z0-9]+]]: !llvm.ptr, %[[O:[a-z0-9]+]]: !llvm.ptr) -> i32
// CHECK: %[[ARGV:.+]] = llvm.alloca
// CHECK: llvm.store %[[Q]]
// CHECK: llvm.store %[[K]]
// CHECK: llvm.store %[[V]]
// CHECK: llvm.store %[[O]]
// CHECK: %[[ST:.+]] = llvm.call @attn_check_call(%{{.+}}, %{{.+}}, %[[ARGV]])
// CHECK: %[[OK:.+]] = llvm.icmp "eq" %[[ST]]
// CHECK: llvm.cond_br %[[OK]], ^[[CALL:.+]], ^[[RET:[a-z0-9]+]](%[[ST]] : i32)
// CHECK: ^[[CALL]]:
// Shape dim 2 of q is at byte 16 + 8 * 2; its stride at 80 + 8 * 2.
// CHECK-DAG: llvm.getelementptr %[[Q]][32] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK-DAG: llvm.getelementptr %[[Q]][96] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: llvm.call @__attn_kernel_sdpa(
// CHECK: llvm.br ^[[RET]]
// CHECK: ^[[RET]](%[[R:.+]]: i32):
// CHECK: llvm.return %[[R]] : i32
func.func @sdpa(%q: tensor<1x2x?x16xf32> {attn.name = "q"},
                %k: tensor<1x2x?x16xf32> {attn.name = "k"},
                %v: tensor<1x2x?x16xf32> {attn.name = "v"})
    -> (tensor<1x2x?x16xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>
      -> tensor<1x2x?x16xf32>
  return %o : tensor<1x2x?x16xf32>
}
