//===- AttnAttrs.h - Named masks of the attn dialect ------------*- C++ -*-===//
#ifndef ATTN_DIALECT_ATTN_ATTNATTRS_H
#define ATTN_DIALECT_ATTN_ATTNATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectImplementation.h"

namespace mlir::attn {

/// A dim of attn.sdpa that a capture's dim can be tied to:
/// [batch, q_heads, q_len, ...] of the query, kv_len of the key.
enum class SdpaDim { Batch, QHeads, QLen, KvLen };

/// Where a named mask or score modifier is evaluated: one score's
/// coordinates (index values: batch `b`, query head `h`, `query` = q_idx,
/// `key` = kv_idx), the lengths, the op's capture values (tensors or
/// scalars), and (for score modifiers; null for masks) q_heads.
struct MaskCoords {
  Value batch, head, query, key;
  Value qLen, kvLen;
  ValueRange captures;
  Value qHeads = {};
};

} // namespace mlir::attn

#include "dialect/Attn/AttnEnums.h.inc"
#include "dialect/Attn/AttnAttrInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialect/Attn/AttnAttrs.h.inc"

namespace mlir::attn {

/// The keep-predicate of all of `masks` (an i1; true when `masks` is
/// empty): their intersection, as attn.sdpa's `masks` list means it.
Value buildMasksKeep(OpBuilder &b, Location loc, ArrayRef<Attribute> masks,
                     const MaskCoords &at);

/// `score` (f32, natural units) rewritten by each of `mods` (named score
/// modifiers) in order, as attn.sdpa's `score_mods` list means it.
Value buildScoreMods(OpBuilder &b, Location loc, ArrayRef<Attribute> mods,
                     Value score, const MaskCoords &at);

} // namespace mlir::attn

#endif // ATTN_DIALECT_ATTN_ATTNATTRS_H
