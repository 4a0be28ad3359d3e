//===- Passes.td - attn -> attn transforms -----------------*- tablegen -*-===//
#ifndef ATTN_PASSES_TD
#define ATTN_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnMaterializeScale : Pass<"attn-materialize-scale"> {
  let summary = "Make the default softmax scale of attn ops explicit";
  let description = [{
    Sets `scale = 1/sqrt(head_dim)` on every `attn.sdpa` that has no `scale`
    and a static `head_dim`, so that later passes (fusion of a preceding
    scaling, tiling with log2(e) folded into the scale) see one number.
    Ops with a dynamic `head_dim` keep the implicit default.

    Before:
    ```mlir
    %o = attn.sdpa %q, %k, %v : tensor<1x1x4x64xf32>, ...
    ```
    After:
    ```mlir
    %o = attn.sdpa %q, %k, %v {scale = 1.250000e-01 : f32} : ...
    ```
  }];
  let statistics = [
    Statistic<"numMaterialized", "num-materialized",
              "Number of scales made explicit">
  ];
}

def AttnExpandVariants : Pass<"attn-expand-variants"> {
  let summary = "Rewrite attention variants as attn.sdpa and its helpers";
  let description = [{
    Expands the ops of the attention family that are `attn.sdpa` in
    disguise, so that the tiled kernels run them and later passes (the
    weights copies of `attn-expose-weights`, the shape checks of
    `attn-export-functions`, `attn-tile`) see one attention op:

    - `attn.luong` (dot score) becomes `attn.sdpa %q, %hs, %hs
      {scale = 1.0}`, the source states being both keys and values;
    - `attn.luong` (general score) first folds `W_a` into the query with
      `attn.project %q, %w`.

    The new `attn.sdpa` keeps the op's mask, location and discardable
    attributes.

    Before:
    ```mlir
    %c = attn.luong %ht, %hs weight(%w : tensor<8x6xf32>)
        : tensor<2x1x1x8xf32>, tensor<2x1x5x6xf32> -> tensor<2x1x1x6xf32>
    ```
    After:
    ```mlir
    %p = attn.project %ht, %w : tensor<2x1x1x8xf32>, tensor<8x6xf32>
        -> tensor<2x1x1x6xf32>
    %c = attn.sdpa %p, %hs, %hs {scale = 1.000000e+00 : f32}
        : tensor<2x1x1x6xf32>, tensor<2x1x5x6xf32>, tensor<2x1x5x6xf32>
        -> tensor<2x1x1x6xf32>
    ```
  }];
  let statistics = [
    Statistic<"numExpanded", "num-expanded", "Number of ops expanded">
  ];
}

def AttnTile : Pass<"attn-tile"> {
  let summary = "Tile attn.sdpa into FlashAttention-style online softmax";
  let description = [{
    Rewrites each `attn.sdpa` into

    - an `scf.forall` over (batch, q_heads, query blocks of `q-block` rows),
      the parallel loop;
    - in it, an `scf.for` over key blocks of `kv-block` keys carrying the
      online-softmax state (acc, running max, running sum) as `iter_args`,
      each step an `attn.online_sdpa`;
    - a division `acc / sum` (0 where the sum is 0) into the block's rows
      of the result.

    No `[q_len, kv_len]` tensor remains: a step holds only a
    `[q-block, kv-block]` block of scores.

    **Vector body** (`vector-width` > 0; `attnc` sets the width, register
    count and L1 size from LLVM's target model of the CPU): instead
    of `attn.online_sdpa` steps, each task gets register-blocked vector code
    (BLIS-style micro-tiles; FlashAttention-2's loop order), built by
    passes/tile/ (its README lists the parts):

    - a task has `q-block` = `rowVecs x vector-width` query rows (4 x 16 on
      AVX-512 with 32 registers, 2 x 8 on AVX2 with 16; causal ops 2 x 16
      on AVX-512, halving the wasted triangle of each diagonal block), one
      vector per `vector-width` rows: scores are held as Sᵀ `[kv-block,
      q-block]` and the accumulator as Oᵀ `[v_head_dim, q-block]`, so Q Kᵀ
      and P V read K and V only as broadcast scalars (any strides) and the
      row max and sum are elementwise across key rows;
    - Q is packed once per task (transposed, rows past q_len zero; scaled,
      except with `bf16-dot`, which scales the f32 scores instead);
    - Sᵀ = K Qᵀ in register blocks of `r` keys x `rowVecs` vectors, with
      `r = min(8, (registers - rowVecs - 1) / rowVecs)`, over head_dim
      (unrolled by 4), the score epilogue (masks and score modifiers, in
      registers) and the block max on the accumulators; then P = 2^(S -
      max) in place (log2(e) is folded into the scale; the exp2 is a
      degree-5 polynomial emitted inline, 14 vector ops, exactly 0 for -inf
      scores), alpha and the row sums; then Oᵀ = alpha Oᵀ + Vᵀ Pᵀ in
      register blocks of `r` value columns (keys unrolled by 2);
      remainders of keys and columns run in blocks of 4, 2 and 1;
    - the keys per step (`kv-block`, default: a step's scores in half of
      L1) are rounded down to a multiple of `r`;
    - key steps that every row of a task sees in full (causal: below the
      diagonal of its first row) run without the masks; steps no row sees
      are not visited;
    - tasks of at most `vector-width` rows (the last partial block) take a
      body with one row vector;
    - q_len <= 4 with rows of Q, K and V contiguous (read from memrefs of
      innermost stride 1, as in attn-export-functions' unit-stride copy)
      takes the decode body instead: one task per (batch, KV head) holding
      the whole GQA group of query heads, vectorized over head_dim (dot
      products of rows, P V as broadcast weights times rows of V, the
      accumulators in registers when a V row fits 8 of them), K and V rows
      read once per step for up to 4 query rows;
    - when tasks are few (< 4 x the runtime's `attn_get_num_threads()`),
      the key range is split into up to that many parts (at most kv_len /
      256, whole key steps each), run as another parallel dimension, and
      merged by their logsumexp (flash-decoding);
    - a mask operand's terms for a step are gathered into Mᵀ `[kv-block,
      q-block]` (keep-mask: 0 or -inf; bias: times log2(e)) and added in
      the score epilogue;
    - bf16 inputs widen to f32 as they are read, or with `bf16-dot`
      (avx512_bf16) use `x86vector.avx512.dot` on pairs along head_dim
      (Q packed as pairs) and along the keys (P rounded to bf16 pairs);
    - when the result is materialized into a memref (attn-export-functions'
      form), every branch writes into it directly, so no copy of the output
      is made.

    With `causal`, key blocks wholly above the diagonal are skipped: the key
    loop of a query block starting at row `q0` stops at `min(kv_len, q0 +
    rows + kv_len - q_len)`. GQA maps query head `h` to KV head `h /
    (q_heads / kv_heads)` in the slice offsets, so KV heads are read, never
    copied. (FlashAttention-2, Dao 2023, Algorithm 1.)

    Before:
    ```mlir
    %o = attn.sdpa %q, %k, %v causal : tensor<1x12x?x64xf32>, ...
    ```
    After:
    ```mlir
    %o = scf.forall (%b, %h, %qb) in (1, 12, %nqb) shared_outs(%out = %e) {
      %qt = tensor.extract_slice %q[%b, %h, %q0, 0] [1, 1, %rows, 64] ...
      %st:3 = scf.for %k0 = %c0 to %kend step %c64
          iter_args(%acc = %a0, %m = %m0, %l = %l0) -> (...) {
        ... = attn.online_sdpa %qt, %kt, %vt causal_shift %s acc(%acc, %m, %l)
      }
      ... acc / sum ...
      scf.forall.in_parallel { tensor.parallel_insert_slice ... }
    }
    ```
  }];
  let options = [
    Option<"qBlock", "q-block", "int64_t", "0",
           "Query rows per parallel task (0: from the target model; 64 "
           "without vectors)">,
    Option<"kvBlock", "kv-block", "int64_t", "0",
           "Keys per online-softmax step (0: from the target model, the "
           "step's scores in half of L1; 64 without vectors or L1 size)">,
    Option<"l1Bytes", "l1-bytes", "int64_t", "0",
           "L1 data cache size of the target in bytes (0: unknown)">,
    Option<"vectorWidth", "vector-width", "int64_t", "0",
           "f32 lanes per vector register (0: scalar attn.online_sdpa "
           "steps)">,
    Option<"vectorRegisters", "vector-registers", "int64_t", "32",
           "Vector registers of the target, for the register blocking">,
    Option<"bf16DotOption", "bf16-dot", "bool", "false",
           "bf16 inputs: avx512_bf16 dot products (x86vector.avx512.dot, "
           "vector width 8 or 16) instead of widening to f32">,
    Option<"countBlocks", "count-blocks", "bool", "false",
           "The vector kernels call the runtime's attn_count_blocks for "
           "each task and key step (attn_get_block_stats); needs the pass "
           "on a module">,
    Option<"gatherDensity", "gather-density", "int64_t", "8",
           "A task with a mask that lists its rows' keys (#attn.csr) "
           "gathers the listed keys when they are at most 1/N of its "
           "span's scores, else runs the block body (0: never gathers)">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::vector::VectorDialect",
                           "mlir::math::MathDialect",
                           "mlir::func::FuncDialect",
                           "mlir::bufferization::BufferizationDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::x86vector::X86VectorDialect"];
  let statistics = [
    Statistic<"numTiled", "num-tiled", "Number of attn.sdpa ops tiled">,
    Statistic<"numVectorized", "num-vectorized",
              "Number of those given the register-blocked vector body">
  ];
}

#endif // ATTN_PASSES_TD
