// Kernels for block_stats_test.cpp, built with --count-blocks and fixed
// blocks (--q-block=32 --kv-block=64) so that the test knows the kernels'
// blocks. Dims are dynamic: one kernel serves prefill and decode.

func.func @stats_dense(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Bottom-right causal.
func.func @stats_causal(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A bottom-right window of 100 keys back and 10 ahead.
func.func @stats_window(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.window<left = 100, right = 10>]
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Key padding from per-batch lengths (i32).
func.func @stats_key_padding(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"},
    %lens: tensor<?xi32> {attn.name = "lens"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.key_padding<lengths = 0>]
      captures(%lens : tensor<?xi32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A static layout of 64 x 64 blocks (4 x 6 of them; queries and keys past
// it see nothing).
func.func @stats_block_layout(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.block_layout<block = 64, layout = dense<[[true, false, true, false, false, true], [true, true, false, false, true, false], [true, false, false, true, false, false], [true, false, true, false, false, true]]> : tensor<4x6xi1>>]
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Documents as a mask_mod: doc[b, q_idx] == doc[b, kv_idx] (i64 ids,
// self-attention), classed by the region's intervals over per-call tables.
func.func @stats_document_mod(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"},
    %doc: tensor<?x?xi64> {attn.name = "doc"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v captures(%doc : tensor<?x?xi64>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index, %d: tensor<?x?xi64>):
        %x = tensor.extract %d[%b, %qi] : tensor<?x?xi64>
        %y = tensor.extract %d[%b, %ki] : tensor<?x?xi64>
        %keep = arith.cmpi eq, %x, %y : i64
        attn.yield %keep : i1
      }
  return %o : tensor<?x?x?x?xf32>
}

// A stride of 100 keys (bottom-right): steps without a multiple of 100
// among their diagonal distances are skipped.
func.func @stats_strided(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.strided<stride = 100>]
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Graph adjacency in CSR: sparse rows take the gather body.
func.func @stats_csr(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
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

// Top-left causal as a mask_mod: the task's keys end at its last row's
// diagonal (found by bisection on the region's intervals), as the named
// mask's do.
func.func @stats_causal_mod(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index):
        %keep = arith.cmpi ule, %ki, %qi : index
        attn.yield %keep : i1
      }
  return %o : tensor<?x?x?x?xf32>
}

// A top-left window of 100 keys back and 10 ahead as a mask_mod: keys
// before the band and after it are never visited.
func.func @stats_window_mod(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index):
        %c10 = arith.constant 10 : index
        %c100 = arith.constant 100 : index
        %ahead = arith.addi %qi, %c10 : index
        %back = arith.addi %ki, %c100 : index
        %x = arith.cmpi ule, %ki, %ahead : index
        %y = arith.cmpi ule, %qi, %back : index
        %keep = arith.andi %x, %y : i1
        attn.yield %keep : i1
      }
  return %o : tensor<?x?x?x?xf32>
}
