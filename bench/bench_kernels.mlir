// Kernels the benchmark suite measures: dense and causal f32 attention, all
// dims dynamic (one kernel for every shape in the suite).
func.func @bench_dense(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                       %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.sdpa %q, %k, %v
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

func.func @bench_causal(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                        %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// bf16 inputs and result (f32 accumulation): avx512_bf16 dot products where
// the CPU has them.
func.func @bench_dense_bf16(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>,
                            %v: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = attn.sdpa %q, %k, %v
      : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>
      -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}

func.func @bench_causal_bf16(%q: tensor<?x?x?x?xbf16>, %k: tensor<?x?x?x?xbf16>,
                             %v: tensor<?x?x?x?xbf16>) -> tensor<?x?x?x?xbf16> {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>
      -> tensor<?x?x?x?xbf16>
  return %o : tensor<?x?x?x?xbf16>
}
