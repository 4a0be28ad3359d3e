// A small kernel for the multiversion tests.
func.func @small(%q: tensor<1x2x?x32xf32>, %k: tensor<1x2x?x32xf32>,
                 %v: tensor<1x2x?x32xf32>) -> tensor<1x2x?x32xf32> {
  %o = attn.sdpa %q, %k, %v
      : tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>, tensor<1x2x?x32xf32>
      -> tensor<1x2x?x32xf32>
  return %o : tensor<1x2x?x32xf32>
}
