// A Luong attention layer of an RNN decoder (general score, then the
// attentional hidden state), with named arguments.
func.func @luong_layer(%ht: tensor<?x1x?x24xf32> {attn.name = "ht"},
                       %hs: tensor<?x1x?x40xf32> {attn.name = "hs"},
                       %wa: tensor<24x40xf32> {attn.name = "wa"},
                       %wc: tensor<64x24xf32> {attn.name = "wc"})
    -> (tensor<?x1x?x24xf32> {attn.name = "h_tilde"}) {
  %c = attn.luong %ht, %hs weight(%wa : tensor<24x40xf32>)
      {attn.name = "align"}
      : tensor<?x1x?x24xf32>, tensor<?x1x?x40xf32> -> tensor<?x1x?x40xf32>
  %h = attn.luong_output %c, %ht, %wc
      : tensor<?x1x?x40xf32>, tensor<?x1x?x24xf32>, tensor<64x24xf32>
      -> tensor<?x1x?x24xf32>
  return %h : tensor<?x1x?x24xf32>
}
