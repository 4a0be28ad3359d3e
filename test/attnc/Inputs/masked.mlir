// A dense mask whose dynamic dims may broadcast (header test).
func.func @masked(%q: tensor<?x8x?x64xf32> {attn.name = "q"},
                  %k: tensor<?x2x?x64xf32> {attn.name = "k"},
                  %v: tensor<?x2x?x64xf32> {attn.name = "v"},
                  %m: tensor<?x?x?x?xi1> {attn.name = "mask"})
    -> (tensor<?x8x?x64xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v mask %m
      : tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32>,
        tensor<?x?x?x?xi1> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}
