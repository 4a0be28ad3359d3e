// Kernels for sdpa_weights_test.cpp, compiled with `attnc --weights=lse,probs`
// (CMakeLists.txt): each function F below is exported as F, as F__lse (every
// attn.sdpa's logsumexp as extra results) and as F__probs (their attention
// weights, [batch, q_heads, q_len, kv_len]). All shapes are dynamic.

// Plain softmax attention.
func.func @w_dense(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                   %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                   %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Causal (bottom-right): weights above the diagonal are 0, and so are all
// of a row's when q_len > kv_len leaves it no key.
func.func @w_causal(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                    %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v causal {scale = 0.3 : f32}
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// An additive bias with -inf holes, ALiBi and a window: the weights are
// the softmax of the final scores.
func.func @w_bias_alibi_window(
    %q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"},
    %bias: tensor<?x1x?x?xf32> {attn.name = "bias"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v mask %bias
      masks [#attn.window<left = 50, right = 20>] score_mods [#attn.alibi]
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>,
        tensor<?x1x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A CSR graph's adjacency: the weights are dense, 0 off the graph.
func.func @w_csr(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                 %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                 %v: tensor<?x?x?x?xf32> {attn.name = "v"},
                 %offsets: tensor<?xi32> {attn.name = "offsets"},
                 %columns: tensor<?xi32> {attn.name = "columns"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.csr<offsets = 0, columns = 1>]
      captures(%offsets, %columns : tensor<?xi32>, tensor<?xi32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Two attention ops: their weights are returned in program order (probs0,
// probs1), and an lse result the function already returns is reused, not
// computed twice.
func.func @w_two(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                 %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                 %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "dense"},
        tensor<?x?x?x?xf32> {attn.name = "causal"},
        tensor<?x?x?xf32> {attn.name = "causal_lse"}) {
  %o1 = attn.sdpa %q, %k, %v
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  %o2, %l2 = attn.sdpa %q, %k, %v causal {scale = 0.3 : f32}
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>, lse tensor<?x?x?xf32>
  return %o1, %o2, %l2
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?xf32>
}
