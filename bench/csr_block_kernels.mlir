// #attn.csr with the gather body off (attnc --gather-density=0, see
// bench/CMakeLists.txt): the block body at every density, the row that
// shows where mask_csr's choice of body pays.
func.func @mask_csr_blocks(%q: tensor<?x?x?x?xf32> {attn.name = "q"}, %k: tensor<?x?x?x?xf32> {attn.name = "k"}, %v: tensor<?x?x?x?xf32> {attn.name = "v"}, %offsets: tensor<?xi32> {attn.name = "offsets"}, %columns: tensor<?xi32> {attn.name = "columns"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.csr<offsets = 0, columns = 1>] captures(%offsets, %columns : tensor<?xi32>, tensor<?xi32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
