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
