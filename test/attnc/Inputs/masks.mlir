// Kernels for report.test.
func.func @causal_top_left(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                           %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.sdpa %q, %k, %v masks [#attn.causal<top_left>]
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

func.func @window_or_global(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                            %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.sdpa %q, %k, %v
      masks [#attn.any_of<[#attn.window<left = 63>, #attn.global_tokens<count = 1>]>]
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

func.func @padding(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                   %v: tensor<?x?x?x?xf32>, %l: tensor<?xi32>) -> tensor<?x?x?x?xf32> {
  %o = attn.sdpa %q, %k, %v masks [#attn.key_padding<lengths = 0>] captures(%l : tensor<?xi32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// mask_mods: causal as a region, document ids read at q_idx and kv_idx
// (both classed per block at run time), and a table read at kv_idx - q_idx
// (not classed).
func.func @causal_mod(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                      %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.sdpa %q, %k, %v
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index):
        %keep = arith.cmpi ule, %ki, %qi : index
        attn.yield %keep : i1
      }
  return %o : tensor<?x?x?x?xf32>
}

func.func @document_mod(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                        %v: tensor<?x?x?x?xf32>, %d: tensor<?xi32>) -> tensor<?x?x?x?xf32> {
  %o = attn.sdpa %q, %k, %v captures(%d : tensor<?xi32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index, %doc: tensor<?xi32>):
        %dq = tensor.extract %doc[%qi] : tensor<?xi32>
        %dk = tensor.extract %doc[%ki] : tensor<?xi32>
        %keep = arith.cmpi eq, %dq, %dk : i32
        attn.yield %keep : i1
      }
  return %o : tensor<?x?x?x?xf32>
}

func.func @relative_mod(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                        %v: tensor<?x?x?x?xf32>, %a: tensor<129xi32>) -> tensor<?x?x?x?xf32> {
  %o = attn.sdpa %q, %k, %v captures(%a : tensor<129xi32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index, %t: tensor<129xi32>):
        %c64 = arith.constant 64 : index
        %zero = arith.constant 0 : i32
        %d = arith.subi %ki, %qi : index
        %i = arith.addi %d, %c64 : index
        %x = tensor.extract %t[%i] : tensor<129xi32>
        %keep = arith.cmpi ne, %x, %zero : i32
        attn.yield %keep : i1
      }
  return %o : tensor<?x?x?x?xf32>
}

// A stride of 128 (top-left): the blocks without a multiple of the stride
// among their diagonals are skipped, the others partial.
func.func @strided_128(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                       %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.sdpa %q, %k, %v masks [#attn.strided<stride = 128, alignment = top_left>]
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

// A CSR graph: classified at run time, its sparse rows gathered.
func.func @graph(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>, %offsets: tensor<?xi32>,
                 %columns: tensor<?xi32>) -> tensor<?x?x?x?xf32> {
  %o = attn.sdpa %q, %k, %v masks [#attn.csr<offsets = 0, columns = 1>]
      captures(%offsets, %columns : tensor<?xi32>, tensor<?xi32>)
      : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
      -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
