// RUN: attn-opt %s -split-input-file -verify-diagnostics
// The named masks' checks: their parameters (at the attribute) and the
// captures they name (at the op).

func.func @window_negative(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{#attn.window extents must be in [0, 2^40], got left = -1, right = 0}}
  %o = attn.sdpa %q, %q, %q masks [#attn.window<left = -1>]
      : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// -----

func.func @window_no_left(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{struct is missing required parameter: left}}
  %o = attn.sdpa %q, %q, %q masks [#attn.window<right = 2>]
      : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// -----

func.func @alignment(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+2 {{expected one of [bottom_right, top_left] for the diagonal's alignment, got: diagonal}}
  // expected-error @+1 {{failed to parse Attn_CausalAttr parameter 'alignment'}}
  %o = attn.sdpa %q, %q, %q masks [#attn.causal<diagonal>]
      : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// -----

func.func @stride(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{#attn.strided stride must be in [1, 2^40], got 0}}
  %o = attn.sdpa %q, %q, %q masks [#attn.strided<stride = 0>]
      : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// -----

func.func @global(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{#attn.global_tokens count must be in [0, 2^40], got -2}}
  %o = attn.sdpa %q, %q, %q masks [#attn.global_tokens<count = -2>]
      : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// -----

func.func @layout_block(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{#attn.block_layout block must be in [1, 2^40], got 0}}
  %o = attn.sdpa %q, %q, %q masks [#attn.block_layout<block = 0, layout = dense<true> : tensor<1x1xi1>>]
      : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// -----

func.func @layout_type(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{#attn.block_layout layout must be a non-empty [q_blocks, kv_blocks] tensor of i1, got 'tensor<4xi1>'}}
  %o = attn.sdpa %q, %q, %q masks [#attn.block_layout<block = 4, layout = dense<true> : tensor<4xi1>>]
      : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// -----

func.func @layout_int(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{#attn.block_layout layout must be a non-empty [q_blocks, kv_blocks] tensor of i1, got 'tensor<2x2xi8>'}}
  %o = attn.sdpa %q, %q, %q masks [#attn.block_layout<block = 4, layout = dense<1> : tensor<2x2xi8>>]
      : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// -----

func.func @any_of_empty(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{#attn.any_of needs at least one mask}}
  %o = attn.sdpa %q, %q, %q masks [#attn.any_of<[]>]
      : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// -----

func.func @all_of_not_mask(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{#attn.all_of takes named masks (#attn.causal, #attn.window, ...), got 3 : i64}}
  %o = attn.sdpa %q, %q, %q masks [#attn.all_of<[#attn.causal, 3]>]
      : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// -----

func.func @list_not_mask(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{'attn.sdpa' op attribute 'masks' failed to satisfy constraint: list of named attention masks}}
  %o = attn.sdpa %q, %q, %q masks [#attn.causal, "causal"]
      : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// -----

func.func @padding_no_capture(%q: tensor<2x1x8x4xf32>) -> tensor<2x1x8x4xf32> {
  // expected-error @+1 {{'attn.sdpa' op #attn.key_padding lengths names capture 0, but the op has 0 captures}}
  %o = attn.sdpa %q, %q, %q masks [#attn.key_padding<lengths = 0>]
      : tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32> -> tensor<2x1x8x4xf32>
  return %o : tensor<2x1x8x4xf32>
}

// -----

func.func @padding_type(%q: tensor<2x1x8x4xf32>, %l: tensor<2xf32>) -> tensor<2x1x8x4xf32> {
  // expected-error @+1 {{'attn.sdpa' op #attn.key_padding lengths (capture 0) must be a tensor of signless integers of rank 1, got 'tensor<2xf32>'}}
  %o = attn.sdpa %q, %q, %q masks [#attn.key_padding<lengths = 0>] captures(%l : tensor<2xf32>)
      : tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32> -> tensor<2x1x8x4xf32>
  return %o : tensor<2x1x8x4xf32>
}

// -----

func.func @document_rank(%q: tensor<2x1x8x4xf32>, %d: tensor<2x1x8xi32>) -> tensor<2x1x8x4xf32> {
  // expected-error @+1 {{'attn.sdpa' op #attn.document ids (capture 0) must be a tensor of signless integers of rank 1 or 2, got 'tensor<2x1x8xi32>'}}
  %o = attn.sdpa %q, %q, %q masks [#attn.document<ids = 0>] captures(%d : tensor<2x1x8xi32>)
      : tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32> -> tensor<2x1x8x4xf32>
  return %o : tensor<2x1x8x4xf32>
}

// -----

func.func @document_mismatch(%q: tensor<2x1x8x4xf32>, %d: tensor<8xi32>, %e: tensor<8xi64>) -> tensor<2x1x8x4xf32> {
  // expected-error @+1 {{'attn.sdpa' op #attn.document ids and kv_ids must have the same rank and element type, got 'tensor<8xi32>' and 'tensor<8xi64>'}}
  %o = attn.sdpa %q, %q, %q masks [#attn.document<ids = 0, kv_ids = 1>] captures(%d, %e : tensor<8xi32>, tensor<8xi64>)
      : tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32> -> tensor<2x1x8x4xf32>
  return %o : tensor<2x1x8x4xf32>
}

// -----

func.func @csr_scalar(%q: tensor<1x1x8x4xf32>, %o9: tensor<9xi32>, %c: i32) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{'attn.sdpa' op #attn.csr columns (capture 1) must be a tensor of signless integers of rank 1, got 'i32'}}
  %o = attn.sdpa %q, %q, %q masks [#attn.csr<offsets = 0, columns = 1>] captures(%o9, %c : tensor<9xi32>, i32)
      : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// -----

func.func @nested_capture(%q: tensor<1x1x8x4xf32>, %l: tensor<1xi32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{'attn.sdpa' op #attn.key_padding lengths names capture 3, but the op has 1 capture}}
  %o = attn.sdpa %q, %q, %q masks [#attn.any_of<[#attn.causal, #attn.key_padding<lengths = 3>]>] captures(%l : tensor<1xi32>)
      : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// -----

func.func @window_huge(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{#attn.window extents must be in [0, 2^40], got left = 3, right = 9223372036854775807}}
  %o = attn.sdpa %q, %q, %q masks [#attn.window<left = 3, right = 9223372036854775807>]
      : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// -----

func.func @padding_unsigned(%q: tensor<2x1x8x4xf32>, %l: tensor<2xui32>) -> tensor<2x1x8x4xf32> {
  // expected-error @+1 {{'attn.sdpa' op #attn.key_padding lengths (capture 0) must be a tensor of signless integers of rank 1, got 'tensor<2xui32>'}}
  %o = attn.sdpa %q, %q, %q masks [#attn.key_padding<lengths = 0>] captures(%l : tensor<2xui32>)
      : tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32> -> tensor<2x1x8x4xf32>
  return %o : tensor<2x1x8x4xf32>
}

// -----

func.func @padding_batch(%q: tensor<2x1x8x4xf32>, %l: tensor<3xi32>) -> tensor<2x1x8x4xf32> {
  // expected-error @+1 {{'attn.sdpa' op #attn.key_padding lengths (capture 0) dim 0 is 3; expected 2 (batch)}}
  %o = attn.sdpa %q, %q, %q masks [#attn.key_padding<lengths = 0>] captures(%l : tensor<3xi32>)
      : tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32> -> tensor<2x1x8x4xf32>
  return %o : tensor<2x1x8x4xf32>
}

// -----

func.func @document_short(%q: tensor<1x1x4x4xf32>, %k: tensor<1x1x8x4xf32>, %d: tensor<4xi32>) -> tensor<1x1x4x4xf32> {
  // expected-error @+1 {{'attn.sdpa' op #attn.document ids (capture 0) dim 0 is 4; expected at least 8 (max(q_len, kv_len): no kv_ids)}}
  %o = attn.sdpa %q, %k, %k masks [#attn.document<ids = 0>] captures(%d : tensor<4xi32>)
      : tensor<1x1x4x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x4x4xf32>
  return %o : tensor<1x1x4x4xf32>
}

// -----

func.func @document_batch(%q: tensor<2x1x8x4xf32>, %d: tensor<1x8xi32>) -> tensor<2x1x8x4xf32> {
  // expected-error @+1 {{'attn.sdpa' op #attn.document ids (capture 0) dim 0 is 1; expected 2 (batch)}}
  %o = attn.sdpa %q, %q, %q masks [#attn.document<ids = 0>] captures(%d : tensor<1x8xi32>)
      : tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32>, tensor<2x1x8x4xf32> -> tensor<2x1x8x4xf32>
  return %o : tensor<2x1x8x4xf32>
}

// -----

func.func @csr_offsets(%q: tensor<1x1x8x4xf32>, %o8: tensor<8xi32>, %c: tensor<?xi32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{'attn.sdpa' op #attn.csr offsets (capture 0) dim 0 is 8; expected 9 (q_len + 1)}}
  %o = attn.sdpa %q, %q, %q masks [#attn.csr<offsets = 0, columns = 1>] captures(%o8, %c : tensor<8xi32>, tensor<?xi32>)
      : tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32> -> tensor<1x1x8x4xf32>
  return %o : tensor<1x1x8x4xf32>
}

// -----

// Named score modifiers (score_mods).

func.func @alibi_negative_capture(%q: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{#attn.alibi slopes must name a capture (>= 0), got -2}}
  %o = attn.sdpa %q, %q, %q score_mods [#attn.alibi<slopes = -2>]
      : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @alibi_missing_capture(%q: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn.sdpa' op #attn.alibi slopes names capture 0, but the op has 0 captures}}
  %o = attn.sdpa %q, %q, %q score_mods [#attn.alibi<slopes = 0>]
      : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @alibi_slopes_type(%q: tensor<1x2x8x4xf32>, %s: tensor<2xi32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn.sdpa' op #attn.alibi slopes (capture 0) must be a tensor of f32 of rank 1, got 'tensor<2xi32>'}}
  %o = attn.sdpa %q, %q, %q score_mods [#attn.alibi<slopes = 0>] captures(%s : tensor<2xi32>)
      : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @alibi_slopes_heads(%q: tensor<1x2x8x4xf32>, %s: tensor<3xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'attn.sdpa' op #attn.alibi slopes (capture 0) dim 0 is 3; expected 2 (q_heads)}}
  %o = attn.sdpa %q, %q, %q score_mods [#attn.alibi<slopes = 0>] captures(%s : tensor<3xf32>)
      : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @score_mods_takes_no_masks(%q: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{attribute 'score_mods' failed to satisfy constraint: list of named score modifiers}}
  %o = attn.sdpa %q, %q, %q score_mods [#attn.causal]
      : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @masks_takes_no_score_mods(%q: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{attribute 'masks' failed to satisfy constraint: list of named attention masks}}
  %o = attn.sdpa %q, %q, %q masks [#attn.alibi]
      : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}
