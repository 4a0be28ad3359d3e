// Kernels for the numerical tests (sdpa_numerics_test.cpp). Compiled by attnc
// at build time through attnc_add_kernel. Dims are dynamic so that one kernel
// serves the whole grid of shapes.

// Plain SDPA; GQA when q_heads > kv_heads; default scale 1/sqrt(head_dim)
// computed at run time.
func.func @sdpa_dyn(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                    %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

func.func @sdpa_causal_dyn(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                           %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                           %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// i1 keep-mask per batch, broadcast over heads.
func.func @sdpa_bool_mask(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                          %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                          %v: tensor<?x?x?x?xf32> {attn.name = "v"},
                          %m: tensor<?x1x?x?xi1> {attn.name = "mask"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v mask %m
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>,
        tensor<?x1x?x?xi1> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Additive bias per query head, broadcast over batch, combined with causal.
func.func @sdpa_bias_causal(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                            %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                            %v: tensor<?x?x?x?xf32> {attn.name = "v"},
                            %m: tensor<1x?x?x?xf32> {attn.name = "bias"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v mask %m causal
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>,
        tensor<1x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Rank-2 i1 mask [q_len, kv_len], shared by every batch and head.
func.func @sdpa_mask2d(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                       %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                       %v: tensor<?x?x?x?xf32> {attn.name = "v"},
                       %m: tensor<?x?xi1> {attn.name = "mask"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v mask %m
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>,
        tensor<?x?xi1> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Dense masks with every dim dynamic: any dim may be 1 at run time and
// broadcast, as PyTorch broadcasts attn_mask ([batch, 1, q_len, kv_len],
// [batch, 1, 1, kv_len] key padding, ...).
func.func @sdpa_mask_any(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                         %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                         %v: tensor<?x?x?x?xf32> {attn.name = "v"},
                         %m: tensor<?x?x?x?xi1> {attn.name = "mask"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v mask %m
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>,
        tensor<?x?x?x?xi1> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

func.func @sdpa_bias_any_causal(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                                %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                                %v: tensor<?x?x?x?xf32> {attn.name = "v"},
                                %m: tensor<?x?x?x?xf32> {attn.name = "bias"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v mask %m causal
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>,
        tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Key padding with static broadcast dims: [batch, 1, 1, kv_len].
func.func @sdpa_key_padding(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                            %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                            %v: tensor<?x?x?x?xf32> {attn.name = "v"},
                            %m: tensor<?x1x1x?xi1> {attn.name = "mask"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v mask %m
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>,
        tensor<?x1x1x?xi1> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A rank-2 bias with a static 1 key dim: one bias per query row.
func.func @sdpa_row_bias(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                         %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                         %v: tensor<?x?x?x?xf32> {attn.name = "v"},
                         %m: tensor<?x1xf32> {attn.name = "bias"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v mask %m
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>,
        tensor<?x1xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Fully static GQA (8 query heads over 2 KV heads), v_head_dim != head_dim,
// an explicit scale, causal with q_len < kv_len.
func.func @sdpa_static_gqa(%q: tensor<2x8x65x80xf32> {attn.name = "q"},
                           %k: tensor<2x2x127x80xf32> {attn.name = "k"},
                           %v: tensor<2x2x127x48xf32> {attn.name = "v"})
    -> (tensor<2x8x65x48xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v causal {scale = 0.3 : f32}
      : tensor<2x8x65x80xf32>, tensor<2x2x127x80xf32>, tensor<2x2x127x48xf32>
      -> tensor<2x8x65x48xf32>
  return %o : tensor<2x8x65x48xf32>
}

// Two results from one function: both outputs are checked by the runtime.
func.func @sdpa_two_outputs(%q: tensor<1x2x?x16xf32> {attn.name = "q"},
                            %k: tensor<1x2x?x16xf32> {attn.name = "k"},
                            %v: tensor<1x2x?x16xf32> {attn.name = "v"})
    -> (tensor<1x2x?x16xf32> {attn.name = "full"},
        tensor<1x2x?x16xf32> {attn.name = "causal"}) {
  %a = attn.sdpa %q, %k, %v
      : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>
      -> tensor<1x2x?x16xf32>
  %b = attn.sdpa %q, %k, %v causal
      : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>
      -> tensor<1x2x?x16xf32>
  return %a, %b : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>
}

// Static query heads over dynamic KV heads (a mixed static/dynamic GQA
// view), causal.
func.func @sdpa_q8_kvdyn(%q: tensor<?x8x?x?xf32> {attn.name = "q"},
                         %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                         %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x8x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<?x8x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x8x?x?xf32>
  return %o : tensor<?x8x?x?xf32>
}
