// Compiled with --no-tile (the reference lowering, no parallel loop of its
// own): calls are split over the dynamic batch at the entry point.
func.func @batched_untiled(%q: tensor<?x2x?x8xf32> {attn.name = "q"},
                           %k: tensor<?x2x?x8xf32> {attn.name = "k"},
                           %v: tensor<?x2x?x8xf32> {attn.name = "v"},
                           %m: tensor<?x?xi1> {attn.name = "mask"})
    -> (tensor<?x2x?x8xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v mask %m causal
      : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>,
        tensor<?x?xi1> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}
