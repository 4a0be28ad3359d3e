// Kernels with named masks (attn.sdpa's `masks`) for sdpa_named_test.cpp.
// Dims are dynamic so that one kernel serves prefill and decode shapes; the
// comments say what the test's reference keeps.

// Top-left causal (PyTorch's is_causal): kv_idx <= q_idx.
func.func @named_causal_top_left(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.causal<top_left>]
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A window of 37 keys back and 5 ahead of the bottom-right diagonal.
func.func @named_window(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.window<left = 37, right = 5>]
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Dilated window (Longformer), top-left: 0 <= q_idx - kv_idx <= 40, a
// multiple of 3.
func.func @named_dilated(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.window<left = 40, alignment = top_left>, #attn.strided<stride = 3, alignment = top_left>]
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Longformer: a band of 16 each side, or one of the first 3 tokens.
func.func @named_longformer(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.any_of<[#attn.window<left = 16, right = 16>, #attn.global_tokens<count = 3>]>]
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A static layout of 16 x 16 blocks, 5 x 8 of them (the rest hidden).
func.func @named_block_layout(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.block_layout<block = 16, layout = dense<[[true, false, false, false, false, false, false, false], [false, true, true, false, true, false, true, true], [true, false, true, false, true, false, false, true], [false, true, true, true, false, true, false, false], [true, false, true, true, true, true, false, false]]> : tensor<5x8xi1>>]
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Key padding from per-batch lengths, with causal.
func.func @named_key_padding_causal(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"},
    %lens: tensor<?xi32> {attn.name = "lens"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.key_padding<lengths = 0>, #attn.causal]
      captures(%lens : tensor<?xi32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Document ids [batch, seq_len] (i64), with causal.
func.func @named_document_causal(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"},
    %doc: tensor<?x?xi64> {attn.name = "doc"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.document<ids = 0>, #attn.causal]
      captures(%doc : tensor<?x?xi64>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Cross-attention documents: query ids and key ids apart (i32, [seq_len]).
func.func @named_document_cross(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"},
    %qdoc: tensor<?xi32> {attn.name = "qdoc"},
    %kdoc: tensor<?xi32> {attn.name = "kdoc"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.document<ids = 0, kv_ids = 1>]
      captures(%qdoc, %kdoc : tensor<?xi32>, tensor<?xi32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Graph adjacency in CSR.
func.func @named_csr(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
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

// Graph adjacency in CSR with a relative-position bias, score + 0.05 *
// (kv_idx - q_idx) (a score_mod): the gather body's scores see each listed
// key's own index.
func.func @named_csr_distance(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"},
    %offsets: tensor<?xi32> {attn.name = "offsets"},
    %columns: tensor<?xi32> {attn.name = "columns"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.csr<offsets = 0, columns = 1>]
      captures(%offsets, %columns : tensor<?xi32>, tensor<?xi32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %qi: index, %ki: index,
           %offs: tensor<?xi32>, %cols: tensor<?xi32>):
        %qi64 = arith.index_cast %qi : index to i64
        %ki64 = arith.index_cast %ki : index to i64
        %dist = arith.subi %ki64, %qi64 : i64
        %df = arith.sitofp %dist : i64 to f32
        %c = arith.constant 0.05 : f32
        %t = arith.mulf %c, %df : f32
        %r = arith.addf %s, %t : f32
        attn.yield %r : f32
      }
  return %o : tensor<?x?x?x?xf32>
}

// Graph adjacency in CSR and top-left causal: the gather body applies the
// causal mask per score (and its span bounds each row's edges).
func.func @named_csr_causal(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"},
    %offsets: tensor<?xi32> {attn.name = "offsets"},
    %columns: tensor<?xi32> {attn.name = "columns"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v
      masks [#attn.csr<offsets = 0, columns = 1>, #attn.causal<top_left>]
      captures(%offsets, %columns : tensor<?xi32>, tensor<?xi32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A union of an intersection: (causal and key padding) or a global token.
func.func @named_union(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"},
    %lens: tensor<?xi64> {attn.name = "lens"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.any_of<[#attn.all_of<[#attn.causal, #attn.key_padding<lengths = 0>]>, #attn.global_tokens<count = 2>]>]
      captures(%lens : tensor<?xi64>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
