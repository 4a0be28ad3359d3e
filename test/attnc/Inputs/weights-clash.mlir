// attnc --weights=lse cannot add sdpa__lse: the module defines it.
func.func @sdpa(%q: tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32> {
  %o = attn.sdpa %q, %q, %q : tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>,
      tensor<1x2x4x16xf32> -> tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}
func.func @sdpa__lse(%q: tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32> {
  return %q : tensor<1x2x4x16xf32>
}
