// Luong attention (Luong et al. 2015) and the projection it uses, for
// luong_test.cpp. Built with `attnc --weights=probs`, so that each function
// with an attention also has F__probs, returning the alignment weights.

// The dot score over a padded batch of source sentences: hidden size, lengths
// and batch all dynamic; the keep-mask [batch, 1, 1, src_len] drops padding.
func.func @luong_dot(%ht: tensor<?x1x?x?xf32>, %hs: tensor<?x1x?x?xf32>,
                     %keep: tensor<?x1x1x?xi1>) -> tensor<?x1x?x?xf32> {
  %c = attn.luong %ht, %hs mask(%keep : tensor<?x1x1x?xi1>)
      : tensor<?x1x?x?xf32>, tensor<?x1x?x?xf32> -> tensor<?x1x?x?xf32>
  return %c : tensor<?x1x?x?xf32>
}

// The general score, one W_a [query_dim, source_dim] (decoder 24, encoder
// 40: sizes that are no multiple of a vector).
func.func @luong_general(%ht: tensor<?x1x?x24xf32>, %hs: tensor<?x1x?x40xf32>,
                         %wa: tensor<24x40xf32>) -> tensor<?x1x?x40xf32> {
  %c = attn.luong %ht, %hs weight(%wa : tensor<24x40xf32>)
      : tensor<?x1x?x24xf32>, tensor<?x1x?x40xf32> -> tensor<?x1x?x40xf32>
  return %c : tensor<?x1x?x40xf32>
}

// The general score with a W_a per query head, four query heads over two
// source heads (GQA).
func.func @luong_general_heads(%ht: tensor<?x4x?x16xf32>,
                               %hs: tensor<?x2x?x32xf32>,
                               %wa: tensor<4x16x32xf32>)
    -> tensor<?x4x?x32xf32> {
  %c = attn.luong %ht, %hs weight(%wa : tensor<4x16x32xf32>)
      : tensor<?x4x?x16xf32>, tensor<?x2x?x32xf32> -> tensor<?x4x?x32xf32>
  return %c : tensor<?x4x?x32xf32>
}

// A whole Luong attention layer: the context c_t by the general score, then
// the attentional hidden state tanh(W_c [c_t; h_t] + b_c).
func.func @luong_layer(%ht: tensor<?x1x?x24xf32>, %hs: tensor<?x1x?x40xf32>,
                       %wa: tensor<24x40xf32>, %wc: tensor<64x24xf32>,
                       %bc: tensor<24xf32>) -> tensor<?x1x?x24xf32> {
  %c = attn.luong %ht, %hs weight(%wa : tensor<24x40xf32>)
      : tensor<?x1x?x24xf32>, tensor<?x1x?x40xf32> -> tensor<?x1x?x40xf32>
  %h = attn.luong_output %c, %ht, %wc bias %bc
      : tensor<?x1x?x40xf32>, tensor<?x1x?x24xf32>, tensor<64x24xf32>,
        tensor<24xf32> -> tensor<?x1x?x24xf32>
  return %h : tensor<?x1x?x24xf32>
}

// The general score in bf16 (the folded query is rounded to bf16).
func.func @luong_general_bf16(%ht: tensor<?x1x?x24xbf16>,
                              %hs: tensor<?x1x?x40xbf16>,
                              %wa: tensor<24x40xbf16>)
    -> tensor<?x1x?x40xf32> {
  %c = attn.luong %ht, %hs weight(%wa : tensor<24x40xbf16>)
      : tensor<?x1x?x24xbf16>, tensor<?x1x?x40xbf16> -> tensor<?x1x?x40xf32>
  return %c : tensor<?x1x?x40xf32>
}

// Three heads projected from one stream, with a bias per head.
func.func @project_heads(%x: tensor<?x1x?x20xf32>, %w: tensor<3x20x12xf32>,
                         %b: tensor<3x12xf32>) -> tensor<?x3x?x12xf32> {
  %y = attn.project %x, %w bias %b
      : tensor<?x1x?x20xf32>, tensor<3x20x12xf32>, tensor<3x12xf32>
      -> tensor<?x3x?x12xf32>
  return %y : tensor<?x3x?x12xf32>
}

// One matrix for every head, all dims dynamic, a bf16 result.
func.func @project_shared_bf16(%x: tensor<?x?x?x?xf32>, %w: tensor<?x?xf32>)
    -> tensor<?x?x?x?xbf16> {
  %y = attn.project %x, %w
      : tensor<?x?x?x?xf32>, tensor<?x?xf32> -> tensor<?x?x?x?xbf16>
  return %y : tensor<?x?x?x?xbf16>
}
