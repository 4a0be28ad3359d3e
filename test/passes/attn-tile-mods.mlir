// RUN: attn-opt %s --attn-tile="vector-width=16 vector-registers=32" --canonicalize --cse --split-input-file | FileCheck %s
// RUN: attn-opt %s --attn-tile="vector-width=0" --split-input-file | FileCheck %s --check-prefix=SCALAR

// mask_mod and score_mod in the vector body (passes/tile/UserMods.h): the
// score_mod's ops on the score vectors, in natural units (times ln 2 in,
// log2(e) out); the mask_mod's key-independent value doc[q_idx] gathered
// per lane once per key step (q_idx is a vector of the rows, lanes past the
// task's rows clamped to its last), and its key-dependent part per key:
// doc[kv_idx] a scalar, broadcast, compared with the rows' vector.
// CHECK-LABEL: func.func @document_softcap
// CHECK-DAG: %[[CAP:.+]] = arith.constant dense<5.000000e+00> : vector<16xf32>
// CHECK-DAG: %[[LN2:.+]] = arith.constant dense<0.693147182> : vector<16xf32>
// CHECK-DAG: %[[LOG2E:.+]] = arith.constant dense<1.44269502> : vector<16xf32>
// This mask_mod's yield depends on doc[kv_idx], a read at a varying index,
// so its steps are not classed (ModIntervals.h): one loop of partial key
// steps, no unmasked one.
// CHECK: scf.forall
// CHECK-NOT: step %c60
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c60
// CHECK-NOT: step %c60
// The rows' document ids, once per step.
// CHECK: %[[LANES:.+]] = arith.minsi %{{.+}}, %{{.+}} : vector<16xi32>
// CHECK: %[[LANEI:.+]] = arith.index_cast %[[LANES]] : vector<16xi32> to vector<16xindex>
// CHECK: %[[QI:.+]] = arith.addi %{{.+}}, %[[LANEI]] : vector<16xindex>
// CHECK: %[[Q0:.+]] = vector.extract %[[QI]][0] : index from vector<16xindex>
// CHECK: tensor.extract %[[DOC:.+]][%[[Q0]]] : tensor<?xi32>
// CHECK-COUNT-15: tensor.extract %[[DOC]]
// CHECK: %[[DQ:.+]] = vector.from_elements {{.*}} : vector<16xi32>
// Per score vector of a register block: score_mod, then mask_mod.
// CHECK: scf.for
// CHECK: %[[N:.+]] = arith.mulf %{{.+}}, %[[LN2]] : vector<16xf32>
// CHECK-NEXT: %[[D:.+]] = arith.divf %[[N]], %[[CAP]] : vector<16xf32>
// CHECK-NEXT: %[[T:.+]] = math.tanh %[[D]] : vector<16xf32>
// CHECK-NEXT: %[[C:.+]] = arith.mulf %[[T]], %[[CAP]] : vector<16xf32>
// CHECK-NEXT: %[[S:.+]] = arith.mulf %[[C]], %[[LOG2E]] : vector<16xf32>
// CHECK-NEXT: %[[DK:.+]] = tensor.extract %[[DOC]][%{{.+}}] : tensor<?xi32>
// CHECK-NEXT: %[[DKV:.+]] = vector.broadcast %[[DK]] : i32 to vector<16xi32>
// CHECK-NEXT: %[[KEEP:.+]] = arith.cmpi eq, %[[DQ]], %[[DKV]] : vector<16xi32>
// CHECK-NEXT: arith.select %[[KEEP]], %[[S]], %{{.+}} : vector<16xi1>, vector<16xf32>

// Without vectors the op is left to attn-decompose.
// SCALAR-LABEL: func.func @document_softcap
// SCALAR-NOT: scf.forall
// SCALAR: attn.sdpa {{.*}} captures({{.*}}) {{.*}} mask_mod
func.func @document_softcap(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>,
                            %v: tensor<1x2x?x16xf32>, %doc: tensor<?xi32>)
    -> tensor<1x2x?x16xf32> {
  %o = attn.sdpa %q, %k, %v captures(%doc : tensor<?xi32>)
      : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>
      -> tensor<1x2x?x16xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index, %d: tensor<?xi32>):
        %dq = tensor.extract %d[%qi] : tensor<?xi32>
        %dk = tensor.extract %d[%ki] : tensor<?xi32>
        %keep = arith.cmpi eq, %dq, %dk : i32
        attn.yield %keep : i1
      } score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %qi: index, %ki: index,
           %d: tensor<?xi32>):
        %c = arith.constant 5.0 : f32
        %x = arith.divf %s, %c : f32
        %t = math.tanh %x : f32
        %r = arith.mulf %t, %c : f32
        attn.yield %r : f32
      }
  return %o : tensor<1x2x?x16xf32>
}

// -----

// A mod with a per-lane read that depends on the key (a bias table at
// kv_idx - q_idx) is too large for every score of a register block: it runs
// in one loop over the step's scores after them, which also takes the block
// max; the bias mask after it runs there too, keeping the op's order.
// CHECK-LABEL: func.func @relative_table
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c60
// CHECK: vector.fma
// CHECK-NOT: tensor.extract %arg4
// CHECK: scf.for %{{.+}} = %c0 to %{{.+}} step %c1 iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (tensor<60x16xf32>, vector<16xf32>)
// CHECK: vector.transfer_read
// CHECK-COUNT-16: tensor.extract %arg4
// CHECK: vector.from_elements
// CHECK: arith.addf
// CHECK: tensor.extract %arg3
// CHECK: arith.maxnumf
// CHECK: vector.transfer_write
func.func @relative_table(%q: tensor<1x2x?x16xf32>, %k: tensor<1x2x?x16xf32>,
                          %v: tensor<1x2x?x16xf32>, %m: tensor<?x?xf32>,
                          %table: tensor<2x17xf32>) -> tensor<1x2x?x16xf32> {
  %o = attn.sdpa %q, %k, %v mask %m captures(%table : tensor<2x17xf32>)
      : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>,
        tensor<?x?xf32> -> tensor<1x2x?x16xf32>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %qi: index, %ki: index,
           %tb: tensor<2x17xf32>):
        %r8 = arith.constant 8 : index
        %lo = arith.constant -8 : index
        %d = arith.subi %ki, %qi : index
        %c0 = arith.maxsi %d, %lo : index
        %c1 = arith.minsi %c0, %r8 : index
        %col = arith.addi %c1, %r8 : index
        %t = tensor.extract %tb[%h, %col] : tensor<2x17xf32>
        %r = arith.addf %s, %t : f32
        attn.yield %r : f32
      }
  return %o : tensor<1x2x?x16xf32>
}
