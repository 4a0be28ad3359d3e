// RUN: attn-opt %s --attn-lower-to-llvm | FileCheck %s --implicit-check-not=attn. --implicit-check-not=linalg. --implicit-check-not=memref. --implicit-check-not=tensor. --implicit-check-not=math.exp --implicit-check-not=unrealized_conversion_cast --implicit-check-not=memrefCopy --implicit-check-not=expf --implicit-check-not=@malloc
// RUN: attn-opt %s --attn-lower-to-llvm="tile=false" | FileCheck %s --implicit-check-not=attn. --implicit-check-not=linalg. --implicit-check-not=memref. --implicit-check-not=tensor. --implicit-check-not=math.exp --implicit-check-not=unrealized_conversion_cast

// The whole pipeline leaves only the LLVM dialect: no attn, linalg, tensor or
// memref op, no libm exp, no MLIR runtime helper (memrefCopy). Temporaries
// come from libattn_runtime's workspace allocator and are freed.

// CHECK-DAG: llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
// CHECK-DAG: llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
// CHECK-DAG: llvm.func internal @__attn_kernel_gpt2(
// CHECK-DAG: llvm.func @gpt2(%{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr, %{{.+}}: !llvm.ptr) -> i32
// CHECK-DAG: llvm.call @_mlir_memref_to_llvm_free
func.func @gpt2(%q: tensor<1x12x?x64xf32>, %k: tensor<1x12x?x64xf32>,
                %v: tensor<1x12x?x64xf32>) -> tensor<1x12x?x64xf32> {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<1x12x?x64xf32>, tensor<1x12x?x64xf32>, tensor<1x12x?x64xf32>
      -> tensor<1x12x?x64xf32>
  return %o : tensor<1x12x?x64xf32>
}

// Private helpers are inlined into the kernel and then dropped.
func.func private @helper(%q: tensor<1x1x?x8xf32>) -> tensor<1x1x?x8xf32> {
  %o = attn.sdpa %q, %q, %q
      : tensor<1x1x?x8xf32>, tensor<1x1x?x8xf32>, tensor<1x1x?x8xf32>
      -> tensor<1x1x?x8xf32>
  return %o : tensor<1x1x?x8xf32>
}
// CHECK-DAG: llvm.func @uses_helper(
func.func @uses_helper(%q: tensor<1x1x?x8xf32>) -> tensor<1x1x?x8xf32> {
  %o = func.call @helper(%q) : (tensor<1x1x?x8xf32>) -> tensor<1x1x?x8xf32>
  return %o : tensor<1x1x?x8xf32>
}
