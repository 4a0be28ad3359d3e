// RUN: attn-opt %s --attn-export-functions="unit-stride-variant=1" | FileCheck %s --check-prefix=EXPORT
// RUN: attn-opt %s --pass-pipeline="builtin.module(attn-export-functions{unit-stride-variant=1},attn-decompose,one-shot-bufferize{bufferize-function-boundaries=1},buffer-deallocation-pipeline,attn-lower-memref-copy,func.func(convert-linalg-to-loops),attn-lower-dynamic-expand-shape,expand-strided-metadata,lower-affine,convert-scf-to-cf,convert-to-llvm,reconcile-unrealized-casts,attn-emit-entry-points)" | FileCheck %s --check-prefix=TASK

// attn-export-functions{unit-stride-variant=1} adds a private copy of each
// kernel whose memrefs have innermost stride 1 (vector code can then load
// rows and pairs directly), without ABI attributes of its own.
// EXPORT-LABEL: func.func @__attn_kernel_sdpa(
// EXPORT-SAME: memref<1x2x?x16xbf16, strided<[?, ?, ?, ?], offset: ?>>
// EXPORT-SAME: attn.export_name = "sdpa"
// EXPORT-LABEL: func.func private @__attn_kernel_sdpa__unit_stride(
// EXPORT-SAME: %{{.+}}: memref<1x2x?x16xbf16, strided<[?, ?, ?, 1], offset: ?>>, %{{.+}}: memref<1x2x?x16xbf16, strided<[?, ?, ?, 1], offset: ?>>, %{{.+}}: memref<1x2x?x16xbf16, strided<[?, ?, ?, 1], offset: ?>>, %{{.+}}: memref<1x2x?x16xf32, strided<[?, ?, ?, 1], offset: ?>>)
// EXPORT-NOT: attn.export_name
// EXPORT: attn.sdpa

// The task calls the copy when every argument has last stride 1 or a last
// dim of at most 1, and the general kernel otherwise.
// TASK-LABEL: llvm.func internal @__attn_task_sdpa(
// TASK: %[[ONE:.+]] = llvm.mlir.constant(1 : i64) : i64
// TASK-DAG: %[[EQ:.+]] = llvm.icmp "eq" %{{.+}}, %[[ONE]] : i64
// TASK-DAG: %[[LE:.+]] = llvm.icmp "sle" %{{.+}}, %[[ONE]] : i64
// TASK: llvm.or {{.*}} : i1
// TASK-COUNT-3: llvm.and
// TASK: llvm.cond_br %{{.+}}, ^[[UNIT:.+]], ^[[ANY:.+]]
// TASK: ^[[UNIT]]:
// TASK: llvm.call @__attn_kernel_sdpa__unit_stride(
// TASK: llvm.return
// TASK: ^[[ANY]]:
// TASK: llvm.call @__attn_kernel_sdpa(
// TASK: llvm.return
func.func @sdpa(%q: tensor<1x2x?x16xbf16> {attn.name = "q"},
                %k: tensor<1x2x?x16xbf16> {attn.name = "k"},
                %v: tensor<1x2x?x16xbf16> {attn.name = "v"})
    -> (tensor<1x2x?x16xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v
      : tensor<1x2x?x16xbf16>, tensor<1x2x?x16xbf16>, tensor<1x2x?x16xbf16>
      -> tensor<1x2x?x16xf32>
  return %o : tensor<1x2x?x16xf32>
}
