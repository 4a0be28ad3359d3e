// RUN: attn-opt %s --attn-expand-math | FileCheck %s --implicit-check-not=math.exp

// exp becomes a polynomial: no libm call can come out of it.
// CHECK-LABEL: func.func @exp
// CHECK: math.fma
// CHECK: arith.bitcast
// CHECK: return
func.func @exp(%x: f32) -> f32 {
  %e = math.exp %x : f32
  return %e : f32
}
