//===- AttnAttrs.td - Named masks of the attn dialect ------*- tablegen -*-===//
//
// The named masks that attn.sdpa's `masks` list takes: the masks researchers
// rewrite as a FlexAttention mask_mod every time (causal, sliding windows,
// strided patterns, global tokens, block layouts, key padding, documents,
// graphs), as attributes that the compiler knows the structure of.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_ATTRS_TD
#define ATTN_ATTRS_TD

include "dialect/Attn/AttnDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Attn_Alignment : I32EnumAttr<"Alignment",
    "the diagonal's alignment", [
      I32EnumAttrCase<"bottom_right", 0>,
      I32EnumAttrCase<"top_left", 1>]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

def Attn_MaskAttrInterface : AttrInterface<"MaskAttrInterface"> {
  let cppNamespace = "::mlir::attn";
  let description = [{
    A named mask: a keep-predicate over one score's coordinates
    `(b, h, q_idx, kv_idx)`, with the lengths and the op's captures. A new
    named mask implements this interface (its semantics, here) and, for
    speed, a block classifier in `passes/tile/NamedMasks.cpp`.
  }];
  let methods = [
    InterfaceMethod<[{
        Checks the mask against the op's captures (the indices it names,
        their types, and their sizes where they and the query's and key's
        dims are static); errors go to `emitError`.
      }], "::llvm::LogicalResult", "verifyCaptures",
      (ins "::llvm::function_ref<::mlir::InFlightDiagnostic()>":$emitError,
           "::mlir::TypeRange":$captureTypes,
           "::mlir::RankedTensorType":$queryType,
           "::mlir::RankedTensorType":$keyType)>,
    InterfaceMethod<[{
        Calls `tie(capture, dim, of)` for each capture dim that must equal
        the op's dim `of` at run time, so that attnc's entry point checks
        it on dynamic shapes (`ATTN_ERR_SHAPE`) before a kernel reads the
        capture: `verifyCaptures` checks the static ones.
      }], "void", "tieCaptureDims",
      (ins "::mlir::TypeRange":$captureTypes,
           "::llvm::function_ref<void(int64_t, int64_t, ::mlir::attn::SdpaDim)>":$tie),
      [{}], [{ return; }]>,
    InterfaceMethod<[{
        The i1 that is true where key `at.key` is visible to query
        `at.query`, built from scalar `arith` ops (and `tensor.extract` of
        captures, `scf.while` for searches) at `b`'s insertion point.
      }], "::mlir::Value", "buildKeep",
      (ins "::mlir::OpBuilder &":$b, "::mlir::Location":$loc,
           "const ::mlir::attn::MaskCoords &":$at)>,
  ];
}

class Attn_Mask<string name, string mnemonic_, list<string> overrides = []>
    : AttrDef<Attn_Dialect, name, [DeclareAttrInterfaceMethods<
                                       Attn_MaskAttrInterface, overrides>]> {
  let mnemonic = mnemonic_;
}

def Attn_CausalAttr : Attn_Mask<"Causal", "causal"> {
  let summary = "Causal mask, bottom-right (default) or top-left aligned";
  let description = [{
    Key `kv_idx` is visible to query `q_idx` iff `kv_idx <= q_idx + off`,
    with `off = kv_len - q_len` for `bottom_right` (FlashAttention >= 2.1,
    the KV-cache convention, and the op's `causal` flag) and `off = 0` for
    `top_left` (PyTorch 2's `is_causal`, `torch.tril(ones(L, S))`). The two
    agree when `q_len == kv_len`.
  }];
  let parameters = (ins DefaultValuedParameter<"::mlir::attn::Alignment",
                        "::mlir::attn::Alignment::bottom_right">:$alignment);
  let assemblyFormat = "(`<` $alignment^ `>`)?";
}

def Attn_WindowAttr : Attn_Mask<"Window", "window"> {
  let summary = "Sliding window of left and right extents (local attention)";
  let description = [{
    With `d = q_idx + off - kv_idx` (`off` as for `#attn.causal`), key
    `kv_idx` is visible iff `-right <= d <= left`: the query's diagonal key,
    `left` keys before it and `right` after it (Beltagy et al. 2020,
    Longformer; Mistral's sliding window is `left = W - 1, right = 0`).
    `left` and `right` are non-negative.
  }];
  let parameters = (ins "int64_t":$left,
                        DefaultValuedParameter<"int64_t", "0">:$right,
                        DefaultValuedParameter<"::mlir::attn::Alignment",
                        "::mlir::attn::Alignment::bottom_right">:$alignment);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_StridedAttr : Attn_Mask<"Strided", "strided"> {
  let summary = "Strided (dilated) attention: every stride-th diagonal";
  let description = [{
    With `d = q_idx + off - kv_idx`, key `kv_idx` is visible iff
    `d mod stride == 0`: the strided pattern of the Sparse Transformer
    (Child et al. 2019, "Generating Long Sequences with Sparse
    Transformers", eq. for A(2)). Intersected with a window it is
    Longformer's dilated sliding window; with causal, Child's strided head.
    `stride >= 1`.
  }];
  let parameters = (ins "int64_t":$stride,
                        DefaultValuedParameter<"::mlir::attn::Alignment",
                        "::mlir::attn::Alignment::bottom_right">:$alignment);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_GlobalTokensAttr : Attn_Mask<"GlobalTokens", "global_tokens"> {
  let summary = "Global tokens: the first `count` attend and are attended";
  let description = [{
    Key `kv_idx` is visible iff `q_idx < count` or `kv_idx < count`: the
    first `count` positions are global (Beltagy et al. 2020, Longformer;
    Zaheer et al. 2020, BigBird's ITC). Use it in an `#attn.any_of` with a
    window. `count >= 0`.
  }];
  let parameters = (ins "int64_t":$count);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_BlockLayoutAttr : Attn_Mask<"BlockLayout", "block_layout"> {
  let summary = "A static block-sparse layout (BigBird, Sparse Transformer)";
  let description = [{
    `layout` is an `i1` tensor `[q_blocks, kv_blocks]` over blocks of
    `block` queries by `block` keys: key `kv_idx` is visible to query
    `q_idx` iff `layout[q_idx / block, kv_idx / block]`. Queries or keys
    past the layout see nothing (a row past it returns zeros). BigBird's
    pattern (Zaheer et al. 2020: window, global and random blocks) is such a
    layout, drawn once by the user. `block >= 1`.
  }];
  let parameters = (ins "int64_t":$block, "::mlir::DenseIntElementsAttr":$layout);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_KeyPaddingAttr
    : Attn_Mask<"KeyPadding", "key_padding", ["tieCaptureDims"]> {
  let summary = "Key padding from per-batch valid lengths";
  let description = [{
    Capture number `lengths` is a signless integer (or index) tensor
    `[batch]`: key `kv_idx` of
    batch `b` is visible iff `kv_idx < lengths[b]` (PyTorch's
    `key_padding_mask` given as lengths). A length of 0 gives zeros;
    lengths past `kv_len` see every key.
  }];
  let parameters = (ins "int64_t":$lengths);
  let assemblyFormat = "`<` struct(params) `>`";
}

def Attn_DocumentAttr
    : Attn_Mask<"Document", "document", ["tieCaptureDims"]> {
  let summary = "Document ids of packed sequences";
  let description = [{
    Captures number `ids` (queries, `[q_len]` or `[batch, q_len]`) and
    `kv_ids` (keys, `[kv_len]` or `[batch, kv_len]`; `ids` itself when
    absent, which must then cover `max(q_len, kv_len)`) are signless integer
    tensors: key `kv_idx` is visible iff `ids[(b,) q_idx] ==
    kv_ids[(b,) kv_idx]`, so packed documents do not see each other
    (FlexAttention's document masking). `q_idx` is the row's index in the
    query tensor: a decode step over a KV cache passes the new queries' ids
    as `ids` and the cache's as `kv_ids`. Any ids work; ids that are sorted
    (contiguous documents) let the kernels skip whole blocks. Intersect
    with `#attn.causal` for causal packing.
  }];
  let parameters = (ins "int64_t":$ids,
                        DefaultValuedParameter<"int64_t", "-1">:$kv_ids);
  let assemblyFormat = "`<` struct(params) `>`";
  let extraClassDeclaration = [{
    /// The capture of the keys' ids.
    int64_t getKeyIds() const { return getKvIds() < 0 ? getIds() : getKvIds(); }
  }];
}

def Attn_CsrAttr : Attn_Mask<"Csr", "csr"> {
  let summary = "Graph adjacency in compressed sparse row form";
  let description = [{
    Captures number `offsets` (`[q_len + 1]`, non-decreasing, within
    `[0, nnz]`) and `columns` (`[nnz]`, each in `[0, kv_len)`) are signless
    integer tensors: key `kv_idx` is visible to query `q_idx` iff it is one
    of `columns[offsets[q_idx] : offsets[q_idx + 1]]`, which must be sorted
    ascending in each row (graph attention over a sparse adjacency,
    Veličković et al. 2018). Rows without edges return zeros. Data that
    breaks these rules gives unspecified results (never a write out of
    bounds), as an out-of-range index into a capture does.
  }];
  let parameters = (ins "int64_t":$offsets, "int64_t":$columns);
  let assemblyFormat = "`<` struct(params) `>`";
}

def Attn_AllOfAttr
    : Attn_Mask<"AllOf", "all_of", ["tieCaptureDims"]> {
  let summary = "Intersection of masks: visible where all of them keep";
  let parameters = (ins "::mlir::ArrayAttr":$masks);
  let assemblyFormat = "`<` $masks `>`";
  let genVerifyDecl = 1;
}

def Attn_AnyOfAttr
    : Attn_Mask<"AnyOf", "any_of", ["tieCaptureDims"]> {
  let summary = "Union of masks: visible where any of them keeps";
  let parameters = (ins "::mlir::ArrayAttr":$masks);
  let assemblyFormat = "`<` $masks `>`";
  let genVerifyDecl = 1;
}

//===----------------------------------------------------------------------===//
// Named score modifiers
//===----------------------------------------------------------------------===//

def Attn_ScoreModAttrInterface : AttrInterface<"ScoreModAttrInterface"> {
  let cppNamespace = "::mlir::attn";
  let description = [{
    A named score modifier: a new score from one score and its coordinates
    `(score, b, h, q_idx, kv_idx)`, as a `score_mod` region would compute
    it, with the lengths, `q_heads` and the op's captures. A new one
    implements this interface (its semantics, here); the kernels apply it
    in registers as they apply a `score_mod` region
    (passes/tile/NamedScoreMods.h).
  }];
  let methods = [
    InterfaceMethod<[{
        Checks the modifier against the op's captures (the indices it names,
        their types, and their sizes where they and the query's dims are
        static); errors go to `emitError`.
      }], "::llvm::LogicalResult", "verifyCaptures",
      (ins "::llvm::function_ref<::mlir::InFlightDiagnostic()>":$emitError,
           "::mlir::TypeRange":$captureTypes,
           "::mlir::RankedTensorType":$queryType,
           "::mlir::RankedTensorType":$keyType)>,
    InterfaceMethod<[{
        Calls `tie(capture, dim, of)` for each capture dim that must equal
        the op's dim `of` at run time, so that attnc's entry point checks
        it on dynamic shapes (`ATTN_ERR_SHAPE`) before a kernel reads the
        capture: `verifyCaptures` checks the static ones.
      }], "void", "tieCaptureDims",
      (ins "::mlir::TypeRange":$captureTypes,
           "::llvm::function_ref<void(int64_t, int64_t, ::mlir::attn::SdpaDim)>":$tie),
      [{}], [{ return; }]>,
    InterfaceMethod<[{
        The new score (f32, natural base-e units) from `score` (the scaled
        score `scale * q·k`, after the op's `score_mod` and the named
        modifiers before this one) at `at`, built from scalar `arith` and
        `math` ops (and `tensor.extract` of captures) at `b`'s insertion
        point. `at.qHeads` is set.
      }], "::mlir::Value", "buildScore",
      (ins "::mlir::OpBuilder &":$b, "::mlir::Location":$loc,
           "::mlir::Value":$score,
           "const ::mlir::attn::MaskCoords &":$at)>,
  ];
}

def Attn_AlibiAttr : AttrDef<Attn_Dialect, "Alibi", [
    DeclareAttrInterfaceMethods<Attn_ScoreModAttrInterface,
                                ["tieCaptureDims"]>]> {
  let mnemonic = "alibi";
  let summary = "ALiBi: a linear bias of each key's distance from the query";
  let description = [{
    Attention with Linear Biases (Press et al. 2022, "Train Short, Test
    Long", eq. in sec. 3): `score + m[h] * (kv_idx - pos)`, where
    `pos = q_idx + kv_len - q_len` is the query's position among the keys
    (bottom-right, as `causal`: a decode step's newest query is at
    `kv_len - 1`) and `m[h]` is query head `h`'s slope. Keys before the
    query get a negative bias, keys after it (without a causal mask) a
    positive one, as in FlexAttention's ALiBi `score_mod`. The offset is a
    per-row constant, so it does not change the result, only keeps the
    bias of the query's own position at 0.

    - `#attn.alibi`: the paper's geometric slopes for `n = q_heads` heads:
      `m[h] = 2^(-8 (h + 1) / n)` when `n` is a power of two; otherwise,
      with `p` the largest power of two below `n`, the first `p` slopes of
      `p` heads followed by every other slope of `2p` heads
      (`m[h] = 2^(-4 (2 (h - p) + 1) / p)` for `h >= p`), as the paper's
      reference code `get_slopes` computes them.
    - `#attn.alibi<slopes = c>`: slope `m[h]` is `captures[c][h]`, an f32
      tensor `[q_heads]` (trained or per-model slopes).

    Distances are formed in f32 from integer positions, exact below 2^24
    tokens.
  }];
  let parameters = (ins DefaultValuedParameter<"int64_t", "-1">:$slopes);
  let assemblyFormat = "(`<` `slopes` `=` $slopes^ `>`)?";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The slope of query head `head` (index) as an f32, for `qHeads`
    /// query heads (index) and the op's `captures`.
    ::mlir::Value buildSlope(::mlir::OpBuilder &b, ::mlir::Location loc,
                             ::mlir::Value head, ::mlir::Value qHeads,
                             ::mlir::ValueRange captures) const;
  }];
}

def Attn_MaskAttr : Attr<CPred<"::llvm::isa<::mlir::attn::MaskAttrInterface>($_self)">,
                         "named attention mask">;
def Attn_MaskArrayAttr : TypedArrayAttrBase<Attn_MaskAttr,
                                            "list of named attention masks">;
def Attn_ScoreModAttr : Attr<CPred<"::llvm::isa<::mlir::attn::ScoreModAttrInterface>($_self)">,
                             "named score modifier">;
def Attn_ScoreModArrayAttr : TypedArrayAttrBase<Attn_ScoreModAttr,
                                                "list of named score modifiers">;

#endif // ATTN_ATTRS_TD
