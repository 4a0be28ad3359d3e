// RUN: attn-opt %s --attn-export-functions --split-input-file --verify-diagnostics | FileCheck %s

// Public functions become destination-passing kernels on strided memrefs,
// with their C signature attached. The signature words are
// [magic, inputs, outputs, symbols, divisibility rules,
//  per argument: dtype, rank, (static size or -1, symbol) per dim,
//  per rule: (numerator symbol, denominator symbol)].

// CHECK-LABEL: func.func @__attn_kernel_gqa(
// CHECK-SAME: %[[Q:[a-z0-9]+]]: memref<2x?x?x64xf32, strided<[?, ?, ?, ?], offset: ?>>
// CHECK-SAME: %[[K:[a-z0-9]+]]: memref<2x?x?x64xf32, strided<[?, ?, ?, ?], offset: ?>>
// CHECK-SAME: %[[V:[a-z0-9]+]]: memref<2x?x?x64xf32, strided<[?, ?, ?, ?], offset: ?>>
// CHECK-SAME: %[[OUT:[a-z0-9]+]]: memref<2x?x?x64xf32, strided<[?, ?, ?, ?], offset: ?>>)
// CHECK-SAME: attn.arg_names = ["query", "arg1", "arg2", "result0"]
// A static batch: calls are not split.
// CHECK-NOT: attn.batch_parallel
// CHECK-SAME: attn.export_name = "gqa"
// q: f32 [2, N1, N2, 64]; k and v: [2, N4, N5, 64]; out: [2, N1, N2, 64];
// q_heads (1) must be a multiple of kv_heads (4).
// CHECK-SAME: attn.signature = array<i64: 1096044034, 3, 1, 7, 1, 0, 2,
// CHECK-SAME: 1, 4, 2, 0, -1, 1, -1, 2, 64, 3,
// CHECK-SAME: 1, 4, 2, 0, -1, 4, -1, 5, 64, 3,
// CHECK-SAME: 1, 4, 2, 0, -1, 4, -1, 5, 64, 6,
// CHECK-SAME: 1, 4, 2, 0, -1, 1, -1, 2, 64, 6,
// CHECK-SAME: 1, 4,
// Workspace: scores [batch, q_heads, q_len, kv_len] and the accumulator
// [batch, q_heads, q_len, v_head_dim].
// CHECK-SAME: 4, 0, 1, 2, 5, 4, 0, 1, 2, 6>
// CHECK: %[[TQ:.+]] = bufferization.to_tensor %[[Q]] restrict
// CHECK: %[[TK:.+]] = bufferization.to_tensor %[[K]] restrict
// CHECK: %[[TV:.+]] = bufferization.to_tensor %[[V]] restrict
// CHECK: %[[O:.+]] = attn.sdpa %[[TQ]], %[[TK]], %[[TV]] causal
// CHECK: bufferization.materialize_in_destination %[[O]] in restrict writable %[[OUT]]
// CHECK: return{{$}}
func.func @gqa(%q: tensor<2x?x?x64xf32> {attn.name = "query"},
               %k: tensor<2x?x?x64xf32>, %v: tensor<2x?x?x64xf32>)
    -> tensor<2x?x?x64xf32> {
  %o = attn.sdpa %q, %k, %v causal
      : tensor<2x?x?x64xf32>, tensor<2x?x?x64xf32>, tensor<2x?x?x64xf32>
      -> tensor<2x?x?x64xf32>
  return %o : tensor<2x?x?x64xf32>
}

// Private functions are left alone.
// CHECK-LABEL: func.func private @helper(%{{.*}}: tensor<4xf32>) -> tensor<4xf32>
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// A mask ties its dims to the query and key lengths; a static-1 dim does not.
// Its dynamic dims may also be 1 at run time, and broadcast: their static
// size is ATTN_DIM_BROADCAST (-2).
// CHECK-LABEL: func.func @__attn_kernel_masked
// CHECK-SAME: attn.arg_names = ["q", "k", "v", "m", "o"]
// CHECK-NOT: attn.batch_parallel
// m: i1 (dtype 5) [1, 1, q_len (symbol 2), kv_len (symbol 5, as for k)]
// CHECK-SAME: 5, 4, 1, {{[0-9]+}}, 1, {{[0-9]+}}, -2, 2, -2, 5,
func.func @masked(%q: tensor<1x2x?x8xf32> {attn.name = "q"},
                  %k: tensor<1x2x?x8xf32> {attn.name = "k"},
                  %v: tensor<1x2x?x8xf32> {attn.name = "v"},
                  %m: tensor<1x1x?x?xi1> {attn.name = "m"})
    -> (tensor<1x2x?x8xf32> {attn.name = "o"}) {
  %o = attn.sdpa %q, %k, %v mask %m
      : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>,
        tensor<1x1x?x?xi1> -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

// A dynamic mask dim whose partner is static (4 query heads) broadcasts too;
// a static 1 in the query-length dim broadcasts at compile time (symbol of
// its own).
// CHECK-LABEL: func.func @__attn_kernel_masked_static_heads
// q: f32 (dtype 1) [1, 4 (symbol 1), q_len (2), 8 (3)]
// CHECK-SAME: array<i64: 1096044034, 4, 1, {{[0-9]+}}, 1, 0, 2,
// CHECK-SAME: 1, 4, 1, 0, 4, 1, -1, 2, 8, 3,
// m: f32 [1, -2 with symbol 1, 1, -2 with kv_len's symbol]
// CHECK-SAME: 1, 4, 1, {{[0-9]+}}, -2, 1, 1, {{[0-9]+}}, -2, {{[0-9]+}},
func.func @masked_static_heads(%q: tensor<1x4x?x8xf32> {attn.name = "q"},
                               %k: tensor<1x4x?x8xf32> {attn.name = "k"},
                               %v: tensor<1x4x?x8xf32> {attn.name = "v"},
                               %m: tensor<1x?x1x?xf32> {attn.name = "m"})
    -> (tensor<1x4x?x8xf32> {attn.name = "o"}) {
  %o = attn.sdpa %q, %k, %v mask %m
      : tensor<1x4x?x8xf32>, tensor<1x4x?x8xf32>, tensor<1x4x?x8xf32>,
        tensor<1x?x1x?xf32> -> tensor<1x4x?x8xf32>
  return %o : tensor<1x4x?x8xf32>
}

// -----

// A dynamic batch, with a batch-free mask: calls may be split over the batch.
// CHECK-LABEL: func.func @__attn_kernel_batched
// CHECK-SAME: attn.batch_parallel
func.func @batched(%q: tensor<?x2x?x8xf32>, %m: tensor<?x?xf32>)
    -> tensor<?x2x?x8xf32> {
  %o = attn.sdpa %q, %q, %q mask %m
      : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>,
        tensor<?x?xf32> -> tensor<?x2x?x8xf32>
  return %o : tensor<?x2x?x8xf32>
}

// A per-batch mask whose batch dim is not tied to the output's: no split.
// CHECK-LABEL: func.func @__attn_kernel_two_batches
// CHECK-NOT: attn.batch_parallel
// CHECK: bufferization.to_tensor
func.func @two_batches(%q: tensor<?x2x?x8xf32>, %p: tensor<?x2x?x8xf32>)
    -> (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) {
  %o = attn.sdpa %q, %q, %q
      : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>
      -> tensor<?x2x?x8xf32>
  %r = attn.sdpa %p, %p, %p
      : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>
      -> tensor<?x2x?x8xf32>
  return %o, %r : tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>
}

// -----

// attn.max_dims bounds a symbol; the tightest bound wins. The trailing words
// are the bounds section: (symbol 2 <= 512).
// CHECK-LABEL: func.func @__attn_kernel_bounded
// CHECK-SAME: attn.signature = array<i64: 1096044034, 2, 1, {{[0-9]+}}, 1, 1, 2,
// CHECK-SAME: 2, 512, 4,
func.func @bounded(
    %q: tensor<1x2x?x8xf32> {attn.max_dims = array<i64: -1, -1, 1024, -1>},
    %k: tensor<1x2x?x8xf32>)
    -> (tensor<1x2x?x8xf32> {attn.max_dims = array<i64: -1, -1, 512, -1>}) {
  %o = attn.sdpa %q, %k, %k
      : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
      -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// -----

// expected-error @+1 {{argument #0: attn.max_dims must be an array<i64> with one entry per dim (2)}}
func.func @bound_rank(%a: tensor<4x?xf32> {attn.max_dims = array<i64: 8>})
    -> tensor<4x?xf32> {
  return %a : tensor<4x?xf32>
}

// -----

// expected-error @+1 {{argument #0: static dim 0 (4) exceeds its bound 2}}
func.func @bound_static(%a: tensor<4x?xf32> {attn.max_dims = array<i64: 2, -1>})
    -> tensor<4x?xf32> {
  return %a : tensor<4x?xf32>
}

// -----

// expected-error @+1 {{argument #0: attn.max_dims entry 1 is -5; use -1 for no bound}}
func.func @bound_negative(%a: tensor<4x?xf32> {attn.max_dims = array<i64: -1, -5>})
    -> tensor<4x?xf32> {
  return %a : tensor<4x?xf32>
}

// -----

// expected-error @+1 {{argument #0 of exported function 'scalar' has type 'f32'; expected a ranked tensor of rank <= 8 with an element type of the C ABI (f32, f16, bf16, f64, i1, i32, i64)}}
func.func @scalar(%x: f32) -> f32 {
  return %x : f32
}

// -----

// expected-error @+1 {{argument #1 name 'q' is used twice}}
func.func @dup(%a: tensor<4xf32> {attn.name = "q"},
               %b: tensor<4xf32> {attn.name = "q"}) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}

// -----

// expected-error @+1 {{argument #0 name 'not valid' is not a C identifier}}
func.func @bad_name(%a: tensor<4xf32> {attn.name = "not valid"})
    -> tensor<4xf32> {
  return %a : tensor<4xf32>
}

// -----

// expected-error @+1 {{exported function name '__attn_x' is reserved by C (a leading '__' or '_' and a capital)}}
func.func @__attn_x(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}

// -----

// expected-error @+1 {{exported function name 'attn_check_call' uses a prefix reserved by attnc ('attn_', '__attn', '_mlir')}}
func.func @attn_check_call(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}

// -----

// expected-error @+1 {{exported function name 'malloc' is a C library function the kernel object uses}}
func.func @malloc(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}

// -----

// expected-error @+1 {{exported function name 'class' is a C or C++ keyword}}
func.func @class(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}

// -----

// expected-error @+1 {{argument #0 name 'return' is a C or C++ keyword}}
func.func @kw_arg(%a: tensor<4xf32> {attn.name = "return"}) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}

// -----

// expected-error @+1 {{exported function 'no_results' has no results, so a call would compute nothing}}
func.func @no_results(%a: tensor<4xf32>) {
  return
}

// -----

func.func private @external(tensor<4xf32>) -> tensor<4xf32>
func.func @calls_external(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{exported function 'calls_external' calls a function attnc cannot inline (@external); give it a body in this module}}
  %r = func.call @external(%a) : (tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

func.func @slice(%a: tensor<?xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tensor.extract_slice' on dynamic shapes is not supported in an exported function yet: attnc cannot derive the run-time checks its shapes need}}
  %s = tensor.extract_slice %a[0] [4] [1] : tensor<?xf32> to tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

// Static shapes are checked against the signature, so any op may use them.
// CHECK-LABEL: func.func @__attn_kernel_static_slice
// CHECK: tensor.extract_slice
func.func @static_slice(%a: tensor<8xf32>) -> tensor<4xf32> {
  %s = tensor.extract_slice %a[2] [4] [1] : tensor<8xf32> to tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

// expected-error @+1 {{exported function 'callee' is called inside the module; call a private copy instead}}
func.func @callee(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}
func.func @caller(%a: tensor<4xf32>) -> tensor<4xf32> {
  %r = func.call @callee(%a) : (tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// A capture of a mask_mod is one more kernel argument (i32: dtype 6 in the
// signature), read by the op through its to_tensor; the region's ops are
// the op's own (not checked as ops on dynamic shapes). A kernel with mods
// is never split along the batch: b indexes the whole call's batch.
// CHECK-LABEL: func.func @__attn_kernel_padded
// CHECK-SAME: %[[LENS:arg3]]: memref<?xi32, strided<[?], offset: ?>>
// CHECK-NOT: attn.batch_parallel
// CHECK-SAME: attn.signature = array<i64: {{.*}}, 6, 1, -1, 7,
// CHECK: %[[T:.+]] = bufferization.to_tensor %[[LENS]]
// CHECK: attn.sdpa {{.*}} captures(%[[T]] : tensor<?xi32>)
func.func @padded(%q: tensor<?x2x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>, %lens: tensor<?xi32>) -> tensor<?x2x?x16xf32> {
  %o = attn.sdpa %q, %k, %v captures(%lens : tensor<?xi32>)
      : tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32> -> tensor<?x2x?x16xf32>
      mask_mod {
      ^bb0(%b: index, %h: index, %qi: index, %ki: index, %len: tensor<?xi32>):
        %l = tensor.extract %len[%b] : tensor<?xi32>
        %li = arith.index_cast %l : i32 to index
        %keep = arith.cmpi ult, %ki, %li : index
        attn.yield %keep : i1
      }
  return %o : tensor<?x2x?x16xf32>
}

// -----

// attn.luong is attn.sdpa once attn-expand-variants (earlier in the
// pipeline) has rewritten it; the export asks for that.
func.func @unexpanded(%ht: tensor<?x1x?x8xf32>, %hs: tensor<?x1x?x8xf32>)
    -> tensor<?x1x?x8xf32> {
  // expected-error @+1 {{'attn.luong' must be rewritten by attn-expand-variants before attn-export-functions}}
  %c = attn.luong %ht, %hs : tensor<?x1x?x8xf32>, tensor<?x1x?x8xf32>
      -> tensor<?x1x?x8xf32>
  return %c : tensor<?x1x?x8xf32>
}
