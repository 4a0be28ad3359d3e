//===- AttnOps.td - attn dialect ops -----------------------*- tablegen -*-===//
#ifndef ATTN_OPS_TD
#define ATTN_OPS_TD

include "dialect/Attn/AttnDialect.td"
include "dialect/Attn/AttnAttrs.td"
include "dialect/Attn/AttnInterfaces.td"
include "mlir/Dialect/Linalg/IR/LinalgInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Attn_SdpaOp : Attn_Op<"sdpa", [
    Pure, AttrSizedOperandSegments, AttrSizedResultSegments,
    IsolatedFromAbove,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "Scaled dot-product attention, with GQA/MQA, causal and mask";
  let description = [{
    Computes `O = softmax(scale * Q Kᵀ + mask) V` (Vaswani et al., 2017,
    "Attention Is All You Need", eq. 1), one softmax per query row.

    Shapes (layout `[batch, num_heads, seq_len, head_dim]`):
    - `query`: `[batch, q_heads, q_len, head_dim]`
    - `key`:   `[batch, kv_heads, kv_len, head_dim]`
    - `value`: `[batch, kv_heads, kv_len, v_head_dim]`
    - `mask` (optional): `[q_len | 1, kv_len | 1]` or
      `[batch | 1, q_heads | 1, q_len | 1, kv_len | 1]`, broadcast as
      PyTorch broadcasts `attn_mask`: a dim of size 1 (static, or dynamic
      and 1 at run time) applies to every index of its partner. For
      example `[batch, 1, q_len, kv_len]` is one mask per batch for every
      head, and `[batch, 1, 1, kv_len]` a key-padding mask for every head
      and query row. Broadcasting reads the mask with stride 0; nothing is
      copied.
    - result: `[batch, q_heads, q_len, v_head_dim]`
    - `lse` (optional second result): `[batch, q_heads, q_len]`, f32, each
      row's logsumexp `ln sum_j exp(x_j)` of its final scores `x` (after
      scale, score modifiers, bias and masks; natural units), as
      FlashAttention returns it (`softmax_lse`). A row that sees no key
      gets `-inf`. The softmax weights are `exp(x_j - lse)`. Written
      `lse <type>` after the result's type.
    - `probs` (optional third result): `[batch, q_heads, q_len, kv_len]`,
      f32, the attention weights `softmax(x)` themselves, each row summing
      to 1 over the keys it sees; a masked key gets 0, and so does every
      key of a row that sees none. They are what
      `torch.nn.MultiheadAttention(need_weights=True,
      average_attn_weights=False)` returns. Written `probs <type>`. They
      take `q_len * kv_len` floats per head, so they are for looking at a
      model, not for long sequences.

    Every dim may be static or dynamic (`?`); static dims are checked here,
    dynamic ones by the runtime when a compiled kernel is called.

    **GQA/MQA** (Ainslie et al., 2023): `q_heads` must be a multiple of
    `kv_heads`; query head `h` reads KV head `h floordiv (q_heads / kv_heads)`.
    The KV heads are broadcast, never copied. MQA is `kv_heads = 1`.

    **scale**: a finite f32; defaults to `1 / sqrt(head_dim)` (1 when
    `head_dim` is 0).

    **causal**: query row `i` attends to key `j` only when
    `j <= i + (kv_len - q_len)`. This is *bottom-right* alignment
    (FlashAttention >= 2.1, and the KV-cache decode convention: the last query
    is the newest token and sees every key). When `q_len == kv_len` it is the
    usual lower-triangular mask (PyTorch's `is_causal`). When
    `q_len > kv_len`, the first `q_len - kv_len` rows see no key.

    **mask**: `i1` is a keep-mask (`true` = attend), `f32` is an additive
    bias added to the scaled scores (`-inf` masks out).

    **Fully masked rows** (every key masked by `causal`, an `i1` mask or
    `-inf` biases, or `kv_len = 0`) produce zeros, never NaN. The softmax runs
    in f32 with the running max started at the lowest finite float and a
    guarded division by the row sum (FlashAttention-2, Dao 2023).

    Element types: query, key and value are all f32 or all bf16; the result
    is f32 or bf16 (a bf16 result is rounded to nearest even once, at the
    end). Scores, softmax and accumulation are f32 in every case (bf16
    inputs widen exactly; the avx512_bf16 kernels round the softmax weights
    to bf16 for the P V dot products). Other types are rejected.

    **mask_mod** and **score_mod** (optional regions, as PyTorch
    FlexAttention's `mask_mod` and `score_mod`, He et al. 2024): small
    programs over one score's coordinates, which the tiled kernels run in
    registers on every score they form.
    - `mask_mod(%b, %h, %q_idx, %kv_idx: index, captures...) -> i1`: key
      `kv_idx` is visible to query `q_idx` of query head `h` in batch `b`
      only where it yields true.
    - `score_mod(%score: f32, %b, %h, %q_idx, %kv_idx: index, captures...)
      -> f32`: the new score, from the scaled score `scale * q·k` in
      natural (base-e) units. Examples: ALiBi (`score + slope[h] * (kv_idx
      - q_idx)`), tanh soft-capping (`c * tanh(score / c)`, Gemma 2), a
      learned bias table.
    `h` is the query head (not the KV head); `q_idx` and `kv_idx` count
    from 0 to `q_len` and `kv_len`. The regions are isolated from above:
    run-time values they read (per-batch lengths, document ids, CSR row
    offsets and columns, a bias table, `q_len` from `tensor.dim`) are the
    op's `captures` operands, passed to both regions as their trailing block
    arguments, so that a kernel's signature and shape checks see them.
    They may hold ops of the `arith` and `math` dialects, `tensor.extract`
    and `tensor.dim` (no ops with regions: `arith.select` is the
    conditional), on integers of up to 64 bits, `index` and `f32`, ending
    in `attn.yield` of one `i1` (mask_mod) or `f32` (score_mod). An
    out-of-bounds `tensor.extract` is undefined behaviour, as in the tensor
    dialect; a score_mod result of +inf or NaN gives unspecified values in
    its row (as NaN inputs do), -inf hides the key.

    **masks** (optional): a list of named masks (`#attn.causal`,
    `#attn.window`, `#attn.strided`, `#attn.global_tokens`,
    `#attn.block_layout`, `#attn.key_padding`, `#attn.document`,
    `#attn.csr`, and their combinations `#attn.all_of` and `#attn.any_of`;
    see docs/dialect.md), all of which must keep a key for it to be
    visible. They mean what a mask_mod could say, but the compiler knows
    their structure: the tiled kernels skip the key blocks they hide and
    apply no mask on the blocks they keep whole. Masks that read run-time
    data name captures by position (`#attn.key_padding<lengths = 0>` reads
    `captures[0]`).

    **score_mods** (optional): a list of named score modifiers
    (`#attn.alibi`, see docs/dialect.md), applied in order after
    `score_mod`: what a `score_mod` region could say, with the paper's
    defaults (ALiBi's geometric slopes from `q_heads`). The kernels apply
    them in registers as they apply a `score_mod` region.

    **Order**: `x = scale * q·k`; `x = score_mod(x, ...)`; `x =
    score_mods(x)`; `x += bias` (an f32 mask); then `x = -inf` where the i1 mask, `mask_mod`, `masks` or
    `causal` hides the key. Gemma 2's soft-capping comes before its additive mask in
    the same way.

    Example:
    ```mlir
    %o = attn.sdpa %q, %k, %v causal {scale = 0.125 : f32}
        : tensor<1x12x?x64xf32>, tensor<1x12x?x64xf32>, tensor<1x12x?x64xf32>
        -> tensor<1x12x?x64xf32>
    // Mistral-style sliding window of 4096 keys, bottom-right aligned.
    %o1 = attn.sdpa %q, %k, %v masks [#attn.window<left = 4095>]
        : tensor<1x32x?x128xbf16>, tensor<1x8x?x128xbf16>,
          tensor<1x8x?x128xbf16> -> tensor<1x32x?x128xbf16>
    // BLOOM-style ALiBi with the paper's slopes for 32 heads, causal.
    %o4 = attn.sdpa %q, %k, %v causal score_mods [#attn.alibi]
        : tensor<?x32x?x128xf32>, tensor<?x32x?x128xf32>,
          tensor<?x32x?x128xf32> -> tensor<?x32x?x128xf32>
    // The output and each row's logsumexp.
    %o5, %lse = attn.sdpa %q, %k, %v causal
        : tensor<1x8x?x64xf32>, tensor<1x8x?x64xf32>, tensor<1x8x?x64xf32>
        -> tensor<1x8x?x64xf32>, lse tensor<1x8x?xf32>
    // The output and the attention weights.
    %o6, %p = attn.sdpa %q, %k, %v
        : tensor<1x8x16x64xf32>, tensor<1x8x32x64xf32>, tensor<1x8x32x64xf32>
        -> tensor<1x8x16x64xf32>, probs tensor<1x8x16x32xf32>
    %o2 = attn.sdpa %q, %k, %v mask %m
        : tensor<2x8x?x64xf32>, tensor<2x2x?x64xf32>, tensor<2x2x?x64xf32>,
          tensor<1x1x?x?xi1> -> tensor<2x8x?x64xf32>
    // Key padding from per-batch lengths, with tanh soft-capping at 50.
    %o3 = attn.sdpa %q, %k, %v captures(%lens : tensor<?xi32>)
        : tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>
          -> tensor<?x8x?x64xf32>
        mask_mod {
        ^bb0(%b: index, %h: index, %qi: index, %ki: index,
             %len: tensor<?xi32>):
          %l = tensor.extract %len[%b] : tensor<?xi32>
          %li = arith.index_cast %l : i32 to index
          %keep = arith.cmpi ult, %ki, %li : index
          attn.yield %keep : i1
        } score_mod {
        ^bb0(%s: f32, %b: index, %h: index, %qi: index, %ki: index,
             %len: tensor<?xi32>):
          %c = arith.constant 50.0 : f32
          %x = arith.divf %s, %c : f32
          %t = math.tanh %x : f32
          %r = arith.mulf %t, %c : f32
          attn.yield %r : f32
        }
    ```
  }];

  let arguments = (ins AnyRankedTensor:$query, AnyRankedTensor:$key,
                       AnyRankedTensor:$value,
                       Optional<AnyRankedTensor>:$mask,
                       Variadic<AnyType>:$captures,
                       OptionalAttr<F32Attr>:$scale,
                       UnitAttr:$causal,
                       OptionalAttr<Attn_MaskArrayAttr>:$masks,
                       OptionalAttr<Attn_ScoreModArrayAttr>:$score_mods);
  let results = (outs AnyRankedTensor:$output,
                      Optional<AnyRankedTensor>:$lse,
                      Optional<AnyRankedTensor>:$probs);
  let regions = (region MaxSizedRegion<1>:$mask_mod,
                        MaxSizedRegion<1>:$score_mod);

  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` $mask^)? (`causal` $causal^)?
    (`masks` $masks^)? (`score_mods` $score_mods^)?
    (`captures` `(` $captures^ `:` type($captures) `)`)? attr-dict
    `:` type($query) `,` type($key) `,` type($value) (`,` type($mask)^)?
    `->` type($output) `` custom<WeightTypes>(type($lse), type($probs))
    (`mask_mod` $mask_mod^)? (`score_mod` $score_mod^)?
  }];

  let hasVerifier = 1;
  let hasRegionVerifier = 1;

  let extraClassDeclaration = [{
    /// Names of the dims of each operand, for diagnostics and docs.
    static llvm::ArrayRef<llvm::StringLiteral> getQueryDimNames();
    static llvm::ArrayRef<llvm::StringLiteral> getKeyDimNames();
    static llvm::ArrayRef<llvm::StringLiteral> getValueDimNames();
    static llvm::ArrayRef<llvm::StringLiteral> getOutputDimNames();

    ::mlir::RankedTensorType getQueryType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getQuery().getType());
    }
    ::mlir::RankedTensorType getKeyType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getKey().getType());
    }
    ::mlir::RankedTensorType getValueType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getValue().getType());
    }
    ::mlir::RankedTensorType getMaskType() {
      return getMask() ? ::llvm::cast<::mlir::RankedTensorType>(
                             getMask().getType())
                       : ::mlir::RankedTensorType();
    }
    ::mlir::RankedTensorType getOutputType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getOutput().getType());
    }
    /// The logsumexp result's type, or null.
    ::mlir::RankedTensorType getLseType() {
      return getLse() ? ::llvm::cast<::mlir::RankedTensorType>(
                            getLse().getType())
                      : ::mlir::RankedTensorType();
    }
    /// The attention weights result's type, or null.
    ::mlir::RankedTensorType getProbsType() {
      return getProbs() ? ::llvm::cast<::mlir::RankedTensorType>(
                              getProbs().getType())
                        : ::mlir::RankedTensorType();
    }
    /// The i1 keep-predicate's block, or null.
    ::mlir::Block *getMaskModBlock() {
      return getMaskMod().empty() ? nullptr : &getMaskMod().front();
    }
    /// The score modifier's block, or null.
    ::mlir::Block *getScoreModBlock() {
      return getScoreMod().empty() ? nullptr : &getScoreMod().front();
    }
    /// True if the op has a mask_mod or a score_mod region.
    bool hasMods() { return getMaskModBlock() || getScoreModBlock(); }
    /// The named masks (empty when there are none).
    ::llvm::ArrayRef<::mlir::Attribute> getNamedMasks() {
      if (auto m = getMasksAttr())
        return m.getValue();
      return {};
    }
    /// The named score modifiers (empty when there are none).
    ::llvm::ArrayRef<::mlir::Attribute> getNamedScoreMods() {
      if (auto m = getScoreModsAttr())
        return m.getValue();
      return {};
    }
    /// True if the kernel reads its coordinates in ways attn-tile's
    /// per-batch split does not preserve: mods, named masks or named score
    /// modifiers.
    bool hasCoordinateMasks() {
      return hasMods() || !getNamedMasks().empty() ||
             !getNamedScoreMods().empty();
    }
    /// q_heads / kv_heads when both are static (0 when kv_heads is 0, which
    /// requires q_heads = 0), else std::nullopt.
    std::optional<int64_t> getStaticGroupSize();
  }];
}

def Attn_OnlineSdpaOp : Attn_Op<"online_sdpa", [
    Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>]> {
  let summary = "One KV block of online-softmax attention (FlashAttention)";
  let description = [{
    Folds one block of keys and values into running attention state, as in
    FlashAttention (Dao et al., 2022) and FlashAttention-2 (Dao, 2023): with
    the block's scores `X = scale * Q Kᵀ (+ mask)` (masked entries `-inf`),

        new_max = max(max, rowmax(X))
        P       = exp(X - new_max)
        alpha   = exp(max - new_max)
        new_sum = alpha * sum + rowsum(P)
        new_acc = alpha * acc + P V

    and `acc / sum` (0 where `sum` is 0) after the last block is
    `attn.sdpa`'s result. `attn-tile` produces it; `attn-decompose` lowers
    it to linalg. Start from `acc = 0`, `sum = 0` and `max` = the lowest
    finite f32 (never `-inf`: masked rows then stay at `sum = 0`).

    Shapes are those of `attn.sdpa` with `q_len`, `kv_len` the block's:
    query `[batch, q_heads, q_len, head_dim]`, key
    `[batch, kv_heads, kv_len, head_dim]`, value
    `[batch, kv_heads, kv_len, v_head_dim]`, mask as for `attn.sdpa`,
    acc `[batch, q_heads, q_len, v_head_dim]`, max and sum
    `[batch, q_heads, q_len]`, all f32.

    `causal_shift` (an index) masks key `j` of the block from query `i` of
    the block unless `j <= i + causal_shift`. For a query block starting at
    row `q0` and a key block at `k0` of an `attn.sdpa` with lengths `Lq` and
    `Lk`, `causal_shift = (Lk - Lq) + q0 - k0`.

    Example:
    ```mlir
    %acc2, %max2, %sum2 = attn.online_sdpa %q, %k, %v
        mask(%m : tensor<64x?xi1>) causal_shift %s
        acc(%acc, %max, %sum) {scale = 0.125 : f32}
        : tensor<1x1x64x64xf32>, tensor<1x1x?x64xf32>, tensor<1x1x?x64xf32>,
          tensor<1x1x64x64xf32>, tensor<1x1x64xf32>, tensor<1x1x64xf32>
    ```
  }];

  let arguments = (ins AnyRankedTensor:$query, AnyRankedTensor:$key,
                       AnyRankedTensor:$value,
                       Optional<AnyRankedTensor>:$mask,
                       Optional<Index>:$causal_shift,
                       AnyRankedTensor:$acc, AnyRankedTensor:$max,
                       AnyRankedTensor:$sum,
                       OptionalAttr<F32Attr>:$scale);
  let results = (outs AnyRankedTensor:$new_acc, AnyRankedTensor:$new_max,
                      AnyRankedTensor:$new_sum);

  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`causal_shift` $causal_shift^)?
    `acc` `(` $acc `,` $max `,` $sum `)` attr-dict
    `:` type($query) `,` type($key) `,` type($value)
    `,` type($acc) `,` type($max) `,` type($sum)
  }];

  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Projections and Luong attention
//===----------------------------------------------------------------------===//

def Attn_ProjectOp : Attn_Op<"project", [
    Pure,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<Attn_ShapeRelationsOpInterface>]> {
  let summary = "A per-head linear projection, x W (+ b)";
  let description = [{
    Computes `out[b, h, l, :] = input[b, h', l, :] · W_h + bias_h`: the
    projection of each row of `input` by a matrix, one per head or shared,
    as `torch.nn.Linear` computes `x Aᵀ + b` (so `W` here is `nn.Linear`'s
    `weight` transposed). It is the building block of the attention family
    around `attn.sdpa`: the folded query of Luong's general score, the
    projected queries and keys of additive attention, GAT's `W h`.

    Shapes:
    - `input`: `[batch, heads | 1, seq_len, in_dim]`; a static 1 in dim 1
      is broadcast to every head of `weight`.
    - `weight`: `[in_dim, out_dim]` (one matrix for every head) or
      `[heads, in_dim, out_dim]` (one per head).
    - `bias` (optional): `[out_dim]` or `[heads, out_dim]`.
    - result: `[batch, heads, seq_len, out_dim]`, where `heads` is
      `weight`'s dim 0 when it has rank 3, else `input`'s dim 1.

    Element types: f32 or bf16 for each operand and the result; products
    and sums are f32 (bf16 widens exactly) and a bf16 result is rounded to
    nearest even once. The order of the sum over `in_dim` is unspecified.

    Example:
    ```mlir
    // Eight query heads of width 64 from one d_model = 512 stream.
    %q = attn.project %x, %wq bias %bq
        : tensor<?x1x?x512xf32>, tensor<8x512x64xf32>, tensor<8x64xf32>
        -> tensor<?x8x?x64xf32>
    ```
  }];

  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight,
                       Optional<AnyRankedTensor>:$bias);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? attr-dict
    `:` type($input) `,` type($weight) (`,` type($bias)^)?
    `->` type($output)
  }];
  let hasVerifier = 1;
}

def Attn_LuongOp : Attn_Op<"luong", [
    Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "Luong's global attention, with the dot or general score";
  let description = [{
    Global attention of Luong, Pham and Manning (2015), "Effective
    Approaches to Attention-based Neural Machine Translation", eq. 7-8:
    each target state `h_t` attends over the source states `h̄_s`, which
    are both the keys and the values:

        score(h_t, h̄_s) = h_tᵀ h̄_s        (dot: no `weight`)
                        = h_tᵀ W_a h̄_s    (general: `weight` = W_a)
        a_t = softmax_s(score(h_t, h̄_s) + mask)
        c_t = Σ_s a_t(s) h̄_s

    The score is not scaled. The general score folds `W_a` into the query
    (`(h_t W_a) · h̄_s`), so both forms run on `attn.sdpa`'s tiled kernels:
    `attn-expand-variants` rewrites the op as an `attn.project` of the
    query followed by `attn.sdpa {scale = 1.0}`. The attentional hidden
    state `tanh(W_c [c_t; h_t])` of eq. 5 is `attn.luong_output`. The
    alignment weights `a_t` come from `attnc --weights=probs`, as for
    `attn.sdpa`.

    Shapes (a recurrent model has one head: `heads = 1`):
    - `query` (`h_t`): `[batch, q_heads, q_len, query_dim]`
    - `source` (`h̄_s`): `[batch, kv_heads, kv_len, source_dim]`, with
      `q_heads` a multiple of `kv_heads` as in `attn.sdpa`'s GQA
    - `weight` (`W_a`, general only): `[query_dim, source_dim]`, or
      `[q_heads, query_dim, source_dim]`. With PyTorch's
      `nn.Linear(source_dim, query_dim, bias=False)` applied to the source
      states (the usual way to write the general score), `W_a` is that
      module's `weight`. The dot score needs `query_dim = source_dim`.
    - `mask` (optional): as `attn.sdpa`'s, over `[q_len, kv_len]` (i1
      keep-mask or f32 additive bias, broadcast as PyTorch's `attn_mask`);
      a source-padding mask is `[batch, 1, 1, kv_len]`.
    - result (`c_t`): `[batch, q_heads, q_len, source_dim]`

    Element types: as `attn.sdpa`'s, with `query`, `source` and `weight` of
    one type; with bf16 the folded query `h_t W_a` is rounded to bf16.
    Rows that see no source state give zeros.

    Example:
    ```mlir
    %c = attn.luong %ht, %hs weight(%wa : tensor<256x512xf32>)
        : tensor<?x1x1x256xf32>, tensor<?x1x?x512xf32>
        -> tensor<?x1x1x512xf32>
    // The dot score over a padded batch of source sentences.
    %c2 = attn.luong %ht, %hs mask(%keep : tensor<?x1x1x?xi1>)
        : tensor<?x1x1x512xf32>, tensor<?x1x?x512xf32>
        -> tensor<?x1x1x512xf32>
    ```
  }];

  let arguments = (ins AnyRankedTensor:$query, AnyRankedTensor:$source,
                       Optional<AnyRankedTensor>:$weight,
                       Optional<AnyRankedTensor>:$mask);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $query `,` $source (`weight` `(` $weight^ `:` type($weight) `)`)?
    (`mask` `(` $mask^ `:` type($mask) `)`)? attr-dict
    `:` type($query) `,` type($source) `->` type($output)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The query attn.sdpa attends with: `query` itself for the dot score;
    /// for the general score `query · W_a`, [batch, q_heads, q_len,
    /// source_dim] in the query's element type, its heads the query's (or
    /// the weight's dim 0 when the query's are dynamic).
    ::mlir::RankedTensorType getFoldedQueryType();
  }];
}

def Attn_LuongOutputOp : Attn_Op<"luong_output", [
    Pure,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<Attn_ShapeRelationsOpInterface>]> {
  let summary = "Luong's attentional hidden state, tanh(W_c [c; h] + b)";
  let description = [{
    The attentional hidden state of Luong et al. (2015), eq. 5:
    `h̃_t = tanh(W_c [c_t; h_t])`, the concatenation of the context `c_t`
    (`attn.luong`'s result) and the target state `h_t`, projected and
    squashed; with `bias`, `tanh(W_c [c_t; h_t] + b)`, which is
    `torch.tanh(nn.Linear(context_dim + query_dim, out_dim)(torch.cat([c,
    h], -1)))`. The concatenation is never formed.

    Shapes:
    - `context` (`c_t`): `[batch, heads, len, context_dim]`
    - `query` (`h_t`): `[batch, heads, len, query_dim]`
    - `weight` (`W_c` transposed, so `nn.Linear`'s `weight.T`):
      `[context_dim + query_dim, out_dim]` or
      `[heads, context_dim + query_dim, out_dim]`; rows
      `0 .. context_dim - 1` multiply the context, the rest the query
    - `bias` (optional): `[out_dim]` or `[heads, out_dim]`
    - result: `[batch, heads, len, out_dim]`

    `context_dim`, `query_dim` and the weight's rows must be static (a
    model's hidden sizes), so that their sum is checked here.
    Element types: f32 or bf16, products and sums in f32, `tanh` in f32
    (upstream's polynomial approximation, a few ulp).

    Example:
    ```mlir
    %h = attn.luong_output %c, %ht, %wc
        : tensor<?x1x1x512xf32>, tensor<?x1x1x256xf32>, tensor<768x256xf32>
        -> tensor<?x1x1x256xf32>
    ```
  }];

  let arguments = (ins AnyRankedTensor:$context, AnyRankedTensor:$query,
                       AnyRankedTensor:$weight,
                       Optional<AnyRankedTensor>:$bias);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $context `,` $query `,` $weight (`bias` $bias^)? attr-dict
    `:` type($context) `,` type($query) `,` type($weight)
    (`,` type($bias)^)? `->` type($output)
  }];
  let hasVerifier = 1;
}

def Attn_YieldOp : Attn_Op<"yield", [Pure, Terminator,
                                     HasParent<"SdpaOp">]> {
  let summary = "Ends attn.sdpa's mask_mod (an i1) or score_mod (an f32)";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "$values attr-dict `:` type($values)";
}

#endif // ATTN_OPS_TD
