// RUN: attn-opt %s --attn-tile="vector-width=16 vector-registers=32" --canonicalize --cse --split-input-file | FileCheck %s
// A mask_mod's key steps classed by interval evaluation of its region
// (passes/tile/ModIntervals.h): per step, the region's values as ranges
// over the task's rows and the step's keys (i64 bounds, with run-time
// guards that the indices lie in [0, 2^31)), then an empty test (the step
// is skipped: its state passes through), a full test (the step runs with no
// mask code) and the masked step.

// Causal written as a mask_mod (kv_idx <= q_idx): a step is empty when its
// first key is past the rows' last query, full when its last key is at or
// before their first.
// CHECK-LABEL: func.func @causal_mod
// CHECK: scf.for %[[J0:.+]] = %{{.+}} to %{{.+}} step %c60 iter_args(%[[OT:[a-z0-9]+]] = {{.*}}) -> (tensor<16x16xf32>,
// CHECK:   %[[Q0:.+]] = arith.index_cast %{{.+}} : index to i64
// CHECK:   %[[QEND:.+]] = arith.addi %[[Q0]], %{{.+}} : i64
// CHECK:   %[[QIN:.+]] = arith.cmpi sle, %[[QEND]], %c2147483648_i64 : i64
// CHECK:   %[[QPOS:.+]] = arith.cmpi sge, %[[Q0]], %c0_i64 : i64
// CHECK:   %[[QOK:.+]] = arith.andi %[[QPOS]], %[[QIN]] : i1
// CHECK:   %[[QMAX:.+]] = arith.subi %[[QEND]], %c1_i64 : i64
// CHECK:   %[[K0:.+]] = arith.index_cast %[[J0]] : index to i64
// CHECK:   %[[KEND:.+]] = arith.addi %[[K0]], %{{.+}} : i64
// CHECK:   %[[KIN:.+]] = arith.cmpi sle, %[[KEND]], %c2147483648_i64 : i64
// CHECK:   %[[KPOS:.+]] = arith.cmpi sge, %[[K0]], %c0_i64 : i64
// CHECK:   %[[KOK:.+]] = arith.andi %[[KPOS]], %[[KIN]] : i1
// CHECK:   %[[OK:.+]] = arith.andi %[[QOK]], %[[KOK]] : i1
// CHECK:   %[[KMAX:.+]] = arith.subi %[[KEND]], %c1_i64 : i64
// CHECK:   %[[PAST:.+]] = arith.cmpi sgt, %[[K0]], %[[QMAX]] : i64
// CHECK:   %[[EMPTY:.+]] = arith.andi %[[OK]], %[[PAST]] : i1
// CHECK:   %[[BEFORE:.+]] = arith.cmpi sge, %[[Q0]], %[[KMAX]] : i64
// CHECK:   %[[FULL:.+]] = arith.andi %[[OK]], %[[BEFORE]] : i1
// CHECK:   scf.if %[[EMPTY]]
// CHECK-NEXT: scf.yield %[[OT]],
// CHECK-NEXT: } else {
// CHECK-NEXT: scf.if %[[FULL]]
// CHECK-NOT:   vector<16xindex>
// CHECK:       } else {
// CHECK:         arith.cmpi ule, %{{.+}}, %{{.+}} : vector<16xindex>
func.func @causal_mod(%q: tensor<1x1x?x16xf32>, %k: tensor<1x1x?x16xf32>,
                      %v: tensor<1x1x?x16xf32>) -> tensor<1x1x?x16xf32> {
  %o = attn.sdpa %q, %k, %v
      : tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>
      -> tensor<1x1x?x16xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index):
        %keep = arith.cmpi ule, %ki, %qi : index
        attn.yield %keep : i1
      }
  return %o : tensor<1x1x?x16xf32>
}

// -----

// Key padding (kv_idx < lens[b], unsigned): lens[b] is one value per task,
// read in the step as the region reads it; the unsigned compare is the
// signed one under a run-time guard that the length is not negative.
// CHECK-LABEL: func.func @padding
// CHECK-SAME: %[[LENS:[a-z0-9]+]]: tensor<2xi32>
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c60
// CHECK:   %[[L:.+]] = tensor.extract %[[LENS]][%{{.+}}] : tensor<2xi32>
// CHECK:   %[[LI:.+]] = arith.index_cast %[[L]] : i32 to index
// CHECK:   %[[L64:.+]] = arith.index_cast %[[LI]] : index to i64
// CHECK-NOT: 2147483647
// CHECK:   arith.cmpi sge, %[[L64]], %c0_i64 : i64
// CHECK:   arith.cmpi sge, %{{.+}}, %[[L64]] : i64
// CHECK:   arith.cmpi sgt, %[[L64]], %{{.+}} : i64
// CHECK:   scf.if
// CHECK:     scf.if
func.func @padding(%q: tensor<2x2x?x16xf32>, %k: tensor<2x2x?x16xf32>,
                   %v: tensor<2x2x?x16xf32>, %lens: tensor<2xi32>)
    -> tensor<2x2x?x16xf32> {
  %o = attn.sdpa %q, %k, %v captures(%lens : tensor<2xi32>)
      : tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32>, tensor<2x2x?x16xf32>
      -> tensor<2x2x?x16xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index, %len: tensor<2xi32>):
        %l = tensor.extract %len[%b] : tensor<2xi32>
        %li = arith.index_cast %l : i32 to index
        %keep = arith.cmpi ult, %ki, %li : index
        attn.yield %keep : i1
      }
  return %o : tensor<2x2x?x16xf32>
}

// -----

// Dilation by a run-time stride (kv_idx % p[0] == 0): the remainder's range
// is exact when the step's keys share a quotient, under a guard that the
// stride is positive (and divides by 1 where it is not, never trapping).
// CHECK-LABEL: func.func @strided
// CHECK: scf.for %[[J0:.+]] = %{{.+}} to %{{.+}} step %c60
// CHECK:   %[[S:.+]] = tensor.extract %{{.+}}[%c0] : tensor<1xi64>
// CHECK:   arith.cmpi sge, %[[S]], %c1_i64 : i64
// CHECK:   %[[D:.+]] = arith.select %{{.+}}, %[[S]], %c1_i64 : i64
// CHECK-DAG: %[[QLO:.+]] = arith.divsi %{{.+}}, %[[D]] : i64
// CHECK-DAG: %[[QHI:.+]] = arith.divsi %{{.+}}, %[[D]] : i64
// CHECK:   arith.cmpi eq, %{{.+}}, %{{.+}} : i64
// CHECK:   arith.remsi %{{.+}}, %[[D]] : i64
// CHECK:   scf.if
func.func @strided(%q: tensor<1x1x?x16xf32>, %k: tensor<1x1x?x16xf32>,
                   %v: tensor<1x1x?x16xf32>, %p: tensor<1xi64>)
    -> tensor<1x1x?x16xf32> {
  %o = attn.sdpa %q, %k, %v captures(%p : tensor<1xi64>)
      : tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>
      -> tensor<1x1x?x16xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index, %pt: tensor<1xi64>):
        %c0 = arith.constant 0 : index
        %zero = arith.constant 0 : i64
        %s = tensor.extract %pt[%c0] : tensor<1xi64>
        %k64 = arith.index_cast %ki : index to i64
        %r = arith.remsi %k64, %s : i64
        %keep = arith.cmpi eq, %r, %zero : i64
        attn.yield %keep : i1
      }
  return %o : tensor<1x1x?x16xf32>
}

// -----

// Decode: a task covers its KV head's group of 4 query heads, so h is the
// range [4 kvh, 4 kvh + 3]: heads below 2 see every key, the others the
// first 100. A step past key 100 is full for KV head 0 and empty for KV
// head 1; no step is empty for KV head 0.
// CHECK-LABEL: func.func @decode_heads
// CHECK: scf.forall (%[[KVH:.+]], %{{.+}}) in (2, %{{.+}})
// CHECK:   %[[H0:.+]] = arith.muli %[[KVH]], %c4 : index
// CHECK:   scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c128 {
// CHECK:     %[[HLO:.+]] = arith.index_cast %[[H0]] : index to i64
// CHECK:     %[[HEND:.+]] = arith.addi %[[HLO]], %c4_i64 : i64
// CHECK:     arith.cmpi sle, %[[HEND]], %c2147483648_i64 : i64
// CHECK:     %[[HHI:.+]] = arith.addi %[[HLO]], %c3_i64 : i64
// CHECK:     arith.cmpi sge, %[[HHI]], %c2_i64 : i64
// CHECK:     arith.cmpi slt, %[[HLO]], %c2_i64 : i64
// CHECK:     scf.if %{{.+}} {
// CHECK-NEXT: } else {
// CHECK-NEXT:   scf.if
func.func @decode_heads(%qm: memref<1x8x?x16xf32, strided<[?, ?, ?, 1], offset: ?>>,
                        %km: memref<1x2x?x16xf32, strided<[?, ?, ?, 1], offset: ?>>,
                        %vm: memref<1x2x?x16xf32, strided<[?, ?, ?, 1], offset: ?>>)
    -> tensor<1x8x?x16xf32> {
  %q = bufferization.to_tensor %qm restrict
      : memref<1x8x?x16xf32, strided<[?, ?, ?, 1], offset: ?>> to tensor<1x8x?x16xf32>
  %k = bufferization.to_tensor %km restrict
      : memref<1x2x?x16xf32, strided<[?, ?, ?, 1], offset: ?>> to tensor<1x2x?x16xf32>
  %v = bufferization.to_tensor %vm restrict
      : memref<1x2x?x16xf32, strided<[?, ?, ?, 1], offset: ?>> to tensor<1x2x?x16xf32>
  %o = attn.sdpa %q, %k, %v
      : tensor<1x8x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>
      -> tensor<1x8x?x16xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index):
        %c2 = arith.constant 2 : index
        %c100 = arith.constant 100 : index
        %few = arith.cmpi slt, %h, %c2 : index
        %near = arith.cmpi slt, %ki, %c100 : index
        %keep = arith.ori %few, %near : i1
        attn.yield %keep : i1
      }
  return %o : tensor<1x8x?x16xf32>
}

// -----

// Document ids read at q_idx and at kv_idx: once per call, a table of the
// ids' min and max over each block of 16 rows (the query blocks) and one
// over each block of 60 keys (the steps); per step, two reads of each
// (the blocks of the range's first and last index), then the classes.
// CHECK-LABEL: func.func @documents
// CHECK-SAME: %[[DOC:[a-z0-9]+]]: tensor<?xi32>
// CHECK-DAG: %[[QT:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<?x2xi64>)
// CHECK-DAG: %[[KT:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<?x2xi64>)
// CHECK: scf.forall
// CHECK:   scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c60 iter_args(%[[OT:[a-z0-9]+]] = {{.*}})
// CHECK-DAG: tensor.extract %[[QT]][%{{.+}}, %c0] : tensor<?x2xi64>
// CHECK-DAG: tensor.extract %[[QT]][%{{.+}}, %c1] : tensor<?x2xi64>
// CHECK-DAG: tensor.extract %[[KT]][%{{.+}}, %c0] : tensor<?x2xi64>
// CHECK-DAG: tensor.extract %[[KT]][%{{.+}}, %c1] : tensor<?x2xi64>
// CHECK:     scf.if
// CHECK-NEXT:  scf.yield %[[OT]],
func.func @documents(%q: tensor<1x1x?x16xf32>, %k: tensor<1x1x?x16xf32>,
                     %v: tensor<1x1x?x16xf32>, %doc: tensor<?xi32>)
    -> tensor<1x1x?x16xf32> {
  %o = attn.sdpa %q, %k, %v captures(%doc : tensor<?xi32>)
      : tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>
      -> tensor<1x1x?x16xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index, %d: tensor<?xi32>):
        %dq = tensor.extract %d[%qi] : tensor<?xi32>
        %dk = tensor.extract %d[%ki] : tensor<?xi32>
        %keep = arith.cmpi eq, %dq, %dk : i32
        attn.yield %keep : i1
      }
  return %o : tensor<1x1x?x16xf32>
}

// -----

// A read at an index that depends on both q_idx and kv_idx (an allowed
// relative offset) has no table: the steps are not classed, and every step
// runs masked with no class test.
// CHECK-LABEL: func.func @relative
// CHECK-NOT: linalg.generic {{.*}} tensor<?x2xi64>
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c60 iter_args(%[[OT:[a-z0-9]+]] = {{.*}})
// CHECK-NOT: scf.yield %[[OT]],
// CHECK: tensor.extract %{{.+}} : tensor<129xi32>
func.func @relative(%q: tensor<1x1x?x16xf32>, %k: tensor<1x1x?x16xf32>,
                    %v: tensor<1x1x?x16xf32>, %allowed: tensor<129xi32>)
    -> tensor<1x1x?x16xf32> {
  %o = attn.sdpa %q, %k, %v captures(%allowed : tensor<129xi32>)
      : tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>, tensor<1x1x?x16xf32>
      -> tensor<1x1x?x16xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index, %a: tensor<129xi32>):
        %c64 = arith.constant 64 : index
        %zero = arith.constant 0 : i32
        %d = arith.subi %ki, %qi : index
        %i = arith.addi %d, %c64 : index
        %x = tensor.extract %a[%i] : tensor<129xi32>
        %keep = arith.cmpi ne, %x, %zero : i32
        attn.yield %keep : i1
      }
  return %o : tensor<1x1x?x16xf32>
}
