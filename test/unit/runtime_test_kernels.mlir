// Kernels whose entry points runtime_test.cpp calls with bad arguments.

// Static batch/heads/head_dim, dynamic lengths, GQA 4 -> 2.
func.func @checked(%q: tensor<2x4x?x8xf32> {attn.name = "q",
                       attn.max_dims = array<i64: -1, -1, 64, -1>},
                   %k: tensor<2x2x?x8xf32> {attn.name = "k"},
                   %v: tensor<2x2x?x8xf32> {attn.name = "v"},
                   %m: tensor<1x1x?x?xi1> {attn.name = "mask"})
    -> (tensor<2x4x?x8xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v mask %m
      : tensor<2x4x?x8xf32>, tensor<2x2x?x8xf32>, tensor<2x2x?x8xf32>,
        tensor<1x1x?x?xi1> -> tensor<2x4x?x8xf32>
  return %o : tensor<2x4x?x8xf32>
}

// Fully dynamic heads: q_heads must be a multiple of kv_heads at run time.
func.func @dyn_heads(%q: tensor<1x?x4x8xf32> {attn.name = "q"},
                     %k: tensor<1x?x4x8xf32> {attn.name = "k"},
                     %v: tensor<1x?x4x8xf32> {attn.name = "v"})
    -> (tensor<1x?x4x8xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v
      : tensor<1x?x4x8xf32>, tensor<1x?x4x8xf32>, tensor<1x?x4x8xf32>
      -> tensor<1x?x4x8xf32>
  return %o : tensor<1x?x4x8xf32>
}

// Dynamic batch: calls are split over the batch through attn_parallel_for.
// The rank-2 mask has no batch dim and is passed whole to every task.
func.func @batched(%q: tensor<?x2x?x8xf32> {attn.name = "q"},
                   %k: tensor<?x2x?x8xf32> {attn.name = "k"},
                   %v: tensor<?x2x?x8xf32> {attn.name = "v"},
                   %m: tensor<?x?xi1> {attn.name = "mask"})
    -> (tensor<?x2x?x8xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v mask %m causal
      : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>,
        tensor<?x?xi1> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}
