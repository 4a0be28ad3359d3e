// RUN: attn-opt %s -split-input-file -verify-diagnostics

// The verifiers of attn.project, attn.luong and attn.luong_output.

func.func @project_input_rank(%x: tensor<2x16x32xf32>, %w: tensor<32x8xf32>) -> tensor<2x1x16x8xf32> {
  // expected-error @+1 {{'attn.project' op input must have rank 4, got rank 3}}
  %y = attn.project %x, %w : tensor<2x16x32xf32>, tensor<32x8xf32> -> tensor<2x1x16x8xf32>
  return %y : tensor<2x1x16x8xf32>
}

// -----

func.func @project_weight_rank(%x: tensor<2x1x16x32xf32>, %w: tensor<1x1x32x8xf32>) -> tensor<2x1x16x8xf32> {
  // expected-error @+1 {{'attn.project' op weight must have rank 2 or 3, got rank 4}}
  %y = attn.project %x, %w : tensor<2x1x16x32xf32>, tensor<1x1x32x8xf32> -> tensor<2x1x16x8xf32>
  return %y : tensor<2x1x16x8xf32>
}

// -----

func.func @project_dtype(%x: tensor<2x1x16x32xf16>, %w: tensor<32x8xf32>) -> tensor<2x1x16x8xf32> {
  // expected-error @+1 {{'attn.project' op input has element type 'f16'; expected f32 or bf16}}
  %y = attn.project %x, %w : tensor<2x1x16x32xf16>, tensor<32x8xf32> -> tensor<2x1x16x8xf32>
  return %y : tensor<2x1x16x8xf32>
}

// -----

func.func @project_in_dim(%x: tensor<2x1x16x32xf32>, %w: tensor<30x8xf32>) -> tensor<2x1x16x8xf32> {
  // expected-error @+1 {{'attn.project' op input dim 3 (in_dim) is 32 but weight dim 0 (in_dim) is 30}}
  %y = attn.project %x, %w : tensor<2x1x16x32xf32>, tensor<30x8xf32> -> tensor<2x1x16x8xf32>
  return %y : tensor<2x1x16x8xf32>
}

// -----

func.func @project_out_dim(%x: tensor<2x1x16x32xf32>, %w: tensor<32x8xf32>) -> tensor<2x1x16x9xf32> {
  // expected-error @+1 {{'attn.project' op result dim 3 (out_dim) is 9 but weight dim 1 (out_dim) is 8}}
  %y = attn.project %x, %w : tensor<2x1x16x32xf32>, tensor<32x8xf32> -> tensor<2x1x16x9xf32>
  return %y : tensor<2x1x16x9xf32>
}

// -----

func.func @project_heads(%x: tensor<2x3x16x32xf32>, %w: tensor<4x32x8xf32>) -> tensor<2x4x16x8xf32> {
  // expected-error @+1 {{'attn.project' op input dim 1 (heads) is 3 but result dim 1 (heads) is 4}}
  %y = attn.project %x, %w : tensor<2x3x16x32xf32>, tensor<4x32x8xf32> -> tensor<2x4x16x8xf32>
  return %y : tensor<2x4x16x8xf32>
}

// -----

func.func @project_result_heads(%x: tensor<2x1x16x32xf32>, %w: tensor<4x32x8xf32>) -> tensor<2x1x16x8xf32> {
  // expected-error @+1 {{'attn.project' op result dim 1 (heads) is 1 but weight dim 0 (heads) is 4}}
  %y = attn.project %x, %w : tensor<2x1x16x32xf32>, tensor<4x32x8xf32> -> tensor<2x1x16x8xf32>
  return %y : tensor<2x1x16x8xf32>
}

// -----

func.func @project_len(%x: tensor<2x1x16x32xf32>, %w: tensor<32x8xf32>) -> tensor<2x1x15x8xf32> {
  // expected-error @+1 {{'attn.project' op result dim 2 (seq_len) is 15 but input dim 2 (seq_len) is 16}}
  %y = attn.project %x, %w : tensor<2x1x16x32xf32>, tensor<32x8xf32> -> tensor<2x1x15x8xf32>
  return %y : tensor<2x1x15x8xf32>
}

// -----

func.func @project_bias_rank(%x: tensor<2x1x16x32xf32>, %w: tensor<32x8xf32>, %b: tensor<1x1x8xf32>) -> tensor<2x1x16x8xf32> {
  // expected-error @+1 {{'attn.project' op bias must have rank 1 or 2, got rank 3}}
  %y = attn.project %x, %w bias %b : tensor<2x1x16x32xf32>, tensor<32x8xf32>, tensor<1x1x8xf32> -> tensor<2x1x16x8xf32>
  return %y : tensor<2x1x16x8xf32>
}

// -----

func.func @project_bias_dim(%x: tensor<2x1x16x32xf32>, %w: tensor<32x8xf32>, %b: tensor<7xf32>) -> tensor<2x1x16x8xf32> {
  // expected-error @+1 {{'attn.project' op bias dim 0 (out_dim) is 7 but weight dim 1 (out_dim) is 8}}
  %y = attn.project %x, %w bias %b : tensor<2x1x16x32xf32>, tensor<32x8xf32>, tensor<7xf32> -> tensor<2x1x16x8xf32>
  return %y : tensor<2x1x16x8xf32>
}

// -----

func.func @project_bias_heads(%x: tensor<2x1x16x32xf32>, %w: tensor<4x32x8xf32>, %b: tensor<2x8xf32>) -> tensor<2x4x16x8xf32> {
  // expected-error @+1 {{'attn.project' op bias dim 0 (heads) is 2 but weight dim 0 (heads) is 4}}
  %y = attn.project %x, %w bias %b : tensor<2x1x16x32xf32>, tensor<4x32x8xf32>, tensor<2x8xf32> -> tensor<2x4x16x8xf32>
  return %y : tensor<2x4x16x8xf32>
}

// -----

func.func @luong_rank(%ht: tensor<2x3x8xf32>, %hs: tensor<2x1x5x8xf32>) -> tensor<2x1x3x8xf32> {
  // expected-error @+1 {{'attn.luong' op query must have rank 4, got rank 3}}
  %c = attn.luong %ht, %hs : tensor<2x3x8xf32>, tensor<2x1x5x8xf32> -> tensor<2x1x3x8xf32>
  return %c : tensor<2x1x3x8xf32>
}

// -----

func.func @luong_dot_dims(%ht: tensor<2x1x3x8xf32>, %hs: tensor<2x1x5x6xf32>) -> tensor<2x1x3x6xf32> {
  // expected-error @+1 {{'attn.luong' op query dim 3 (query_dim) is 8 but source dim 3 (source_dim) is 6}}
  %c = attn.luong %ht, %hs : tensor<2x1x3x8xf32>, tensor<2x1x5x6xf32> -> tensor<2x1x3x6xf32>
  return %c : tensor<2x1x3x6xf32>
}

// -----

func.func @luong_weight_rows(%ht: tensor<2x1x3x8xf32>, %hs: tensor<2x1x5x6xf32>, %w: tensor<7x6xf32>) -> tensor<2x1x3x6xf32> {
  // expected-error @+1 {{'attn.luong' op weight dim 0 (query_dim) is 7 but query dim 3 (query_dim) is 8}}
  %c = attn.luong %ht, %hs weight(%w : tensor<7x6xf32>) : tensor<2x1x3x8xf32>, tensor<2x1x5x6xf32> -> tensor<2x1x3x6xf32>
  return %c : tensor<2x1x3x6xf32>
}

// -----

func.func @luong_weight_cols(%ht: tensor<2x1x3x8xf32>, %hs: tensor<2x1x5x6xf32>, %w: tensor<8x5xf32>) -> tensor<2x1x3x6xf32> {
  // expected-error @+1 {{'attn.luong' op weight dim 1 (source_dim) is 5 but source dim 3 (source_dim) is 6}}
  %c = attn.luong %ht, %hs weight(%w : tensor<8x5xf32>) : tensor<2x1x3x8xf32>, tensor<2x1x5x6xf32> -> tensor<2x1x3x6xf32>
  return %c : tensor<2x1x3x6xf32>
}

// -----

func.func @luong_weight_heads(%ht: tensor<2x4x3x8xf32>, %hs: tensor<2x1x5x6xf32>, %w: tensor<2x8x6xf32>) -> tensor<2x4x3x6xf32> {
  // expected-error @+1 {{'attn.luong' op weight dim 0 (q_heads) is 2 but query dim 1 (q_heads) is 4}}
  %c = attn.luong %ht, %hs weight(%w : tensor<2x8x6xf32>) : tensor<2x4x3x8xf32>, tensor<2x1x5x6xf32> -> tensor<2x4x3x6xf32>
  return %c : tensor<2x4x3x6xf32>
}

// -----

func.func @luong_weight_dtype(%ht: tensor<2x1x3x8xf32>, %hs: tensor<2x1x5x6xf32>, %w: tensor<8x6xbf16>) -> tensor<2x1x3x6xf32> {
  // expected-error @+1 {{'attn.luong' op weight has element type 'bf16' but query has 'f32'}}
  %c = attn.luong %ht, %hs weight(%w : tensor<8x6xbf16>) : tensor<2x1x3x8xf32>, tensor<2x1x5x6xf32> -> tensor<2x1x3x6xf32>
  return %c : tensor<2x1x3x6xf32>
}

// -----

func.func @luong_source_dtype(%ht: tensor<2x1x3x8xf32>, %hs: tensor<2x1x5x8xbf16>) -> tensor<2x1x3x8xf32> {
  // expected-error @+1 {{'attn.luong' op source has element type 'bf16' but query has 'f32'}}
  %c = attn.luong %ht, %hs : tensor<2x1x3x8xf32>, tensor<2x1x5x8xbf16> -> tensor<2x1x3x8xf32>
  return %c : tensor<2x1x3x8xf32>
}

// -----

func.func @luong_batch(%ht: tensor<2x1x3x8xf32>, %hs: tensor<3x1x5x8xf32>) -> tensor<2x1x3x8xf32> {
  // expected-error @+1 {{'attn.luong' op source dim 0 (batch) is 3 but query dim 0 (batch) is 2}}
  %c = attn.luong %ht, %hs : tensor<2x1x3x8xf32>, tensor<3x1x5x8xf32> -> tensor<2x1x3x8xf32>
  return %c : tensor<2x1x3x8xf32>
}

// -----

func.func @luong_gqa(%ht: tensor<2x3x3x8xf32>, %hs: tensor<2x2x5x8xf32>) -> tensor<2x3x3x8xf32> {
  // expected-error @+1 {{'attn.luong' op query dim 1 (q_heads) = 3 is not a multiple of source dim 1 (kv_heads) = 2 (GQA needs q_heads % kv_heads == 0)}}
  %c = attn.luong %ht, %hs : tensor<2x3x3x8xf32>, tensor<2x2x5x8xf32> -> tensor<2x3x3x8xf32>
  return %c : tensor<2x3x3x8xf32>
}

// -----

func.func @luong_mask(%ht: tensor<2x1x3x8xf32>, %hs: tensor<2x1x5x8xf32>, %m: tensor<2x1x1x4xi1>) -> tensor<2x1x3x8xf32> {
  // expected-error @+1 {{'attn.luong' op mask dim 3 (kv_len) is 4 but source dim 2 (kv_len) is 5}}
  %c = attn.luong %ht, %hs mask(%m : tensor<2x1x1x4xi1>) : tensor<2x1x3x8xf32>, tensor<2x1x5x8xf32> -> tensor<2x1x3x8xf32>
  return %c : tensor<2x1x3x8xf32>
}

// -----

func.func @luong_result(%ht: tensor<2x1x3x8xf32>, %hs: tensor<2x1x5x8xf32>) -> tensor<2x1x5x8xf32> {
  // expected-error @+1 {{'attn.luong' op result dim 2 (q_len) is 5 but query dim 2 (q_len) is 3}}
  %c = attn.luong %ht, %hs : tensor<2x1x3x8xf32>, tensor<2x1x5x8xf32> -> tensor<2x1x5x8xf32>
  return %c : tensor<2x1x5x8xf32>
}

// -----

func.func @output_len(%c: tensor<2x1x3x6xf32>, %h: tensor<2x1x4x8xf32>, %w: tensor<14x4xf32>) -> tensor<2x1x3x4xf32> {
  // expected-error @+1 {{'attn.luong_output' op query dim 2 (len) is 4 but context dim 2 (len) is 3}}
  %o = attn.luong_output %c, %h, %w : tensor<2x1x3x6xf32>, tensor<2x1x4x8xf32>, tensor<14x4xf32> -> tensor<2x1x3x4xf32>
  return %o : tensor<2x1x3x4xf32>
}

// -----

func.func @output_rows(%c: tensor<2x1x3x6xf32>, %h: tensor<2x1x3x8xf32>, %w: tensor<12x4xf32>) -> tensor<2x1x3x4xf32> {
  // expected-error @+1 {{'attn.luong_output' op weight has 12 rows but context_dim + query_dim is 6 + 8 = 14}}
  %o = attn.luong_output %c, %h, %w : tensor<2x1x3x6xf32>, tensor<2x1x3x8xf32>, tensor<12x4xf32> -> tensor<2x1x3x4xf32>
  return %o : tensor<2x1x3x4xf32>
}

// -----

func.func @output_dynamic(%c: tensor<2x1x3x?xf32>, %h: tensor<2x1x3x8xf32>, %w: tensor<14x4xf32>) -> tensor<2x1x3x4xf32> {
  // expected-error @+1 {{'attn.luong_output' op context dim 3 (context_dim), query dim 3 (query_dim) and the weight's rows must be static}}
  %o = attn.luong_output %c, %h, %w : tensor<2x1x3x?xf32>, tensor<2x1x3x8xf32>, tensor<14x4xf32> -> tensor<2x1x3x4xf32>
  return %o : tensor<2x1x3x4xf32>
}

// -----

func.func @output_heads(%c: tensor<2x1x3x6xf32>, %h: tensor<2x1x3x8xf32>, %w: tensor<2x14x4xf32>) -> tensor<2x2x3x4xf32> {
  // expected-error @+1 {{'attn.luong_output' op context dim 1 (heads) is 1 but result dim 1 (heads) is 2}}
  %o = attn.luong_output %c, %h, %w : tensor<2x1x3x6xf32>, tensor<2x1x3x8xf32>, tensor<2x14x4xf32> -> tensor<2x2x3x4xf32>
  return %o : tensor<2x2x3x4xf32>
}

// -----

func.func @output_bias(%c: tensor<2x1x3x6xf32>, %h: tensor<2x1x3x8xf32>, %w: tensor<14x4xf32>, %b: tensor<5xf32>) -> tensor<2x1x3x4xf32> {
  // expected-error @+1 {{'attn.luong_output' op bias dim 0 (out_dim) is 5 but weight dim 1 (out_dim) is 4}}
  %o = attn.luong_output %c, %h, %w bias %b : tensor<2x1x3x6xf32>, tensor<2x1x3x8xf32>, tensor<14x4xf32>, tensor<5xf32> -> tensor<2x1x3x4xf32>
  return %o : tensor<2x1x3x4xf32>
}

// -----

func.func @project_result_heads_shared(%x: tensor<2x1x3x4xf32>, %w: tensor<4x5xf32>) -> tensor<2x8x3x5xf32> {
  // expected-error @+1 {{'attn.project' op input dim 1 (heads) is 1 but result dim 1 (heads) is 8}}
  %y = attn.project %x, %w : tensor<2x1x3x4xf32>, tensor<4x5xf32> -> tensor<2x8x3x5xf32>
  return %y : tensor<2x8x3x5xf32>
}

// -----

func.func @project_result_rank(%x: tensor<2x1x3x4xf32>, %w: tensor<4x5xf32>) -> tensor<2x3x5xf32> {
  // expected-error @+1 {{'attn.project' op result must have rank 4, got rank 3}}
  %y = attn.project %x, %w : tensor<2x1x3x4xf32>, tensor<4x5xf32> -> tensor<2x3x5xf32>
  return %y : tensor<2x3x5xf32>
}

// -----

func.func @project_result_dtype(%x: tensor<2x1x3x4xf32>, %w: tensor<4x5xf32>) -> tensor<2x1x3x5xf16> {
  // expected-error @+1 {{'attn.project' op result has element type 'f16'; expected f32 or bf16}}
  %y = attn.project %x, %w : tensor<2x1x3x4xf32>, tensor<4x5xf32> -> tensor<2x1x3x5xf16>
  return %y : tensor<2x1x3x5xf16>
}

// -----

func.func @project_bias_dtype(%x: tensor<2x1x3x4xf32>, %w: tensor<4x5xf32>, %b: tensor<5xi32>) -> tensor<2x1x3x5xf32> {
  // expected-error @+1 {{'attn.project' op bias has element type 'i32'; expected f32 or bf16}}
  %y = attn.project %x, %w bias %b : tensor<2x1x3x4xf32>, tensor<4x5xf32>, tensor<5xi32> -> tensor<2x1x3x5xf32>
  return %y : tensor<2x1x3x5xf32>
}

// -----

func.func @luong_weight_rank(%ht: tensor<2x1x3x8xf32>, %hs: tensor<2x1x5x6xf32>, %w: tensor<48xf32>) -> tensor<2x1x3x6xf32> {
  // expected-error @+1 {{'attn.luong' op weight must have rank 2 or 3, got rank 1}}
  %c = attn.luong %ht, %hs weight(%w : tensor<48xf32>) : tensor<2x1x3x8xf32>, tensor<2x1x5x6xf32> -> tensor<2x1x3x6xf32>
  return %c : tensor<2x1x3x6xf32>
}

// -----

func.func @luong_mask_dtype(%ht: tensor<2x1x3x8xf32>, %hs: tensor<2x1x5x8xf32>, %m: tensor<3x5xi8>) -> tensor<2x1x3x8xf32> {
  // expected-error @+1 {{'attn.luong' op mask has element type 'i8'; expected i1 (keep-mask) or f32 (additive bias)}}
  %c = attn.luong %ht, %hs mask(%m : tensor<3x5xi8>) : tensor<2x1x3x8xf32>, tensor<2x1x5x8xf32> -> tensor<2x1x3x8xf32>
  return %c : tensor<2x1x3x8xf32>
}

// -----

func.func @luong_result_rank(%ht: tensor<2x1x3x8xf32>, %hs: tensor<2x1x5x8xf32>) -> tensor<2x3x8xf32> {
  // expected-error @+1 {{'attn.luong' op result must have rank 4 ([batch, q_heads, q_len, v_head_dim]), got rank 3}}
  %c = attn.luong %ht, %hs : tensor<2x1x3x8xf32>, tensor<2x1x5x8xf32> -> tensor<2x3x8xf32>
  return %c : tensor<2x3x8xf32>
}

// -----

func.func @luong_folded_heads_gqa(%ht: tensor<1x?x4x32xf32>, %hs: tensor<1x3x6x16xf32>, %w: tensor<8x32x16xf32>) -> tensor<1x?x4x16xf32> {
  // expected-error @+1 {{'attn.luong' op query dim 1 (q_heads) = 8 is not a multiple of source dim 1 (kv_heads) = 3 (GQA needs q_heads % kv_heads == 0)}}
  %c = attn.luong %ht, %hs weight(%w : tensor<8x32x16xf32>) : tensor<1x?x4x32xf32>, tensor<1x3x6x16xf32> -> tensor<1x?x4x16xf32>
  return %c : tensor<1x?x4x16xf32>
}

// -----

func.func @output_bias_heads(%c: tensor<2x2x3x6xf32>, %h: tensor<2x2x3x8xf32>, %w: tensor<2x14x4xf32>, %b: tensor<3x4xf32>) -> tensor<2x2x3x4xf32> {
  // expected-error @+1 {{'attn.luong_output' op bias dim 0 (heads) is 3 but weight dim 0 (heads) is 2}}
  %o = attn.luong_output %c, %h, %w bias %b : tensor<2x2x3x6xf32>, tensor<2x2x3x8xf32>, tensor<2x14x4xf32>, tensor<3x4xf32> -> tensor<2x2x3x4xf32>
  return %o : tensor<2x2x3x4xf32>
}
