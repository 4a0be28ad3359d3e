// Kernels for report.test.
func.func @causal_top_left(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                           %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.sdpa %q, %k, %v masks [#attn.causal<top_left>]
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

func.func @window_or_global(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                            %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.sdpa %q, %k, %v
      masks [#attn.any_of<[#attn.window<left = 63>, #attn.global_tokens<count = 1>]>]
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

func.func @padding(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                   %v: tensor<?x?x?x?xf32>, %l: tensor<?xi32>) -> tensor<?x?x?x?xf32> {
  %o = attn.sdpa %q, %k, %v masks [#attn.key_padding<lengths = 0>] captures(%l : tensor<?xi32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
