// Dynamic heads from a weight per head: the input's single head is read
// for each, and the bias has the weight's heads.
func.func @heads(%x: tensor<?x1x?x16xf32> {attn.name = "x"},
                 %w: tensor<?x16x8xf32> {attn.name = "w"},
                 %b: tensor<?x8xf32> {attn.name = "b"})
    -> (tensor<?x?x?x8xf32> {attn.name = "y"}) {
  %y = attn.project %x, %w bias %b
      : tensor<?x1x?x16xf32>, tensor<?x16x8xf32>, tensor<?x8xf32>
      -> tensor<?x?x?x8xf32>
  return %y : tensor<?x?x?x8xf32>
}
// Per-head rows and weights: the input's heads are the weight's.
func.func @per_head(%x: tensor<?x?x?x?xf32> {attn.name = "x"},
                    %w: tensor<?x?x?xf32> {attn.name = "w"})
    -> (tensor<?x?x?x?xf32> {attn.name = "y"}) {
  %y = attn.project %x, %w
      : tensor<?x?x?x?xf32>, tensor<?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %y : tensor<?x?x?x?xf32>
}
