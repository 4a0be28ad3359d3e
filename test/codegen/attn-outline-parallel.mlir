// RUN: attn-opt %s --attn-outline-parallel | FileCheck %s
// RUN: attn-opt %s --attn-outline-parallel --convert-scf-to-cf --convert-to-llvm --reconcile-unrealized-casts --attn-emit-entry-points | FileCheck %s --check-prefix=LLVM

// The loop nest becomes a function over a linearized range [begin, end):
// row-major, the last loop fastest. Constants are cloned in; the other
// values it uses (the bounds and the memref) are passed.
// CHECK-LABEL: func.func private @__attn_par_k_0(
// CHECK-SAME: %[[BEGIN:[a-z0-9]+]]: index, %[[END:[a-z0-9]+]]: index, %[[N:[a-z0-9]+]]: index, %[[M:[a-z0-9]+]]: memref<?x4xf32>)
// CHECK-DAG: %[[C3:.+]] = arith.constant 3 : index
// CHECK-DAG: %[[F:.+]] = arith.constant 2.000000e+00 : f32
// CHECK: scf.for %[[T:.+]] = %[[BEGIN]] to %[[END]] step %{{.+}} {
// CHECK:   %[[J:.+]] = arith.remui %[[T]], %[[C3]]
// CHECK:   %[[I:.+]] = arith.divui %[[T]], %[[C3]]
// CHECK:   memref.store %[[F]], %[[M]][%[[I]], %[[J]]]
// CHECK-LABEL: func.func @k(
// CHECK-SAME: %[[M0:[a-z0-9]+]]: memref<?x4xf32>, %[[N0:[a-z0-9]+]]: index)
// CHECK-NOT: scf.parallel
// CHECK: %[[P:.+]] = arith.muli %{{.+}}, %[[N0]]
// CHECK: %[[TOTAL:.+]] = arith.muli %[[P]], %{{.+}}
// CHECK: call @__attn_par_k_0(%{{.+}}, %[[TOTAL]], %[[N0]], %[[M0]])

// In the LLVM dialect, the call becomes attn_parallel_region over
// [0, total) with the arguments in 8-byte slots of a stack context, and a
// task that loads them back and calls the body.
// LLVM-LABEL: llvm.func internal @__attn_par_k_0(
// LLVM-LABEL: llvm.func internal @__attn_par_k_0_task(
// LLVM-SAME: %[[CTX:[a-z0-9]+]]: !llvm.ptr, %[[B:[a-z0-9]+]]: i64, %[[E:[a-z0-9]+]]: i64)
// LLVM: llvm.getelementptr %[[CTX]][0] : (!llvm.ptr) -> !llvm.ptr, i64
// LLVM: llvm.load %{{.+}} : !llvm.ptr -> i64
// LLVM: llvm.getelementptr %[[CTX]][1] : (!llvm.ptr) -> !llvm.ptr, i64
// LLVM: llvm.load %{{.+}} : !llvm.ptr -> !llvm.ptr
// LLVM: llvm.call @__attn_par_k_0(%[[B]], %[[E]],
// (@k is not an exported kernel here, so attn-emit-entry-points makes it
// internal, as every function of an object but the entry points.)
// LLVM-LABEL: llvm.func internal @k(
// LLVM: %[[SLOTS:.+]] = llvm.alloca %{{.+}} x i64
// LLVM: %[[TASK:.+]] = llvm.mlir.addressof @__attn_par_k_0_task
// LLVM: llvm.call @attn_parallel_region(%{{.+}}, %[[TASK]], %[[SLOTS]])
// LLVM-NOT: llvm.call @__attn_par_k_0(
func.func @k(%m: memref<?x4xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %f = arith.constant 2.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c3) step (%c1, %c1) {
    memref.store %f, %m[%i, %j] : memref<?x4xf32>
    scf.reduce
  }
  return
}

// A loop that does not start at 0 with unit steps stays as it is.
// CHECK-LABEL: func.func @not_outlined
// CHECK: scf.parallel
func.func @not_outlined(%m: memref<?xf32>, %n: index) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %f = arith.constant 2.0 : f32
  scf.parallel (%i) = (%c1) to (%n) step (%c2) {
    memref.store %f, %m[%i] : memref<?xf32>
    scf.reduce
  }
  return
}
