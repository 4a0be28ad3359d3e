func.func @sdpa(%q: tensor<1x2x?x16xf32> {attn.name = "q"},
                %k: tensor<1x2x?x16xf32> {attn.name = "k"},
                %v: tensor<1x2x?x16xf32> {attn.name = "v"})
    -> (tensor<1x2x?x16xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>
      -> tensor<1x2x?x16xf32>
  return %o : tensor<1x2x?x16xf32>
}
