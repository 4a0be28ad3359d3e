func.func @mismatch(%q: tensor<1x2x4x16xf32>, %k: tensor<1x2x4x32xf32>)
    -> tensor<1x2x4x16xf32> {
  %o = attn.sdpa %q, %k, %k
      : tensor<1x2x4x16xf32>, tensor<1x2x4x32xf32>, tensor<1x2x4x32xf32>
      -> tensor<1x2x4x16xf32>
  return %o : tensor<1x2x4x16xf32>
}
