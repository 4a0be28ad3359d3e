// RUN: attn-opt %s -split-input-file -verify-diagnostics

func.func @rank(%q: tensor<12x128x64xf32>, %k: tensor<1x12x128x64xf32>,
                %v: tensor<1x12x128x64xf32>) -> tensor<1x12x128x64xf32> {
  // expected-error @+1 {{'attn.sdpa' op query must have rank 4 ([batch, q_heads, q_len, head_dim]), got rank 3}}
  %o = attn.sdpa %q, %k, %v : tensor<12x128x64xf32>, tensor<1x12x128x64xf32>,
      tensor<1x12x128x64xf32> -> tensor<1x12x128x64xf32>
  return %o : tensor<1x12x128x64xf32>
}

// -----

func.func @dtype(%q: tensor<1x2x8x16xf16>, %k: tensor<1x2x8x16xf16>,
                 %v: tensor<1x2x8x16xf16>) -> tensor<1x2x8x16xf16> {
  // expected-error @+1 {{'attn.sdpa' op query has element type 'f16'; expected f32 or bf16}}
  %o = attn.sdpa %q, %k, %v : tensor<1x2x8x16xf16>, tensor<1x2x8x16xf16>,
      tensor<1x2x8x16xf16> -> tensor<1x2x8x16xf16>
  return %o : tensor<1x2x8x16xf16>
}

// -----

func.func @mixed_dtypes(%q: tensor<1x2x8x16xbf16>, %k: tensor<1x2x8x16xf32>,
                        %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op query, key and value must have one element type, got 'bf16', 'f32' and 'f32'}}
  %o = attn.sdpa %q, %k, %v : tensor<1x2x8x16xbf16>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @batch(%q: tensor<2x2x8x16xf32>, %k: tensor<3x2x8x16xf32>,
                 %v: tensor<3x2x8x16xf32>) -> tensor<2x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op key dim 0 (batch) is 3 but query dim 0 (batch) is 2}}
  %o = attn.sdpa %q, %k, %v : tensor<2x2x8x16xf32>, tensor<3x2x8x16xf32>,
      tensor<3x2x8x16xf32> -> tensor<2x2x8x16xf32>
  return %o : tensor<2x2x8x16xf32>
}

// -----

func.func @value_batch(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>,
                       %v: tensor<1x2x8x16xf32>) -> tensor<2x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op value dim 0 (batch) is 1 but query dim 0 (batch) is 2}}
  %o = attn.sdpa %q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<2x2x8x16xf32>
  return %o : tensor<2x2x8x16xf32>
}

// -----

func.func @kv_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>,
                    %v: tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op value dim 1 (kv_heads) is 4 but key dim 1 (kv_heads) is 2}}
  %o = attn.sdpa %q, %k, %v : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x4x8x16xf32> -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

func.func @kv_len(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x9x16xf32>,
                  %v: tensor<1x2x10x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op value dim 2 (kv_len) is 10 but key dim 2 (kv_len) is 9}}
  %o = attn.sdpa %q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x9x16xf32>,
      tensor<1x2x10x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @head_dim(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x32xf32>,
                    %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op key dim 3 (head_dim) is 32 but query dim 3 (head_dim) is 16}}
  %o = attn.sdpa %q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x32xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @gqa(%q: tensor<1x6x8x16xf32>, %k: tensor<1x4x8x16xf32>,
               %v: tensor<1x4x8x16xf32>) -> tensor<1x6x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op query dim 1 (q_heads) = 6 is not a multiple of key dim 1 (kv_heads) = 4 (GQA needs q_heads % kv_heads == 0)}}
  %o = attn.sdpa %q, %k, %v : tensor<1x6x8x16xf32>, tensor<1x4x8x16xf32>,
      tensor<1x4x8x16xf32> -> tensor<1x6x8x16xf32>
  return %o : tensor<1x6x8x16xf32>
}

// -----

func.func @zero_kv_heads(%q: tensor<1x6x8x16xf32>, %k: tensor<1x0x8x16xf32>,
                         %v: tensor<1x0x8x16xf32>) -> tensor<1x6x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op key dim 1 (kv_heads) is 0 but query dim 1 (q_heads) is 6}}
  %o = attn.sdpa %q, %k, %v : tensor<1x6x8x16xf32>, tensor<1x0x8x16xf32>,
      tensor<1x0x8x16xf32> -> tensor<1x6x8x16xf32>
  return %o : tensor<1x6x8x16xf32>
}

// -----

func.func @result_q_len(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>,
                        %v: tensor<1x2x8x16xf32>) -> tensor<1x2x9x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op result dim 2 (q_len) is 9 but query dim 2 (q_len) is 8}}
  %o = attn.sdpa %q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x9x16xf32>
  return %o : tensor<1x2x9x16xf32>
}

// -----

func.func @result_v_head_dim(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>,
                             %v: tensor<1x2x8x24xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op result dim 3 (v_head_dim) is 16 but value dim 3 (v_head_dim) is 24}}
  %o = attn.sdpa %q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x24xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @result_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>,
                        %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op result dim 1 (q_heads) is 2 but query dim 1 (q_heads) is 4}}
  %o = attn.sdpa %q, %k, %v : tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @mask_dtype(%q: tensor<1x2x8x16xf32>, %m: tensor<8x8xi8>)
    -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op mask has element type 'i8'; expected i1 (keep-mask) or f32 (additive bias)}}
  %o = attn.sdpa %q, %q, %q mask %m : tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<8x8xi8>
      -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @mask_rank(%q: tensor<1x2x8x16xf32>, %m: tensor<2x8x8xi1>)
    -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op mask must have rank 2 ([q_len | 1, kv_len | 1]) or 4 ([batch | 1, q_heads | 1, q_len | 1, kv_len | 1]), got rank 3}}
  %o = attn.sdpa %q, %q, %q mask %m : tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<2x8x8xi1>
      -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @mask_q_len(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x5x16xf32>,
                      %m: tensor<1x1x7x5xi1>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op mask dim 2 (q_len) is 7 but query dim 2 (q_len) is 8}}
  %o = attn.sdpa %q, %k, %k mask %m : tensor<1x2x8x16xf32>,
      tensor<1x2x5x16xf32>, tensor<1x2x5x16xf32>, tensor<1x1x7x5xi1>
      -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @mask_q_len_broadcast(%q: tensor<1x2x8x16xf32>,
                                %k: tensor<1x2x5x16xf32>,
                                %m: tensor<1x1x2x5xi1>) -> tensor<1x2x8x16xf32> {
  // Only a 1 broadcasts: 2 query rows against 8 is an error.
  // expected-error @+1 {{'attn.sdpa' op mask dim 2 (q_len) is 2 but query dim 2 (q_len) is 8}}
  %o = attn.sdpa %q, %k, %k mask %m : tensor<1x2x8x16xf32>,
      tensor<1x2x5x16xf32>, tensor<1x2x5x16xf32>, tensor<1x1x2x5xi1>
      -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @mask_kv_len(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x5x16xf32>,
                       %m: tensor<8x6xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op mask dim 1 (kv_len) is 6 but key dim 2 (kv_len) is 5}}
  %o = attn.sdpa %q, %k, %k mask %m : tensor<1x2x8x16xf32>,
      tensor<1x2x5x16xf32>, tensor<1x2x5x16xf32>, tensor<8x6xf32>
      -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @mask_heads(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x8x16xf32>,
                      %m: tensor<1x2x8x8xi1>) -> tensor<1x4x8x16xf32> {
  // The mask's head dim follows the query heads, not the KV heads.
  // expected-error @+1 {{'attn.sdpa' op mask dim 1 (q_heads) is 2 but query dim 1 (q_heads) is 4}}
  %o = attn.sdpa %q, %k, %k mask %m : tensor<1x4x8x16xf32>,
      tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x8xi1>
      -> tensor<1x4x8x16xf32>
  return %o : tensor<1x4x8x16xf32>
}

// -----

func.func @mask_batch(%q: tensor<3x2x8x16xf32>, %m: tensor<2x1x8x8xi1>)
    -> tensor<3x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op mask dim 0 (batch) is 2 but query dim 0 (batch) is 3}}
  %o = attn.sdpa %q, %q, %q mask %m : tensor<3x2x8x16xf32>,
      tensor<3x2x8x16xf32>, tensor<3x2x8x16xf32>, tensor<2x1x8x8xi1>
      -> tensor<3x2x8x16xf32>
  return %o : tensor<3x2x8x16xf32>
}

// -----

func.func @scale(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op scale must be finite}}
  %o = attn.sdpa %q, %q, %q {scale = 0x7F800000 : f32} : tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @not_a_tensor(%q: memref<1x2x8x16xf32>) {
  // expected-error @+1 {{'attn.sdpa' op operand #0 must be ranked tensor of any type values, but got 'memref<1x2x8x16xf32>'}}
  %o = "attn.sdpa"(%q, %q, %q) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>, resultSegmentSizes = array<i32: 1, 0, 0>}> ({}, {}) : (memref<1x2x8x16xf32>, memref<1x2x8x16xf32>,
      memref<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return
}

// -----

func.func @online_max_rank(%q: tensor<1x2x8x16xf32>, %acc: tensor<1x2x8x16xf32>,
                           %max: tensor<1x2x8x1xf32>, %sum: tensor<1x2x8xf32>) {
  // expected-error @+1 {{'attn.online_sdpa' op max must be an f32 tensor [batch, q_heads, q_len], got 'tensor<1x2x8x1xf32>'}}
  %a, %b, %c = attn.online_sdpa %q, %q, %q acc(%acc, %max, %sum)
      : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
        tensor<1x2x8x16xf32>, tensor<1x2x8x1xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @online_sum_rows(%q: tensor<1x2x8x16xf32>, %acc: tensor<1x2x8x16xf32>,
                           %max: tensor<1x2x8xf32>, %sum: tensor<1x2x7xf32>) {
  // expected-error @+1 {{'attn.online_sdpa' op sum dim 2 (q_len) is 7 but acc dim 2 (q_len) is 8}}
  %a, %b, %c = attn.online_sdpa %q, %q, %q acc(%acc, %max, %sum)
      : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
        tensor<1x2x8x16xf32>, tensor<1x2x8xf32>, tensor<1x2x7xf32>
  return
}

// -----

func.func @online_acc(%q: tensor<1x2x8x16xf32>, %acc: tensor<1x2x8x32xf32>,
                      %max: tensor<1x2x8xf32>, %sum: tensor<1x2x8xf32>) {
  // expected-error @+1 {{'attn.online_sdpa' op acc dim 3 (v_head_dim) is 32 but value dim 3 (v_head_dim) is 16}}
  %a, %b, %c = attn.online_sdpa %q, %q, %q acc(%acc, %max, %sum)
      : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
        tensor<1x2x8x32xf32>, tensor<1x2x8xf32>, tensor<1x2x8xf32>
  return
}

// -----

func.func @online_bf16_acc(%q: tensor<1x2x8x16xbf16>, %acc: tensor<1x2x8x16xbf16>,
                           %max: tensor<1x2x8xf32>, %sum: tensor<1x2x8xf32>) {
  // expected-error @+1 {{'attn.online_sdpa' op acc must be f32 (the accumulator), got 'bf16'}}
  %a, %b, %c = attn.online_sdpa %q, %q, %q acc(%acc, %max, %sum)
      : tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>,
        tensor<1x2x8x16xbf16>, tensor<1x2x8xf32>, tensor<1x2x8xf32>
  return
}

// -----

// mask_mod and score_mod: signatures, allowed ops, yields, captures.
func.func @mod_arg_count(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op mask_mod: expected 4 block arguments (b, h, q_idx, kv_idx: index, then one per capture), got 3}}
  %o = attn.sdpa %q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index):
        %t = arith.constant true
        attn.yield %t : i1
      }
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @mod_arg_type(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op score_mod: block argument #0 (score) has type 'f16'; expected 'f32'}}
  %o = attn.sdpa %q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
      score_mod {
      ^bb0(%s: f16, %b: index, %h: index, %qi: index, %ki: index):
        %c = arith.constant 1.0 : f32
        attn.yield %c : f32
      }
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @mod_capture_type(%q: tensor<1x2x8x16xf32>,
                            %len: tensor<1xi32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op mask_mod: block argument #4 (capture) has type 'tensor<1xi64>'; expected 'tensor<1xi32>'}}
  %o = attn.sdpa %q, %q, %q captures(%len : tensor<1xi32>)
      : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index, %l: tensor<1xi64>):
        %t = arith.constant true
        attn.yield %t : i1
      }
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @mod_yield_type(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op mask_mod: must end in attn.yield of one 'i1'}}
  %o = attn.sdpa %q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index):
        %c = arith.constant 1.0 : f32
        attn.yield %c : f32
      }
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @mod_region_op(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op score_mod: 'scf.if' is not allowed; a mod holds arith and math ops, tensor.extract and tensor.dim of captures, and ends in attn.yield}}
  %o = attn.sdpa %q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %qi: index, %ki: index):
        %c = arith.cmpi eq, %qi, %ki : index
        // expected-note @+1 {{see the op here}}
        %r = scf.if %c -> f32 {
          scf.yield %s : f32
        } else {
          scf.yield %s : f32
        }
        attn.yield %r : f32
      }
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @mod_vector_value(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op score_mod: 'arith.constant' yields a value of type 'vector<4xf32>'; a mod computes on scalars (integers of up to 64 bits, index, f32)}}
  %o = attn.sdpa %q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %qi: index, %ki: index):
        // expected-note @+1 {{see the op here}}
        %c = arith.constant dense<1.0> : vector<4xf32>
        attn.yield %s : f32
      }
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @captures_without_mods(%q: tensor<1x2x8x16xf32>,
                                 %len: tensor<1xi32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op has captures but no mask_mod, score_mod, named masks or named score modifiers}}
  %o = attn.sdpa %q, %q, %q captures(%len : tensor<1xi32>)
      : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @capture_memref(%q: tensor<1x2x8x16xf32>,
                          %m: memref<4xi32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op capture #0 has type 'memref<4xi32>'; expected a ranked tensor or a scalar}}
  %o = attn.sdpa %q, %q, %q captures(%m : memref<4xi32>)
      : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index, %l: memref<4xi32>):
        %t = arith.constant true
        attn.yield %t : i1
      }
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @mod_reads_outside(%q: tensor<1x2x8x16xf32>, %x: index) -> tensor<1x2x8x16xf32> {
  // expected-note @+1 {{required by region isolation constraints}}
  %o = attn.sdpa %q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index):
        // expected-error @+1 {{using value defined outside the region}}
        %keep = arith.cmpi ult, %ki, %x : index
        attn.yield %keep : i1
      }
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @yield_outside(%x: i1) {
  // expected-error @+1 {{'attn.yield' op expects parent op 'attn.sdpa'}}
  attn.yield %x : i1
}

// -----

func.func @mod_f64(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op score_mod: 'arith.extf' yields a value of type 'f64'; a mod computes on scalars (integers of up to 64 bits, index, f32)}}
  %o = attn.sdpa %q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
      score_mod {
      ^bb0(%s: f32, %b: index, %h: index, %qi: index, %ki: index):
        // expected-note @+1 {{see the op here}}
        %d = arith.extf %s : f32 to f64
        attn.yield %s : f32
      }
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @mod_dim_index(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{'attn.sdpa' op mask_mod: tensor.dim needs a constant dim index}}
  %o = attn.sdpa %q, %q, %q captures(%q : tensor<1x2x8x16xf32>)
      : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index,
           %t: tensor<1x2x8x16xf32>):
        // expected-note @+1 {{see the op here}}
        %n = tensor.dim %t, %b : tensor<1x2x8x16xf32>
        %keep = arith.cmpi ult, %ki, %n : index
        attn.yield %keep : i1
      }
  return %o : tensor<1x2x8x16xf32>
}

// -----

func.func @lse_rank(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8xf32> {
  // expected-error @+1 {{'attn.sdpa' op lse must have rank 3 ([batch, q_heads, q_len]), got rank 4}}
  %o, %l = attn.sdpa %q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, lse tensor<1x2x8x1xf32>
  %c = tensor.collapse_shape %l [[0], [1], [2, 3]]
      : tensor<1x2x8x1xf32> into tensor<1x2x8xf32>
  return %c : tensor<1x2x8xf32>
}

// -----

func.func @lse_bf16(%q: tensor<1x2x8x16xbf16>) -> tensor<1x2x8xbf16> {
  // expected-error @+1 {{'attn.sdpa' op lse has element type 'bf16'; expected f32}}
  %o, %l = attn.sdpa %q, %q, %q : tensor<1x2x8x16xbf16>,
      tensor<1x2x8x16xbf16>, tensor<1x2x8x16xbf16>
      -> tensor<1x2x8x16xbf16>, lse tensor<1x2x8xbf16>
  return %l : tensor<1x2x8xbf16>
}

// -----

func.func @lse_q_len(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x7xf32> {
  // expected-error @+1 {{'attn.sdpa' op lse dim 2 (q_len) is 7 but query dim 2 (q_len) is 8}}
  %o, %l = attn.sdpa %q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, lse tensor<1x2x7xf32>
  return %l : tensor<1x2x7xf32>
}

// -----

func.func @lse_heads(%q: tensor<1x2x8x16xf32>, %k: tensor<1x1x8x16xf32>)
    -> tensor<1x1x8xf32> {
  // expected-error @+1 {{'attn.sdpa' op lse dim 1 (q_heads) is 1 but query dim 1 (q_heads) is 2}}
  %o, %l = attn.sdpa %q, %k, %k : tensor<1x2x8x16xf32>, tensor<1x1x8x16xf32>,
      tensor<1x1x8x16xf32> -> tensor<1x2x8x16xf32>, lse tensor<1x1x8xf32>
  return %l : tensor<1x1x8xf32>
}

// -----

func.func @lse_batch(%q: tensor<2x2x8x16xf32>) -> tensor<1x2x8xf32> {
  // expected-error @+1 {{'attn.sdpa' op lse dim 0 (batch) is 1 but query dim 0 (batch) is 2}}
  %o, %l = attn.sdpa %q, %q, %q : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>,
      tensor<2x2x8x16xf32> -> tensor<2x2x8x16xf32>, lse tensor<1x2x8xf32>
  return %l : tensor<1x2x8xf32>
}

// -----

func.func @probs_rank(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8xf32> {
  // expected-error @+1 {{'attn.sdpa' op probs must have rank 4 ([batch, q_heads, q_len, kv_len]), got rank 3}}
  %o, %p = attn.sdpa %q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, probs tensor<1x2x8xf32>
  return %p : tensor<1x2x8xf32>
}

// -----

func.func @probs_bf16(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xbf16> {
  // expected-error @+1 {{'attn.sdpa' op probs has element type 'bf16'; expected f32}}
  %o, %p = attn.sdpa %q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, probs tensor<1x2x8x8xbf16>
  return %p : tensor<1x2x8x8xbf16>
}

// -----

func.func @probs_kv_len(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x5x16xf32>)
    -> tensor<1x2x8x8xf32> {
  // expected-error @+1 {{'attn.sdpa' op probs dim 3 (kv_len) is 8 but key dim 2 (kv_len) is 5}}
  %o, %p = attn.sdpa %q, %k, %k : tensor<1x2x8x16xf32>, tensor<1x2x5x16xf32>,
      tensor<1x2x5x16xf32> -> tensor<1x2x8x16xf32>, probs tensor<1x2x8x8xf32>
  return %p : tensor<1x2x8x8xf32>
}

// -----

func.func @probs_q_heads(%q: tensor<1x2x8x16xf32>) -> tensor<1x1x8x8xf32> {
  // expected-error @+1 {{'attn.sdpa' op probs dim 1 (q_heads) is 1 but query dim 1 (q_heads) is 2}}
  %o, %p = attn.sdpa %q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, probs tensor<1x1x8x8xf32>
  return %p : tensor<1x1x8x8xf32>
}

// -----

func.func @weights_unlabeled(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8xf32> {
  %o, %l = attn.sdpa %q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>,
  // expected-error @+1 {{expected 'lse' or 'probs' before the type of an optional result, got 'tensor'}}
      tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>, tensor<1x2x8xf32>
  return %l : tensor<1x2x8xf32>
}

// -----

func.func @weights_order(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8xf32> {
  %o, %p, %l = attn.sdpa %q, %q, %q : tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>,
  // expected-error @+1 {{'lse' after 'probs' (the order is lse, probs)}}
      probs tensor<1x2x8x8xf32>, lse tensor<1x2x8xf32>
  return %l : tensor<1x2x8xf32>
}

// -----

func.func @weights_twice(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32> {
  %o, %p, %p2 = attn.sdpa %q, %q, %q : tensor<1x2x8x16xf32>,
      tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32> -> tensor<1x2x8x16xf32>,
  // expected-error @+1 {{'probs' given twice}}
      probs tensor<1x2x8x8xf32>, probs tensor<1x2x8x8xf32>
  return %p : tensor<1x2x8x8xf32>
}
