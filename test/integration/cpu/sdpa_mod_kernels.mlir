// Kernels with mask_mod and score_mod regions for sdpa_mod_test.cpp. Dims
// are dynamic so that one kernel serves prefill and decode shapes; each
// kernel's comment names the mod as the test's reference writes it.

// Key padding: kv_idx < lens[b] (per-batch lengths, i32).
func.func @mod_key_padding(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                           %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                           %v: tensor<?x?x?x?xf32> {attn.name = "v"},
                           %lens: tensor<?xi32> {attn.name = "lens"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v captures(%lens : tensor<?xi32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index, %len: tensor<?xi32>):
        %l = tensor.extract %len[%b] : tensor<?xi32>
        %li = arith.index_cast %l : i32 to index
        %keep = arith.cmpi ult, %ki, %li : index
        attn.yield %keep : i1
      }
  return %o : tensor<?x?x?x?xf32>
}

// Document masking with causal: doc[b, q_idx] == doc[b, kv_idx] (i64 ids,
// self-attention: q_len = kv_len).
func.func @mod_document_causal(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                               %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                               %v: tensor<?x?x?x?xf32> {attn.name = "v"},
                               %doc: tensor<?x?xi64> {attn.name = "doc"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v causal captures(%doc : tensor<?x?xi64>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index, %d: tensor<?x?xi64>):
        %dq = tensor.extract %d[%b, %qi] : tensor<?x?xi64>
        %dk = tensor.extract %d[%b, %ki] : tensor<?x?xi64>
        %keep = arith.cmpi eq, %dq, %dk : i64
        attn.yield %keep : i1
      }
  return %o : tensor<?x?x?x?xf32>
}

// A sliding window of 37 keys ending at the diagonal (bottom-right):
// q_idx + kv_len - q_len - kv_idx < 37, with causal; q_len and kv_len from
// tensor.dim of the captured query and key.
func.func @mod_sliding_window(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                              %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                              %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v causal
      captures(%q, %k : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index,
           %qt: tensor<?x?x?x?xf32>, %kt: tensor<?x?x?x?xf32>):
        %c2 = arith.constant 2 : index
        %w = arith.constant 37 : index
        %lq = tensor.dim %qt, %c2 : tensor<?x?x?x?xf32>
        %lk = tensor.dim %kt, %c2 : tensor<?x?x?x?xf32>
        %shift = arith.subi %lk, %lq : index
        %row = arith.addi %qi, %shift : index
        %back = arith.subi %row, %ki : index
        %keep = arith.cmpi slt, %back, %w : index
        attn.yield %keep : i1
      }
  return %o : tensor<?x?x?x?xf32>
}

// ALiBi (Press et al. 2022): score + slope[h] * (kv_idx - q_idx), causal.
func.func @mod_alibi(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                     %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                     %v: tensor<?x?x?x?xf32> {attn.name = "v"},
                     %slopes: tensor<?xf32> {attn.name = "slopes"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v causal captures(%slopes : tensor<?xf32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %qi: index, %ki: index,
           %sl: tensor<?xf32>):
        %m = tensor.extract %sl[%h] : tensor<?xf32>
        %qi64 = arith.index_cast %qi : index to i64
        %ki64 = arith.index_cast %ki : index to i64
        %dist = arith.subi %ki64, %qi64 : i64
        %df = arith.sitofp %dist : i64 to f32
        %t = arith.mulf %m, %df : f32
        %r = arith.addf %s, %t : f32
        attn.yield %r : f32
      }
  return %o : tensor<?x?x?x?xf32>
}

// tanh soft-capping at 2 (Gemma 2 caps at 50; 2 bends these scores), then
// an additive bias [batch, 1, q_len, kv_len]: the op applies score_mod
// first.
func.func @mod_softcap_bias(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                            %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                            %v: tensor<?x?x?x?xf32> {attn.name = "v"},
                            %bias: tensor<?x1x?x?xf32> {attn.name = "bias"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v mask %bias
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>,
        tensor<?x1x?x?xf32> -> tensor<?x?x?x?xf32>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %qi: index, %ki: index):
        %c = arith.constant 2.0 : f32
        %x = arith.divf %s, %c : f32
        %t = math.tanh %x : f32
        %r = arith.mulf %t, %c : f32
        attn.yield %r : f32
      }
  return %o : tensor<?x?x?x?xf32>
}

// A learned relative-position bias table [q_heads, 2 R + 1] with R = 8:
// score + table[h, clamp(kv_idx - q_idx, -R, R) + R]; and key padding from
// lens[b], in the same op.
func.func @mod_rel_bias_padding(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                                %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                                %v: tensor<?x?x?x?xf32> {attn.name = "v"},
                                %table: tensor<?x17xf32> {attn.name = "table"},
                                %lens: tensor<?xi32> {attn.name = "lens"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v
      captures(%table, %lens : tensor<?x17xf32>, tensor<?xi32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index,
           %tb: tensor<?x17xf32>, %len: tensor<?xi32>):
        %l = tensor.extract %len[%b] : tensor<?xi32>
        %li = arith.index_cast %l : i32 to index
        %keep = arith.cmpi ult, %ki, %li : index
        attn.yield %keep : i1
      } score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %qi: index, %ki: index,
           %tb: tensor<?x17xf32>, %len: tensor<?xi32>):
        %r8 = arith.constant 8 : index
        %lo = arith.constant -8 : index
        %d = arith.subi %ki, %qi : index
        %c0 = arith.maxsi %d, %lo : index
        %c1 = arith.minsi %c0, %r8 : index
        %col = arith.addi %c1, %r8 : index
        %t = tensor.extract %tb[%h, %col] : tensor<?x17xf32>
        %r = arith.addf %s, %t : f32
        attn.yield %r : f32
      }
  return %o : tensor<?x?x?x?xf32>
}
