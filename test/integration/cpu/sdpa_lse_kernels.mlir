// Kernels for sdpa_lse_test.cpp: attn.sdpa with its logsumexp result
// (`lse`, [batch, q_heads, q_len] f32), compiled once per attnc variant
// (CMakeLists.txt). All shapes are dynamic, so that one kernel runs the
// prefill, decode, split-key-range and gather bodies.

// Plain softmax attention: the output and each row's logsumexp.
func.func @lse_dense(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                     %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                     %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"},
        tensor<?x?x?xf32> {attn.name = "lse"}) {
  %o, %l = attn.sdpa %q, %k, %v
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>, lse tensor<?x?x?xf32>
  return %o, %l : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}

// Causal (bottom-right): when q_len > kv_len the first rows see no key and
// get -inf.
func.func @lse_causal(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                      %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                      %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"},
        tensor<?x?x?xf32> {attn.name = "lse"}) {
  %o, %l = attn.sdpa %q, %k, %v causal {scale = 0.3 : f32}
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>, lse tensor<?x?x?xf32>
  return %o, %l : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}

// An additive f32 bias [batch, 1, q_len, kv_len] and, after it, ALiBi's
// paper slopes in a window of 50 keys before and 20 after each query: the
// logsumexp is over the final scores.
func.func @lse_bias_alibi_window(
    %q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"},
    %bias: tensor<?x1x?x?xf32> {attn.name = "bias"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"},
        tensor<?x?x?xf32> {attn.name = "lse"}) {
  %o, %l = attn.sdpa %q, %k, %v mask %bias
      masks [#attn.window<left = 50, right = 20>] score_mods [#attn.alibi]
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>,
        tensor<?x1x?x?xf32> -> tensor<?x?x?x?xf32>, lse tensor<?x?x?xf32>
  return %o, %l : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}

// A CSR graph's adjacency (rows with few keys take the gather body; empty
// rows get -inf).
func.func @lse_csr(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                   %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                   %v: tensor<?x?x?x?xf32> {attn.name = "v"},
                   %offsets: tensor<?xi32> {attn.name = "offsets"},
                   %columns: tensor<?xi32> {attn.name = "columns"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"},
        tensor<?x?x?xf32> {attn.name = "lse"}) {
  %o, %l = attn.sdpa %q, %k, %v masks [#attn.csr<offsets = 0, columns = 1>]
      captures(%offsets, %columns : tensor<?xi32>, tensor<?xi32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>, lse tensor<?x?x?xf32>
  return %o, %l : tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}

// Static shapes, one query row (decode through the fixed-shape path) with
// a split key range.
func.func @lse_decode_static(%q: tensor<1x8x1x64xf32> {attn.name = "q"},
                             %k: tensor<1x2x3000x64xf32> {attn.name = "k"},
                             %v: tensor<1x2x3000x64xf32> {attn.name = "v"})
    -> (tensor<1x8x1x64xf32> {attn.name = "out"},
        tensor<1x8x1xf32> {attn.name = "lse"}) {
  %o, %l = attn.sdpa %q, %k, %v
      : tensor<1x8x1x64xf32>, tensor<1x2x3000x64xf32>, tensor<1x2x3000x64xf32>
      -> tensor<1x8x1x64xf32>, lse tensor<1x8x1xf32>
  return %o, %l : tensor<1x8x1x64xf32>, tensor<1x8x1xf32>
}
