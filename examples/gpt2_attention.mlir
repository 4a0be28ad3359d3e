// The attention core of GPT-2 small (Radford et al., 2019): 12 heads of
// head_dim 64, causal. batch and seq_len are dynamic, so one compiled kernel
// serves every prompt length; seq_len is bounded by GPT-2's context of 1024
// tokens (attn.max_dims), and a longer call fails with ATTN_ERR_SHAPE. The
// scale is the default 1/sqrt(64) = 0.125.
//
//   query, key, value, out: f32 [batch, 12, seq_len, 64]
//
// Build: attnc gpt2_attention.mlir -o gpt2_attention.o  (also writes .h)
func.func @gpt2_attention(
    %q: tensor<?x12x?x64xf32> {attn.name = "query",
                               attn.max_dims = array<i64: -1, -1, 1024, -1>},
    %k: tensor<?x12x?x64xf32> {attn.name = "key",
                               attn.max_dims = array<i64: -1, -1, 1024, -1>},
    %v: tensor<?x12x?x64xf32> {attn.name = "value"})
    -> (tensor<?x12x?x64xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>, tensor<?x12x?x64xf32>
      -> tensor<?x12x?x64xf32>
  return %o : tensor<?x12x?x64xf32>
}
