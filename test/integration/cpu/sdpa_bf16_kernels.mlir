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
