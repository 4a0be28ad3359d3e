// RUN: attn-opt %s --attn-tile="vector-width=16 vector-registers=32" --canonicalize --cse | FileCheck %s
// RUN: attn-opt %s --attn-tile="vector-width=0" | FileCheck %s --check-prefix=SCALAR

// Named score modifiers in the vector body (passes/tile/NamedScoreMods.h):
// #attn.alibi's slope (the paper's, for 4 heads: 2^(-8 (h + 1) / 4), as
// exp(-x ln 2)) and the rows' positions q_idx + kv_len - q_len (a vector
// of the rows, in f32) once per key step; per score vector, the key's
// position broadcast, minus the rows', times the slope, added to the score
// in natural units (times ln 2 in, log2(e) out).
// CHECK-LABEL: func.func @alibi
// CHECK-DAG: %[[LN2:.+]] = arith.constant dense<0.693147182> : vector<16xf32>
// CHECK-DAG: %[[LOG2E:.+]] = arith.constant dense<1.44269502> : vector<16xf32>
// CHECK: scf.forall
// CHECK: %[[SLOPE:.+]] = math.exp %{{.+}} : f32
// CHECK: %[[ROWS:.+]] = arith.sitofp %{{.+}} : vector<16xi64> to vector<16xf32>
// CHECK: scf.for
// CHECK: %[[NAT:.+]] = arith.mulf %{{.+}}, %[[LN2]] : vector<16xf32>
// CHECK: %[[KEY:.+]] = arith.sitofp %{{.+}} : i64 to f32
// CHECK: %[[KEYV:.+]] = vector.broadcast %[[KEY]] : f32 to vector<16xf32>
// CHECK: %[[DIST:.+]] = arith.subf %[[KEYV]], %[[ROWS]] : vector<16xf32>
// CHECK: %[[SLOPEV:.+]] = vector.broadcast %[[SLOPE]] : f32 to vector<16xf32>
// CHECK: %[[BIAS:.+]] = arith.mulf %[[SLOPEV]], %[[DIST]] : vector<16xf32>
// CHECK: %[[SUM:.+]] = arith.addf %[[NAT]], %[[BIAS]] : vector<16xf32>
// CHECK: arith.mulf %[[SUM]], %[[LOG2E]] : vector<16xf32>
// Without vectors, the op is left to attn-decompose, which applies the
// modifier in its untiled scores.
// SCALAR-LABEL: func.func @alibi
// SCALAR: attn.sdpa {{.*}} score_mods [#attn.alibi]
func.func @alibi(%q: tensor<1x4x?x64xf32>, %k: tensor<1x4x?x64xf32>,
                 %v: tensor<1x4x?x64xf32>) -> tensor<1x4x?x64xf32> {
  %o = attn.sdpa %q, %k, %v score_mods [#attn.alibi]
      : tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>, tensor<1x4x?x64xf32>
        -> tensor<1x4x?x64xf32>
  return %o : tensor<1x4x?x64xf32>
}
