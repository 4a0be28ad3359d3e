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

// Graph adjacency in CSR (row offsets [q_len + 1], sorted column indices
// [nnz], i32): kv_idx is visible to q_idx iff it is among the row's columns,
// found by a lower-bound binary search of 12 halvings (rows of up to
// 2^12 - 1 entries) on arith ops alone. Needs nnz >= 1 (reads clamp to
// cols[nnz - 1]).
func.func @mod_csr_graph(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                         %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                         %v: tensor<?x?x?x?xf32> {attn.name = "v"},
                         %offsets: tensor<?xi32> {attn.name = "offsets"},
                         %columns: tensor<?xi32> {attn.name = "columns"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v
      captures(%offsets, %columns : tensor<?xi32>, tensor<?xi32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index,
           %offs: tensor<?xi32>, %cols: tensor<?xi32>):
        %c0 = arith.constant 0 : index
        %c1 = arith.constant 1 : index
        %nnz = tensor.dim %cols, %c0 : tensor<?xi32>
        %last = arith.subi %nnz, %c1 : index
        %kv = arith.index_cast %ki : index to i32
        %q1 = arith.addi %qi, %c1 : index
        %b0 = tensor.extract %offs[%qi] : tensor<?xi32>
        %e0 = tensor.extract %offs[%q1] : tensor<?xi32>
        %lo0 = arith.index_cast %b0 : i32 to index
        %end = arith.index_cast %e0 : i32 to index
        // halving 1: cols[mid] < kv moves lo past mid, else hi to mid
        %len0 = arith.subi %end, %lo0 : index
        %half0 = arith.shrui %len0, %c1 : index
        %mid0 = arith.addi %lo0, %half0 : index
        %at0 = arith.minsi %mid0, %last : index
        %col0 = tensor.extract %cols[%at0] : tensor<?xi32>
        %less0 = arith.cmpi slt, %col0, %kv : i32
        %some0 = arith.cmpi sgt, %len0, %c0 : index
        %right0 = arith.andi %less0, %some0 : i1
        %next0 = arith.addi %mid0, %c1 : index
        %lo1 = arith.select %right0, %next0, %lo0 : index
        %hi1 = arith.select %right0, %end, %mid0 : index
        // halving 2
        %len1 = arith.subi %hi1, %lo1 : index
        %half1 = arith.shrui %len1, %c1 : index
        %mid1 = arith.addi %lo1, %half1 : index
        %at1 = arith.minsi %mid1, %last : index
        %col1 = tensor.extract %cols[%at1] : tensor<?xi32>
        %less1 = arith.cmpi slt, %col1, %kv : i32
        %some1 = arith.cmpi sgt, %len1, %c0 : index
        %right1 = arith.andi %less1, %some1 : i1
        %next1 = arith.addi %mid1, %c1 : index
        %lo2 = arith.select %right1, %next1, %lo1 : index
        %hi2 = arith.select %right1, %hi1, %mid1 : index
        // halving 3
        %len2 = arith.subi %hi2, %lo2 : index
        %half2 = arith.shrui %len2, %c1 : index
        %mid2 = arith.addi %lo2, %half2 : index
        %at2 = arith.minsi %mid2, %last : index
        %col2 = tensor.extract %cols[%at2] : tensor<?xi32>
        %less2 = arith.cmpi slt, %col2, %kv : i32
        %some2 = arith.cmpi sgt, %len2, %c0 : index
        %right2 = arith.andi %less2, %some2 : i1
        %next2 = arith.addi %mid2, %c1 : index
        %lo3 = arith.select %right2, %next2, %lo2 : index
        %hi3 = arith.select %right2, %hi2, %mid2 : index
        // halving 4
        %len3 = arith.subi %hi3, %lo3 : index
        %half3 = arith.shrui %len3, %c1 : index
        %mid3 = arith.addi %lo3, %half3 : index
        %at3 = arith.minsi %mid3, %last : index
        %col3 = tensor.extract %cols[%at3] : tensor<?xi32>
        %less3 = arith.cmpi slt, %col3, %kv : i32
        %some3 = arith.cmpi sgt, %len3, %c0 : index
        %right3 = arith.andi %less3, %some3 : i1
        %next3 = arith.addi %mid3, %c1 : index
        %lo4 = arith.select %right3, %next3, %lo3 : index
        %hi4 = arith.select %right3, %hi3, %mid3 : index
        // halving 5
        %len4 = arith.subi %hi4, %lo4 : index
        %half4 = arith.shrui %len4, %c1 : index
        %mid4 = arith.addi %lo4, %half4 : index
        %at4 = arith.minsi %mid4, %last : index
        %col4 = tensor.extract %cols[%at4] : tensor<?xi32>
        %less4 = arith.cmpi slt, %col4, %kv : i32
        %some4 = arith.cmpi sgt, %len4, %c0 : index
        %right4 = arith.andi %less4, %some4 : i1
        %next4 = arith.addi %mid4, %c1 : index
        %lo5 = arith.select %right4, %next4, %lo4 : index
        %hi5 = arith.select %right4, %hi4, %mid4 : index
        // halving 6
        %len5 = arith.subi %hi5, %lo5 : index
        %half5 = arith.shrui %len5, %c1 : index
        %mid5 = arith.addi %lo5, %half5 : index
        %at5 = arith.minsi %mid5, %last : index
        %col5 = tensor.extract %cols[%at5] : tensor<?xi32>
        %less5 = arith.cmpi slt, %col5, %kv : i32
        %some5 = arith.cmpi sgt, %len5, %c0 : index
        %right5 = arith.andi %less5, %some5 : i1
        %next5 = arith.addi %mid5, %c1 : index
        %lo6 = arith.select %right5, %next5, %lo5 : index
        %hi6 = arith.select %right5, %hi5, %mid5 : index
        // halving 7
        %len6 = arith.subi %hi6, %lo6 : index
        %half6 = arith.shrui %len6, %c1 : index
        %mid6 = arith.addi %lo6, %half6 : index
        %at6 = arith.minsi %mid6, %last : index
        %col6 = tensor.extract %cols[%at6] : tensor<?xi32>
        %less6 = arith.cmpi slt, %col6, %kv : i32
        %some6 = arith.cmpi sgt, %len6, %c0 : index
        %right6 = arith.andi %less6, %some6 : i1
        %next6 = arith.addi %mid6, %c1 : index
        %lo7 = arith.select %right6, %next6, %lo6 : index
        %hi7 = arith.select %right6, %hi6, %mid6 : index
        // halving 8
        %len7 = arith.subi %hi7, %lo7 : index
        %half7 = arith.shrui %len7, %c1 : index
        %mid7 = arith.addi %lo7, %half7 : index
        %at7 = arith.minsi %mid7, %last : index
        %col7 = tensor.extract %cols[%at7] : tensor<?xi32>
        %less7 = arith.cmpi slt, %col7, %kv : i32
        %some7 = arith.cmpi sgt, %len7, %c0 : index
        %right7 = arith.andi %less7, %some7 : i1
        %next7 = arith.addi %mid7, %c1 : index
        %lo8 = arith.select %right7, %next7, %lo7 : index
        %hi8 = arith.select %right7, %hi7, %mid7 : index
        // halving 9
        %len8 = arith.subi %hi8, %lo8 : index
        %half8 = arith.shrui %len8, %c1 : index
        %mid8 = arith.addi %lo8, %half8 : index
        %at8 = arith.minsi %mid8, %last : index
        %col8 = tensor.extract %cols[%at8] : tensor<?xi32>
        %less8 = arith.cmpi slt, %col8, %kv : i32
        %some8 = arith.cmpi sgt, %len8, %c0 : index
        %right8 = arith.andi %less8, %some8 : i1
        %next8 = arith.addi %mid8, %c1 : index
        %lo9 = arith.select %right8, %next8, %lo8 : index
        %hi9 = arith.select %right8, %hi8, %mid8 : index
        // halving 10
        %len9 = arith.subi %hi9, %lo9 : index
        %half9 = arith.shrui %len9, %c1 : index
        %mid9 = arith.addi %lo9, %half9 : index
        %at9 = arith.minsi %mid9, %last : index
        %col9 = tensor.extract %cols[%at9] : tensor<?xi32>
        %less9 = arith.cmpi slt, %col9, %kv : i32
        %some9 = arith.cmpi sgt, %len9, %c0 : index
        %right9 = arith.andi %less9, %some9 : i1
        %next9 = arith.addi %mid9, %c1 : index
        %lo10 = arith.select %right9, %next9, %lo9 : index
        %hi10 = arith.select %right9, %hi9, %mid9 : index
        // halving 11
        %len10 = arith.subi %hi10, %lo10 : index
        %half10 = arith.shrui %len10, %c1 : index
        %mid10 = arith.addi %lo10, %half10 : index
        %at10 = arith.minsi %mid10, %last : index
        %col10 = tensor.extract %cols[%at10] : tensor<?xi32>
        %less10 = arith.cmpi slt, %col10, %kv : i32
        %some10 = arith.cmpi sgt, %len10, %c0 : index
        %right10 = arith.andi %less10, %some10 : i1
        %next10 = arith.addi %mid10, %c1 : index
        %lo11 = arith.select %right10, %next10, %lo10 : index
        %hi11 = arith.select %right10, %hi10, %mid10 : index
        // halving 12
        %len11 = arith.subi %hi11, %lo11 : index
        %half11 = arith.shrui %len11, %c1 : index
        %mid11 = arith.addi %lo11, %half11 : index
        %at11 = arith.minsi %mid11, %last : index
        %col11 = tensor.extract %cols[%at11] : tensor<?xi32>
        %less11 = arith.cmpi slt, %col11, %kv : i32
        %some11 = arith.cmpi sgt, %len11, %c0 : index
        %right11 = arith.andi %less11, %some11 : i1
        %next11 = arith.addi %mid11, %c1 : index
        %lo12 = arith.select %right11, %next11, %lo11 : index
        %hi12 = arith.select %right11, %hi11, %mid11 : index
        %inrow = arith.cmpi slt, %lo12, %end : index
        %atf = arith.minsi %lo12, %last : index
        %colf = tensor.extract %cols[%atf] : tensor<?xi32>
        %hit = arith.cmpi eq, %colf, %kv : i32
        %keep = arith.andi %inrow, %hit : i1
        attn.yield %keep : i1
      }
  return %o : tensor<?x?x?x?xf32>
}

// A mask_mod for the block classes of passes/tile/ModIntervals.h: its
// steps are classed by interval evaluation of the region, through every
// kind of rule (a point read, remainder by a point, narrowing casts, i32
// arithmetic, an unsigned compare, a bool widened and summed, select):
// keys in stripes, kv_idx % p[0] < p[1], that lie in a causal band of
// p[2] keys (0 <= q_idx - kv_idx < p[2], in i32) or are among the first 4.
func.func @mod_striped_band(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                            %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                            %v: tensor<?x?x?x?xf32> {attn.name = "v"},
                            %params: tensor<3xi64> {attn.name = "params"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v captures(%params : tensor<3xi64>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index, %p: tensor<3xi64>):
        %c0 = arith.constant 0 : index
        %c1 = arith.constant 1 : index
        %c2 = arith.constant 2 : index
        %c4 = arith.constant 4 : index
        %zero = arith.constant 0 : i32
        %false = arith.constant false
        %stride = tensor.extract %p[%c0] : tensor<3xi64>
        %width = tensor.extract %p[%c1] : tensor<3xi64>
        %band = tensor.extract %p[%c2] : tensor<3xi64>
        %k64 = arith.index_cast %ki : index to i64
        %r = arith.remsi %k64, %stride : i64
        %stripe = arith.cmpi slt, %r, %width : i64
        %q32 = arith.index_cast %qi : index to i32
        %k32 = arith.index_cast %ki : index to i32
        %d = arith.subi %q32, %k32 : i32
        %b32 = arith.trunci %band : i64 to i32
        %after = arith.cmpi sge, %d, %zero : i32
        %near = arith.cmpi slt, %d, %b32 : i32
        %inBand = arith.andi %after, %near : i1
        %sink = arith.cmpi ult, %ki, %c4 : index
        %x = arith.extui %inBand : i1 to i32
        %y = arith.extui %sink : i1 to i32
        %n = arith.addi %x, %y : i32
        %any = arith.cmpi ugt, %n, %zero : i32
        %keep = arith.select %stripe, %any, %false : i1
        attn.yield %keep : i1
      }
  return %o : tensor<?x?x?x?xf32>
}

// Heads in groups: query heads h with (h / 2) even see keys in the first
// half of each 128-key block, the others the second half (kv_idx floordiv
// 64 + h / 2 even), minus key 0 of each 64 (kv_idx & 63 != 0, as
// kv_idx - (kv_idx shr 6) * 64). A decode task's heads are a range.
func.func @mod_head_halves(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                           %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                           %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index):
        %c0 = arith.constant 0 : index
        %c2 = arith.constant 2 : index
        %c6 = arith.constant 6 : index
        %c64 = arith.constant 64 : index
        %blk = arith.floordivsi %ki, %c64 : index
        %hg = arith.divui %h, %c2 : index
        %s = arith.addi %blk, %hg : index
        %par = arith.remui %s, %c2 : index
        %even = arith.cmpi eq, %par, %c0 : index
        %sh = arith.shrui %ki, %c6 : index
        %base = arith.muli %sh, %c64 : index
        %off = arith.subi %ki, %base : index
        %first = arith.cmpi eq, %off, %c0 : index
        %notFirst = arith.xori %first, %even : i1
        %keep = arith.andi %even, %notFirst : i1
        attn.yield %keep : i1
      }
  return %o : tensor<?x?x?x?xf32>
}

// A strict window of 16 keys behind each query, written with a sign mask:
// index_cast of an i1 sign-extends (true is -1), so %sign is -1 for a key
// before the query and 0 otherwise. A model of the cast as 0/1 would call
// every step empty.
func.func @mod_sign_window(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                           %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                           %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index):
        %c0 = arith.constant 0 : index
        %cm16 = arith.constant -16 : index
        %before = arith.cmpi ult, %ki, %qi : index
        %sign = arith.index_cast %before : i1 to index
        %d = arith.subi %qi, %ki : index
        %w = arith.muli %d, %sign : index
        %near = arith.cmpi sge, %w, %cm16 : index
        %neg = arith.cmpi slt, %sign, %c0 : index
        %keep = arith.andi %near, %neg : i1
        attn.yield %keep : i1
      }
  return %o : tensor<?x?x?x?xf32>
}

// Named score modifiers (the op's score_mods list).

// #attn.alibi with the paper's geometric slopes for q_heads heads, causal:
// score + m[h] * (kv_idx - (q_idx + kv_len - q_len)).
func.func @named_alibi(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                       %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                       %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v causal score_mods [#attn.alibi]
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// #attn.alibi with slopes[h] from a capture, not causal (keys after the
// query get a positive bias), in a window of 40 keys before and 10 after.
func.func @named_alibi_slopes_window(
    %q: tensor<?x?x?x?xf32> {attn.name = "q"},
    %k: tensor<?x?x?x?xf32> {attn.name = "k"},
    %v: tensor<?x?x?x?xf32> {attn.name = "v"},
    %slopes: tensor<?xf32> {attn.name = "slopes"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.window<left = 40, right = 10>]
      score_mods [#attn.alibi<slopes = 0>] captures(%slopes : tensor<?xf32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// tanh soft-capping at 2 (a score_mod region), then #attn.alibi: the op
// applies score_mod before score_mods.
func.func @softcap_then_alibi(%q: tensor<?x?x?x?xf32> {attn.name = "q"},
                              %k: tensor<?x?x?x?xf32> {attn.name = "k"},
                              %v: tensor<?x?x?x?xf32> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v score_mods [#attn.alibi]
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
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
