// The weights rows of bench/mask_bench.cpp: one causal kernel compiled with
// `attnc --weights=lse,probs` (bench/CMakeLists.txt), so that the same run
// times F, F__lse and F__probs on the same shape.
func.func @weights_causal(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                          %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                          %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
