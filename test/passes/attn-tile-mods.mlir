// RUN: attn-opt %s --attn-tile="vector-width=16 vector-registers=32" --canonicalize --cse | FileCheck %s
// RUN: attn-opt %s --attn-tile="vector-width=0" | FileCheck %s --check-prefix=SCALAR

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
// The steps before the first partial one: the score_mod only.
// CHECK: scf.for
// CHECK: %[[N:.+]] = arith.mulf %{{.+}}, %[[LN2]] : vector<16xf32>
// CHECK-NEXT: %[[D:.+]] = arith.divf %[[N]], %[[CAP]] : vector<16xf32>
// CHECK-NEXT: %[[T:.+]] = math.tanh %[[D]] : vector<16xf32>
// CHECK-NEXT: %[[C:.+]] = arith.mulf %[[T]], %[[CAP]] : vector<16xf32>
// CHECK-NEXT: arith.mulf %[[C]], %[[LOG2E]] : vector<16xf32>
// CHECK-NOT: arith.cmpi eq
// The partial steps: the rows' document ids, then per key.
// CHECK: scf.for %[[J0:.+]] = %{{.+}} to %{{.+}} step %c60
// CHECK: %[[LANES:.+]] = arith.minsi %{{.+}}, %{{.+}} : vector<16xi32>
// CHECK: %[[LANEI:.+]] = arith.index_cast %[[LANES]] : vector<16xi32> to vector<16xindex>
// CHECK: %[[QI:.+]] = arith.addi %{{.+}}, %[[LANEI]] : vector<16xindex>
// CHECK: %[[Q0:.+]] = vector.extract %[[QI]][0] : index from vector<16xindex>
// CHECK: tensor.extract %[[DOC:.+]][%[[Q0]]] : tensor<?xi32>
// CHECK-COUNT-15: tensor.extract %[[DOC]]
// CHECK: %[[DQ:.+]] = vector.from_elements {{.*}} : vector<16xi32>
// CHECK: scf.for
// CHECK: math.tanh
// CHECK: %[[DK:.+]] = tensor.extract %[[DOC]][%{{.+}}] : tensor<?xi32>
// CHECK-NEXT: %[[DKV:.+]] = vector.broadcast %[[DK]] : i32 to vector<16xi32>
// CHECK-NEXT: %[[KEEP:.+]] = arith.cmpi eq, %[[DQ]], %[[DKV]] : vector<16xi32>
// CHECK-NEXT: arith.select %[[KEEP]], %{{.+}}, %{{.+}} : vector<16xi1>, vector<16xf32>

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
