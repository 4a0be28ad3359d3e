// RUN: attn-opt %s --attn-tile="vector-width=8 vector-registers=16" --canonicalize --cse | FileCheck %s
// RUN: attn-opt %s --attn-tile="vector-width=8 vector-registers=16 gather-density=0" --canonicalize --cse | FileCheck %s --check-prefix=NEVER
// RUN: not attn-opt %s --attn-tile="vector-width=8 gather-density=-1" 2>&1 | FileCheck %s --check-prefix=BAD
// The gather body of #attn.csr (DecodeBody.h): a prefill task whose rows
// list at most 1/8 of its span's keys (8 x edges <= rows x kv_len, the
// edges read from the offsets of its first and last row; kv_len > 0) visits each row's
// listed keys only: the row's positions by binary search, then steps of
// 128 positions, 4 keys at a time, each key read from the columns and
// clamped to kv_len - 1 before K is read at it. Denser tasks run the block
// body (the then branch).

// CHECK-LABEL: func.func @gather
// (Decode, split or not, and split prefill keep the block body: the first
// three foralls; the unsplit prefill forall has the choice.)
// CHECK:         scf.forall (
// CHECK:         scf.forall (
// CHECK:         scf.forall (
// CHECK:         scf.forall (
// CHECK-NEXT:      %[[Q0:.+]] = arith.muli %{{.+}}, %c16 : index
// CHECK-NEXT:      %[[LEFT:.+]] = arith.subi %{{.+}}, %[[Q0]] : index
// CHECK-NEXT:      %[[ROWS:.+]] = arith.minsi %[[LEFT]], %c16 : index
// CHECK-NEXT:      %[[Q1:.+]] = arith.addi %[[Q0]], %[[ROWS]] : index
// CHECK-NEXT:      %[[O0:.+]] = tensor.extract %[[OFFSETS:.+]][%[[Q0]]] : tensor<?xi32>
// CHECK-NEXT:      %[[O0I:.+]] = arith.index_cast %[[O0]]
// CHECK-NEXT:      %[[O1:.+]] = tensor.extract %[[OFFSETS]][%[[Q1]]] : tensor<?xi32>
// CHECK-NEXT:      %[[O1I:.+]] = arith.index_cast %[[O1]]
// CHECK-NEXT:      %[[EDGES:.+]] = arith.subi %[[O1I]], %[[O0I]] : index
// CHECK-NEXT:      %[[NOKEYS:.+]] = arith.cmpi sle, %[[KVLEN:.+]], %c0 : index
// CHECK-NEXT:      %[[AREA:.+]] = arith.muli %[[ROWS]], %[[KVLEN]] : index
// CHECK-NEXT:      %[[E8:.+]] = arith.muli %[[EDGES]], %c8 : index
// CHECK-NEXT:      %[[MANY:.+]] = arith.cmpi sgt, %[[E8]], %[[AREA]] : index
// CHECK-NEXT:      %[[DENSE:.+]] = arith.ori %[[MANY]], %[[NOKEYS]] : i1
// CHECK-NEXT:      scf.if %[[DENSE]]
// CHECK:           %[[LAST:.+]] = arith.subi %[[KVLEN]], %c1 : index
// CHECK:           scf.for %[[R:.+]] = %c0 to %[[ROWS]] step %c1 {
// CHECK:             scf.while
// CHECK:             scf.for %[[P:.+]] = %{{.+}} to %{{.+}} step %c128 {
// CHECK:                 scf.for %[[JL:.+]] = %c0 to %{{.+}} step %c4
// CHECK:                   %[[POS:.+]] = arith.addi %[[P]], %[[JL]] : index
// CHECK-NEXT:              %[[COL:.+]] = tensor.extract %[[COLUMNS:.+]][%[[POS]]] : tensor<?xi32>
// CHECK-NEXT:              %[[COLI:.+]] = arith.index_cast %[[COL]] : i32 to index
// CHECK-NEXT:              %[[KEY:.+]] = arith.minui %[[COLI]], %[[LAST]] : index
// CHECK:                   vector.transfer_read %{{.+}}[%c0, %{{.+}}, %[[KEY]], %{{.+}}]

// With gather-density=0 there is no gather body: no choice, no listed key.
// NEVER-LABEL: func.func @gather
// NEVER-NOT:     arith.cmpi sgt, %{{.+}}, %{{.+}} : index
// NEVER:         return

// BAD: attn-tile: q-block, kv-block, vector-width, vector-registers and gather-density must not be negative
func.func @gather(%qm: memref<1x2x?x64xf32, strided<[?, ?, ?, 1], offset: ?>>,
                  %km: memref<1x2x?x64xf32, strided<[?, ?, ?, 1], offset: ?>>,
                  %vm: memref<1x2x?x64xf32, strided<[?, ?, ?, 1], offset: ?>>,
                  %offsets: tensor<?xi32>, %columns: tensor<?xi32>)
    -> tensor<1x2x?x64xf32> {
  %q = bufferization.to_tensor %qm restrict
      : memref<1x2x?x64xf32, strided<[?, ?, ?, 1], offset: ?>> to tensor<1x2x?x64xf32>
  %k = bufferization.to_tensor %km restrict
      : memref<1x2x?x64xf32, strided<[?, ?, ?, 1], offset: ?>> to tensor<1x2x?x64xf32>
  %v = bufferization.to_tensor %vm restrict
      : memref<1x2x?x64xf32, strided<[?, ?, ?, 1], offset: ?>> to tensor<1x2x?x64xf32>
  %o = attn.sdpa %q, %k, %v masks [#attn.csr<offsets = 0, columns = 1>]
      captures(%offsets, %columns : tensor<?xi32>, tensor<?xi32>)
      : tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>
      -> tensor<1x2x?x64xf32>
  return %o : tensor<1x2x?x64xf32>
}
