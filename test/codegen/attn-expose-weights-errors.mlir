// RUN: attn-opt %s --split-input-file --attn-expose-weights="kinds=probs" -verify-diagnostics

// A clash with an existing symbol is an error at F.
// expected-error @+1 {{cannot add 'h__probs', the copy of 'h' that also returns its attention weights: the module already has a symbol of that name}}
func.func @h(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %o = attn.sdpa %q, %q, %q
      : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
      -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}
func.func private @h__probs()

// -----

// An op inside a loop has no single value for F__lse to return.
func.func @loop(%q: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %r = scf.for %i = %c0 to %c2 step %c1 iter_args(%x = %q)
      -> (tensor<1x1x4x8xf32>) {
    // expected-error @+1 {{cannot return this attn.sdpa's attention weights from 'loop__probs' (attnc --weights): it is inside 'scf.for', and only ops at the function's top level can}}
    %o = attn.sdpa %x, %q, %q
        : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>
        -> tensor<1x1x4x8xf32>
    scf.yield %o : tensor<1x1x4x8xf32>
  }
  return %r : tensor<1x1x4x8xf32>
}
