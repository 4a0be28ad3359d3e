// bf16 kernels for sdpa_bf16_test.cpp: bf16 query/key/value, bf16 or f32
// result, accumulation in f32. Dims dynamic (one kernel for the grid).

func.func @bf16_dense(%q: tensor<?x?x?x?xbf16> {attn.name = "q"},
    %k: tensor<?x?x?x?xbf16> {attn.name = "k"},
    %v: tensor<?x?x?x?xbf16> {attn.name = "v"})
    -> (tensor<?x?x?x?xbf16> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v
      : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}

func.func @bf16_causal(%q: tensor<?x?x?x?xbf16> {attn.name = "q"},
    %k: tensor<?x?x?x?xbf16> {attn.name = "k"},
    %v: tensor<?x?x?x?xbf16> {attn.name = "v"})
    -> (tensor<?x?x?x?xbf16> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}

func.func @bf16_dense_f32out(%q: tensor<?x?x?x?xbf16> {attn.name = "q"},
    %k: tensor<?x?x?x?xbf16> {attn.name = "k"},
    %v: tensor<?x?x?x?xbf16> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v
      : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

func.func @bf16_causal_f32out(%q: tensor<?x?x?x?xbf16> {attn.name = "q"},
    %k: tensor<?x?x?x?xbf16> {attn.name = "k"},
    %v: tensor<?x?x?x?xbf16> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A keep-mask: the scalar online-softmax steps on bf16 inputs.

func.func @bf16_mask_f32out(%q: tensor<?x?x?x?xbf16> {attn.name = "q"},
    %k: tensor<?x?x?x?xbf16> {attn.name = "k"},
    %v: tensor<?x?x?x?xbf16> {attn.name = "v"},
    %m: tensor<?x?xi1> {attn.name = "mask"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v mask %m
      : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?xi1> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Named masks on bf16: a window (left 37, right 5, bottom-right) and key
// padding from per-batch lengths with causal.
func.func @bf16_window_f32out(%q: tensor<?x?x?x?xbf16> {attn.name = "q"},
    %k: tensor<?x?x?x?xbf16> {attn.name = "k"},
    %v: tensor<?x?x?x?xbf16> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.window<left = 37, right = 5>]
      : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

func.func @bf16_padding_causal_f32out(%q: tensor<?x?x?x?xbf16> {attn.name = "q"},
    %k: tensor<?x?x?x?xbf16> {attn.name = "k"},
    %v: tensor<?x?x?x?xbf16> {attn.name = "v"},
    %lens: tensor<?xi32> {attn.name = "lens"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.key_padding<lengths = 0>, #attn.causal]
      captures(%lens : tensor<?xi32>)
      : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// User-written regions on bf16 (scores in f32 registers): a top-left window
// of 64 keys back with key padding from per-batch lengths, as a mask_mod.
func.func @bf16_mod_window_padding_f32out(%q: tensor<?x?x?x?xbf16> {attn.name = "q"},
    %k: tensor<?x?x?x?xbf16> {attn.name = "k"},
    %v: tensor<?x?x?x?xbf16> {attn.name = "v"},
    %lens: tensor<?xi32> {attn.name = "lens"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v captures(%lens : tensor<?xi32>)
      : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index, %len: tensor<?xi32>):
        %c64 = arith.constant 64 : index
        %l = tensor.extract %len[%b] : tensor<?xi32>
        %li = arith.index_cast %l : i32 to index
        %inLen = arith.cmpi ult, %ki, %li : index
        %back = arith.cmpi ule, %ki, %qi : index
        %lo = arith.addi %ki, %c64 : index
        %near = arith.cmpi ule, %qi, %lo : index
        %win = arith.andi %back, %near : i1
        %keep = arith.andi %win, %inLen : i1
        attn.yield %keep : i1
      }
  return %o : tensor<?x?x?x?xf32>
}

// ALiBi slopes per query head, then tanh soft-capping at 8, as a
// score_mod: 8 tanh((s + slope[h] (kv_idx - q_idx)) / 8).
func.func @bf16_mod_alibi_softcap_f32out(%q: tensor<?x?x?x?xbf16> {attn.name = "q"},
    %k: tensor<?x?x?x?xbf16> {attn.name = "k"},
    %v: tensor<?x?x?x?xbf16> {attn.name = "v"},
    %slopes: tensor<?xf32> {attn.name = "slopes"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v captures(%slopes : tensor<?xf32>)
      : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %qi: index, %ki: index,
           %sl: tensor<?xf32>):
        %cap = arith.constant 8.0 : f32
        %m = tensor.extract %sl[%h] : tensor<?xf32>
        %qi64 = arith.index_cast %qi : index to i64
        %ki64 = arith.index_cast %ki : index to i64
        %dist = arith.subi %ki64, %qi64 : i64
        %df = arith.sitofp %dist : i64 to f32
        %t = arith.mulf %m, %df : f32
        %biased = arith.addf %s, %t : f32
        %x = arith.divf %biased, %cap : f32
        %th = math.tanh %x : f32
        %r = arith.mulf %th, %cap : f32
        attn.yield %r : f32
      }
  return %o : tensor<?x?x?x?xf32>
}

// Named score modifier on bf16: #attn.alibi (the paper's slopes for
// q_heads) with bottom-right causal, as BLOOM runs it.
func.func @bf16_alibi_causal_f32out(%q: tensor<?x?x?x?xbf16> {attn.name = "q"},
    %k: tensor<?x?x?x?xbf16> {attn.name = "k"},
    %v: tensor<?x?x?x?xbf16> {attn.name = "v"})
    -> (tensor<?x?x?x?xf32> {attn.name = "out"}) {
  %o = attn.sdpa %q, %k, %v masks [#attn.causal<bottom_right>]
      score_mods [#attn.alibi]
      : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// Causal with the logsumexp result (f32 whatever the inputs) beside a bf16
// output.
func.func @bf16_causal_lse(%q: tensor<?x?x?x?xbf16> {attn.name = "q"},
    %k: tensor<?x?x?x?xbf16> {attn.name = "k"},
    %v: tensor<?x?x?x?xbf16> {attn.name = "v"})
    -> (tensor<?x?x?x?xbf16> {attn.name = "out"},
        tensor<?x?x?xf32> {attn.name = "lse"}) {
  %o, %l = attn.sdpa %q, %k, %v causal
      : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>
      -> tensor<?x?x?x?xbf16>, lse tensor<?x?x?xf32>
  return %o, %l : tensor<?x?x?x?xbf16>, tensor<?x?x?xf32>
}
