func.func @broken(%q: tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32> {
  %o = attn.sdpa %q, %q, %q causal
      : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}
