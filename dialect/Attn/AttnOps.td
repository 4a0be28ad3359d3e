//===- AttnOps.td - attn dialect ops -----------------------*- tablegen -*-===//
#ifndef ATTN_OPS_TD
#define ATTN_OPS_TD

include "dialect/Attn/AttnDialect.td"
include "mlir/Dialect/Linalg/IR/LinalgInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Attn_SdpaOp : Attn_Op<"sdpa", [
    Pure,
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
    - `mask` (optional): `[q_len, kv_len]` or
      `[batch | 1, q_heads | 1, q_len, kv_len]`; a dim of static size 1
      broadcasts.
    - result: `[batch, q_heads, q_len, v_head_dim]`

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

    Element types: f32 for query/key/value/result. Other types are rejected
    by the verifier until their lowering exists.

    Example:
    ```mlir
    %o = attn.sdpa %q, %k, %v causal {scale = 0.125 : f32}
        : tensor<1x12x?x64xf32>, tensor<1x12x?x64xf32>, tensor<1x12x?x64xf32>
        -> tensor<1x12x?x64xf32>
    %o2 = attn.sdpa %q, %k, %v mask %m
        : tensor<2x8x?x64xf32>, tensor<2x2x?x64xf32>, tensor<2x2x?x64xf32>,
          tensor<1x1x?x?xi1> -> tensor<2x8x?x64xf32>
    ```
  }];

  let arguments = (ins AnyRankedTensor:$query, AnyRankedTensor:$key,
                       AnyRankedTensor:$value,
                       Optional<AnyRankedTensor>:$mask,
                       OptionalAttr<F32Attr>:$scale,
                       UnitAttr:$causal);
  let results = (outs AnyRankedTensor:$output);

  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` $mask^)? (`causal` $causal^)? attr-dict
    `:` type($query) `,` type($key) `,` type($value) (`,` type($mask)^)?
    `->` type($output)
  }];

  let hasVerifier = 1;

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
    /// q_heads / kv_heads when both are static (0 when kv_heads is 0, which
    /// requires q_heads = 0), else std::nullopt.
    std::optional<int64_t> getStaticGroupSize();
  }];
}

#endif // ATTN_OPS_TD
