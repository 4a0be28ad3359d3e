func.func @bad(%c: tensor<?x1x?x40xf32>, %ht: tensor<?x1x?x24xf32>,
               %wc: tensor<60x24xf32>) -> tensor<?x1x?x24xf32> {
  // W_c has too few rows for [c; h_t].
  %h = attn.luong_output %c, %ht, %wc
      : tensor<?x1x?x40xf32>, tensor<?x1x?x24xf32>, tensor<60x24xf32>
      -> tensor<?x1x?x24xf32>
  return %h : tensor<?x1x?x24xf32>
}
