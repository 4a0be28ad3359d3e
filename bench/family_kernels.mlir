// The attention family's rows of bench/family_bench.cpp (run_family.sh):
// Luong attention as an NMT decoder runs it. Hidden size 512 on both sides,
// dynamic batch and lengths.

// The general score and the context, h_tᵀ W_a h̄_s.
func.func @luong_general(%ht: tensor<?x1x?x512xf32>,
                         %hs: tensor<?x1x?x512xf32>,
                         %wa: tensor<512x512xf32>) -> tensor<?x1x?x512xf32> {
  %c = attn.luong %ht, %hs weight(%wa : tensor<512x512xf32>)
      : tensor<?x1x?x512xf32>, tensor<?x1x?x512xf32> -> tensor<?x1x?x512xf32>
  return %c : tensor<?x1x?x512xf32>
}

// The whole attention layer: the context, then tanh(W_c [c; h_t] + b).
func.func @luong_layer(%ht: tensor<?x1x?x512xf32>, %hs: tensor<?x1x?x512xf32>,
                       %wa: tensor<512x512xf32>, %wc: tensor<1024x512xf32>,
                       %bc: tensor<512xf32>) -> tensor<?x1x?x512xf32> {
  %c = attn.luong %ht, %hs weight(%wa : tensor<512x512xf32>)
      : tensor<?x1x?x512xf32>, tensor<?x1x?x512xf32> -> tensor<?x1x?x512xf32>
  %h = attn.luong_output %c, %ht, %wc bias %bc
      : tensor<?x1x?x512xf32>, tensor<?x1x?x512xf32>, tensor<1024x512xf32>,
        tensor<512xf32> -> tensor<?x1x?x512xf32>
  return %h : tensor<?x1x?x512xf32>
}
