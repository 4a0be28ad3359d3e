func.func @sdpa_bf16(%q: tensor<1x2x?x64xbf16> {attn.name = "q"},
                     %k: tensor<1x2x?x64xbf16> {attn.name = "k"},
                     %v: tensor<1x2x?x64xbf16> {attn.name = "v"})
    -> (tensor<1x2x?x64xbf16> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<1x2x?x64xbf16>, tensor<1x2x?x64xbf16>, tensor<1x2x?x64xbf16>
      -> tensor<1x2x?x64xbf16>
  return %o : tensor<1x2x?x64xbf16>
}
