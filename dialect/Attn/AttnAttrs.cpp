//===- AttnAttrs.cpp - Named masks of the attn dialect --------------------===//
//
// The semantics of each named mask (its keep-predicate on scalars, which
// attn-decompose and the kernels' scalar paths inline, and which attn-tile
// widens to vectors) and its checks. The kernels' block classification of
// each mask lives in passes/tile/NamedMasks.cpp.
//
//===----------------------------------------------------------------------===//
#include "dialect/Attn/AttnAttrs.h"
#include "dialect/Attn/AttnDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

#include "dialect/Attn/AttnAttrInterfaces.cpp.inc"
#include "dialect/Attn/AttnEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialect/Attn/AttnAttrs.cpp.inc"

void AttnDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialect/Attn/AttnAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace {
struct Emit {
  Location loc;
  OpBuilder &b;
  Value c(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value andI(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value orI(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  /// tensor[indices] as an index (integers are sign-extended).
  Value read(Value tensor, ValueRange indices) {
    Value v = tensor::ExtractOp::create(b, loc, tensor, indices);
    if (!v.getType().isIndex())
      v = arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
    return v;
  }
  /// The diagonal key of the query: q_idx + off.
  Value diagonal(Alignment a, const MaskCoords &at) {
    if (a == Alignment::top_left)
      return at.query;
    return add(at.query, sub(at.kvLen, at.qLen));
  }
};

/// Checks that capture `index`, which `mask`'s `param` names, exists and is
/// a ranked integer (or index) tensor of one of `ranks`.
LogicalResult checkCapture(function_ref<InFlightDiagnostic()> emitError,
                           TypeRange captures, StringRef mask,
                           StringRef param, int64_t index,
                           ArrayRef<int64_t> ranks) {
  if (index < 0 || index >= static_cast<int64_t>(captures.size()))
    return emitError() << "#attn." << mask << " " << param
                       << " names capture " << index << ", but the op has "
                       << captures.size()
                       << (captures.size() == 1 ? " capture" : " captures");
  auto t = dyn_cast<RankedTensorType>(captures[index]);
  bool intElems =
      t && (t.getElementType().isIndex() ||
            (t.getElementType().isSignlessInteger() &&
             t.getElementType().getIntOrFloatBitWidth() > 1 &&
             t.getElementType().getIntOrFloatBitWidth() <= 64));
  if (!intElems || !llvm::is_contained(ranks, t.getRank())) {
    InFlightDiagnostic d = emitError();
    d << "#attn." << mask << " " << param << " (capture " << index
      << ") must be a tensor of signless integers of rank ";
    llvm::interleave(ranks, d, " or ");
    d << ", got " << captures[index];
    return d;
  }
  return success();
}

/// Checks that dim `d` of capture `index` (`mask`'s `param`) is at least
/// (`exact` false) or exactly `want` when both are static; `what` names
/// `want` in the error.
LogicalResult checkCaptureDim(function_ref<InFlightDiagnostic()> emitError,
                              TypeRange captures, StringRef mask,
                              StringRef param, int64_t index, int64_t d,
                              int64_t want, StringRef what, bool exact) {
  int64_t got = cast<RankedTensorType>(captures[index]).getDimSize(d);
  if (ShapedType::isDynamic(got) || ShapedType::isDynamic(want))
    return success();
  if (exact ? got == want : got >= want)
    return success();
  return emitError() << "#attn." << mask << " " << param << " (capture "
                     << index << ") dim " << d << " is " << got << "; expected "
                     << (exact ? "" : "at least ") << want << " (" << what
                     << ")";
}

/// `x + y` on static sizes, dynamic if either is.
int64_t addSizes(int64_t x, int64_t y) {
  return ShapedType::isDynamic(x) || ShapedType::isDynamic(y)
             ? ShapedType::kDynamic
             : x + y;
}

LogicalResult verifyMaskList(function_ref<InFlightDiagnostic()> emitError,
                             ArrayAttr masks, StringRef what) {
  if (masks.empty())
    return emitError() << what << " needs at least one mask";
  for (Attribute m : masks)
    if (!isa<MaskAttrInterface>(m))
      return emitError() << what << " takes named masks (#attn.causal, "
                                    "#attn.window, ...), got "
                         << m;
  return success();
}
} // namespace

Value attn::buildMasksKeep(OpBuilder &b, Location loc,
                           ArrayRef<Attribute> masks, const MaskCoords &at) {
  Value keep;
  for (Attribute m : masks) {
    Value k = cast<MaskAttrInterface>(m).buildKeep(b, loc, at);
    keep = keep ? arith::AndIOp::create(b, loc, keep, k).getResult() : k;
  }
  if (!keep)
    keep = arith::ConstantIntOp::create(b, loc, 1, 1);
  return keep;
}

//===----------------------------------------------------------------------===//
// Verifiers of the parameters
//===----------------------------------------------------------------------===//

/// The largest extent, stride, count or block a mask takes (2^40 tokens):
/// the kernels' index arithmetic on it (a window's end, a layout's extent)
/// then cannot overflow.
static constexpr int64_t kMaxExtent = int64_t(1) << 40;

LogicalResult WindowAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t left, int64_t right, Alignment) {
  if (left < 0 || right < 0 || left > kMaxExtent || right > kMaxExtent)
    return emitError() << "#attn.window extents must be in [0, 2^40], got "
                          "left = "
                       << left << ", right = " << right;
  return success();
}

LogicalResult StridedAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t stride, Alignment) {
  if (stride < 1 || stride > kMaxExtent)
    return emitError() << "#attn.strided stride must be in [1, 2^40], got "
                       << stride;
  return success();
}

LogicalResult
GlobalTokensAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         int64_t count) {
  if (count < 0 || count > kMaxExtent)
    return emitError() << "#attn.global_tokens count must be in [0, 2^40], "
                          "got "
                       << count;
  return success();
}

LogicalResult
BlockLayoutAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        int64_t block, DenseIntElementsAttr layout) {
  if (block < 1 || block > kMaxExtent)
    return emitError() << "#attn.block_layout block must be in [1, 2^40], got "
                       << block;
  auto t = cast<ShapedType>(layout.getType());
  if (t.getRank() != 2 || !t.getElementType().isInteger(1) ||
      t.getDimSize(0) < 1 || t.getDimSize(1) < 1)
    return emitError() << "#attn.block_layout layout must be a non-empty "
                          "[q_blocks, kv_blocks] tensor of i1, got "
                       << t;
  return success();
}

LogicalResult AllOfAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                ArrayAttr masks) {
  return verifyMaskList(emitError, masks, "#attn.all_of");
}

LogicalResult AnyOfAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                ArrayAttr masks) {
  return verifyMaskList(emitError, masks, "#attn.any_of");
}

//===----------------------------------------------------------------------===//
// Captures
//===----------------------------------------------------------------------===//

LogicalResult
CausalAttr::verifyCaptures(function_ref<InFlightDiagnostic()>,
    TypeRange, RankedTensorType, RankedTensorType) const {
  return success();
}
LogicalResult
WindowAttr::verifyCaptures(function_ref<InFlightDiagnostic()>,
    TypeRange, RankedTensorType, RankedTensorType) const {
  return success();
}
LogicalResult
StridedAttr::verifyCaptures(function_ref<InFlightDiagnostic()>,
    TypeRange, RankedTensorType, RankedTensorType) const {
  return success();
}
LogicalResult GlobalTokensAttr::verifyCaptures(function_ref<InFlightDiagnostic()>,
    TypeRange, RankedTensorType, RankedTensorType) const {
  return success();
}
LogicalResult BlockLayoutAttr::verifyCaptures(function_ref<InFlightDiagnostic()>,
    TypeRange, RankedTensorType, RankedTensorType) const {
  return success();
}

LogicalResult
KeyPaddingAttr::verifyCaptures(function_ref<InFlightDiagnostic()> emitError,
    TypeRange captures, RankedTensorType query, RankedTensorType) const {
  if (failed(checkCapture(emitError, captures, "key_padding", "lengths",
                          getLengths(), {1})))
    return failure();
  return checkCaptureDim(emitError, captures, "key_padding", "lengths",
                         getLengths(), 0, query.getDimSize(0), "batch",
                         /*exact=*/true);
}

void KeyPaddingAttr::tieCaptureDims(
    TypeRange, function_ref<void(int64_t, int64_t, SdpaDim)> tie) const {
  tie(getLengths(), 0, SdpaDim::Batch);
}

LogicalResult
DocumentAttr::verifyCaptures(function_ref<InFlightDiagnostic()> emitError,
    TypeRange captures, RankedTensorType query, RankedTensorType key) const {
  int64_t qLen = query.getDimSize(2), kvLen = key.getDimSize(2);
  auto checkIds = [&](StringRef param, int64_t index, int64_t len,
                      StringRef what) -> LogicalResult {
    if (failed(checkCapture(emitError, captures, "document", param, index,
                            {1, 2})))
      return failure();
    auto t = cast<RankedTensorType>(captures[index]);
    if (t.getRank() == 2 &&
        failed(checkCaptureDim(emitError, captures, "document", param, index,
                               0, query.getDimSize(0), "batch", true)))
      return failure();
    return checkCaptureDim(emitError, captures, "document", param, index,
                           t.getRank() - 1, len, what, false);
  };
  if (getKvIds() < 0) {
    int64_t both = ShapedType::isDynamic(qLen) || ShapedType::isDynamic(kvLen)
                       ? ShapedType::kDynamic
                       : std::max(qLen, kvLen);
    return checkIds("ids", getIds(), both, "max(q_len, kv_len): no kv_ids");
  }
  if (failed(checkIds("ids", getIds(), qLen, "q_len")) ||
      failed(checkIds("kv_ids", getKvIds(), kvLen, "kv_len")))
    return failure();
  auto q = cast<RankedTensorType>(captures[getIds()]);
  auto k = cast<RankedTensorType>(captures[getKvIds()]);
  if (q.getRank() != k.getRank() || q.getElementType() != k.getElementType())
    return emitError() << "#attn.document ids and kv_ids must have the same "
                          "rank and element type, got "
                       << q << " and " << k;
  return success();
}

void DocumentAttr::tieCaptureDims(
    TypeRange captures,
    function_ref<void(int64_t, int64_t, SdpaDim)> tie) const {
  // A batched id tensor's dim 0 is the batch; the ids' length may exceed
  // q_len or kv_len (a prefix is read), so it is not tied.
  for (int64_t index : {getIds(), getKvIds()})
    if (index >= 0 && cast<RankedTensorType>(captures[index]).getRank() == 2)
      tie(index, 0, SdpaDim::Batch);
}

LogicalResult
CsrAttr::verifyCaptures(function_ref<InFlightDiagnostic()> emitError,
    TypeRange captures, RankedTensorType query, RankedTensorType) const {
  if (failed(checkCapture(emitError, captures, "csr", "offsets", getOffsets(),
                          {1})) ||
      failed(checkCapture(emitError, captures, "csr", "columns", getColumns(),
                          {1})))
    return failure();
  return checkCaptureDim(emitError, captures, "csr", "offsets", getOffsets(),
                         0, addSizes(query.getDimSize(2), 1), "q_len + 1",
                         /*exact=*/true);
}

/// Checks every mask of a combination.
static LogicalResult
verifyPartCaptures(ArrayAttr masks, function_ref<InFlightDiagnostic()> emitError,
                   TypeRange captures, RankedTensorType query,
                   RankedTensorType key) {
  for (Attribute m : masks)
    if (failed(cast<MaskAttrInterface>(m).verifyCaptures(emitError, captures,
                                                         query, key)))
      return failure();
  return success();
}

LogicalResult
AllOfAttr::verifyCaptures(function_ref<InFlightDiagnostic()> emitError,
    TypeRange captures, RankedTensorType query, RankedTensorType key) const {
  return verifyPartCaptures(getMasks(), emitError, captures, query, key);
}

LogicalResult
AnyOfAttr::verifyCaptures(function_ref<InFlightDiagnostic()> emitError,
    TypeRange captures, RankedTensorType query, RankedTensorType key) const {
  return verifyPartCaptures(getMasks(), emitError, captures, query, key);
}

void AllOfAttr::tieCaptureDims(
    TypeRange captures,
    function_ref<void(int64_t, int64_t, SdpaDim)> tie) const {
  for (Attribute m : getMasks())
    cast<MaskAttrInterface>(m).tieCaptureDims(captures, tie);
}

void AnyOfAttr::tieCaptureDims(
    TypeRange captures,
    function_ref<void(int64_t, int64_t, SdpaDim)> tie) const {
  for (Attribute m : getMasks())
    cast<MaskAttrInterface>(m).tieCaptureDims(captures, tie);
}

//===----------------------------------------------------------------------===//
// Keep-predicates
//===----------------------------------------------------------------------===//

Value CausalAttr::buildKeep(OpBuilder &b, Location loc,
                            const MaskCoords &at) const {
  Emit e{loc, b};
  return e.cmp(arith::CmpIPredicate::sle, at.key,
               e.diagonal(getAlignment(), at));
}

Value WindowAttr::buildKeep(OpBuilder &b, Location loc,
                            const MaskCoords &at) const {
  Emit e{loc, b};
  Value d = e.sub(e.diagonal(getAlignment(), at), at.key);
  return e.andI(e.cmp(arith::CmpIPredicate::sle, d, e.c(getLeft())),
                e.cmp(arith::CmpIPredicate::sge, d, e.c(-getRight())));
}

Value StridedAttr::buildKeep(OpBuilder &b, Location loc,
                             const MaskCoords &at) const {
  Emit e{loc, b};
  Value d = e.sub(e.diagonal(getAlignment(), at), at.key);
  Value r = arith::RemSIOp::create(b, loc, d, e.c(getStride()));
  return e.cmp(arith::CmpIPredicate::eq, r, e.c(0));
}

Value GlobalTokensAttr::buildKeep(OpBuilder &b, Location loc,
                                  const MaskCoords &at) const {
  Emit e{loc, b};
  Value n = e.c(getCount());
  return e.orI(e.cmp(arith::CmpIPredicate::ult, at.query, n),
               e.cmp(arith::CmpIPredicate::ult, at.key, n));
}

Value BlockLayoutAttr::buildKeep(OpBuilder &b, Location loc,
                                 const MaskCoords &at) const {
  Emit e{loc, b};
  auto t = cast<ShapedType>(getLayout().getType());
  Value blk = e.c(getBlock());
  Value qb = arith::DivUIOp::create(b, loc, at.query, blk);
  Value kb = arith::DivUIOp::create(b, loc, at.key, blk);
  Value rows = e.c(t.getDimSize(0)), cols = e.c(t.getDimSize(1));
  Value inside = e.andI(e.cmp(arith::CmpIPredicate::ult, qb, rows),
                        e.cmp(arith::CmpIPredicate::ult, kb, cols));
  Value table = arith::ConstantOp::create(b, loc, getLayout());
  Value cell = tensor::ExtractOp::create(
      b, loc, table,
      ValueRange{arith::MinUIOp::create(b, loc, qb, e.sub(rows, e.c(1))),
                 arith::MinUIOp::create(b, loc, kb, e.sub(cols, e.c(1)))});
  return e.andI(inside, cell);
}

Value KeyPaddingAttr::buildKeep(OpBuilder &b, Location loc,
                                const MaskCoords &at) const {
  Emit e{loc, b};
  Value len = e.read(at.captures[getLengths()], at.batch);
  return e.cmp(arith::CmpIPredicate::slt, at.key, len);
}

Value DocumentAttr::buildKeep(OpBuilder &b, Location loc,
                              const MaskCoords &at) const {
  Emit e{loc, b};
  auto id = [&](int64_t capture, Value pos) {
    Value ids = at.captures[capture];
    if (cast<RankedTensorType>(ids.getType()).getRank() == 2)
      return e.read(ids, {at.batch, pos});
    return e.read(ids, pos);
  };
  return e.cmp(arith::CmpIPredicate::eq, id(getIds(), at.query),
               id(getKeyIds(), at.key));
}

Value CsrAttr::buildKeep(OpBuilder &b, Location loc,
                         const MaskCoords &at) const {
  // Binary search of kv_idx in the row's sorted columns; every read is at
  // an index inside [offsets[q], offsets[q + 1]).
  Emit e{loc, b};
  Value offsets = at.captures[getOffsets()];
  Value columns = at.captures[getColumns()];
  Value lo = e.read(offsets, at.query);
  Value hi = e.read(offsets, e.add(at.query, e.c(1)));
  Value no = arith::ConstantIntOp::create(b, loc, 0, 1);
  Type index = b.getIndexType(), i1 = b.getI1Type();
  auto loop = scf::WhileOp::create(
      b, loc, TypeRange{index, index, i1}, ValueRange{lo, hi, no},
      [&](OpBuilder &nb, Location nl, ValueRange s) {
        Emit n{nl, nb};
        Value go = n.andI(n.cmp(arith::CmpIPredicate::slt, s[0], s[1]),
                          arith::XOrIOp::create(
                              nb, nl, s[2],
                              arith::ConstantIntOp::create(nb, nl, 1, 1)));
        scf::ConditionOp::create(nb, nl, go, s);
      },
      [&](OpBuilder &nb, Location nl, ValueRange s) {
        Emit n{nl, nb};
        Value half = arith::ShRUIOp::create(nb, nl, n.sub(s[1], s[0]), n.c(1));
        Value mid = n.add(s[0], half);
        Value col = n.read(columns, mid);
        Value less = n.cmp(arith::CmpIPredicate::slt, col, at.key);
        Value found = n.cmp(arith::CmpIPredicate::eq, col, at.key);
        Value nlo = arith::SelectOp::create(nb, nl, less, n.add(mid, n.c(1)),
                                            s[0]);
        Value nhi = arith::SelectOp::create(nb, nl, less, s[1], mid);
        scf::YieldOp::create(nb, nl, ValueRange{nlo, nhi, found});
      });
  return loop.getResult(2);
}

Value AllOfAttr::buildKeep(OpBuilder &b, Location loc,
                           const MaskCoords &at) const {
  return buildMasksKeep(b, loc, getMasks().getValue(), at);
}

Value AnyOfAttr::buildKeep(OpBuilder &b, Location loc,
                           const MaskCoords &at) const {
  Value keep;
  for (Attribute m : getMasks()) {
    Value k = cast<MaskAttrInterface>(m).buildKeep(b, loc, at);
    keep = keep ? arith::OrIOp::create(b, loc, keep, k).getResult() : k;
  }
  return keep;
}

//===----------------------------------------------------------------------===//
// Named score modifiers
//===----------------------------------------------------------------------===//

Value attn::buildScoreMods(OpBuilder &b, Location loc,
                           ArrayRef<Attribute> mods, Value score,
                           const MaskCoords &at) {
  for (Attribute m : mods)
    score = cast<ScoreModAttrInterface>(m).buildScore(b, loc, score, at);
  return score;
}

LogicalResult AlibiAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                int64_t slopes) {
  if (slopes < -1)
    return emitError() << "#attn.alibi slopes must name a capture (>= 0), "
                          "got "
                       << slopes;
  return success();
}

LogicalResult
AlibiAttr::verifyCaptures(function_ref<InFlightDiagnostic()> emitError,
    TypeRange captures, RankedTensorType query, RankedTensorType) const {
  int64_t index = getSlopes();
  if (index < 0)
    return success();
  if (index >= static_cast<int64_t>(captures.size()))
    return emitError() << "#attn.alibi slopes names capture " << index
                       << ", but the op has " << captures.size()
                       << (captures.size() == 1 ? " capture" : " captures");
  auto t = dyn_cast<RankedTensorType>(captures[index]);
  if (!t || t.getRank() != 1 || !t.getElementType().isF32())
    return emitError() << "#attn.alibi slopes (capture " << index
                       << ") must be a tensor of f32 of rank 1, got "
                       << captures[index];
  int64_t got = t.getDimSize(0), want = query.getDimSize(1);
  if (!ShapedType::isDynamic(got) && !ShapedType::isDynamic(want) &&
      got != want)
    return emitError() << "#attn.alibi slopes (capture " << index
                       << ") dim 0 is " << got << "; expected " << want
                       << " (q_heads)";
  return success();
}

void AlibiAttr::tieCaptureDims(
    TypeRange, function_ref<void(int64_t, int64_t, SdpaDim)> tie) const {
  if (getSlopes() >= 0)
    tie(getSlopes(), 0, SdpaDim::QHeads);
}

Value AlibiAttr::buildSlope(OpBuilder &b, Location loc, Value head,
                            Value qHeads, ValueRange captures) const {
  if (getSlopes() >= 0)
    return tensor::ExtractOp::create(b, loc, captures[getSlopes()],
                                     ValueRange{head});
  // Press et al.'s get_slopes: with p = 2^floor(log2 n), head h < p has
  // 2^(-8 (h + 1) / p), head h >= p (n not a power of two) 2^(-4 (2 (h - p)
  // + 1) / p). The exponent is exact in f32 (p is a power of two); 2^x is
  // formed as exp(x ln 2), which the kernels expand to a polynomial (no
  // libm call in the objects).
  Type i64 = b.getI64Type(), f32 = b.getF32Type();
  auto c = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, loc, i64, v).getResult();
  };
  Value n = arith::IndexCastOp::create(b, loc, i64, qHeads);
  n = arith::MaxSIOp::create(b, loc, n, c(1));
  Value lz = math::CountLeadingZerosOp::create(b, loc, n);
  Value p = arith::ShLIOp::create(b, loc, c(1),
                                  arith::SubIOp::create(b, loc, c(63), lz));
  Value h = arith::IndexCastOp::create(b, loc, i64, head);
  Value low = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, h, p);
  Value numLow =
      arith::MulIOp::create(b, loc, c(8), arith::AddIOp::create(b, loc, h, c(1)));
  Value twice = arith::MulIOp::create(b, loc, c(2),
                                      arith::SubIOp::create(b, loc, h, p));
  Value numHigh = arith::MulIOp::create(
      b, loc, c(4), arith::AddIOp::create(b, loc, twice, c(1)));
  Value num = arith::SelectOp::create(b, loc, low, numLow, numHigh);
  Value e = arith::DivFOp::create(b, loc,
                                  arith::SIToFPOp::create(b, loc, f32, num),
                                  arith::SIToFPOp::create(b, loc, f32, p));
  Value x = arith::MulFOp::create(
      b, loc, arith::NegFOp::create(b, loc, e),
      arith::ConstantOp::create(b, loc, b.getF32FloatAttr(M_LN2)));
  return math::ExpOp::create(b, loc, x);
}

Value AlibiAttr::buildScore(OpBuilder &b, Location loc, Value score,
                            const MaskCoords &at) const {
  Emit e{loc, b};
  Type i64 = b.getI64Type(), f32 = b.getF32Type();
  auto toF32 = [&](Value index) -> Value {
    return arith::SIToFPOp::create(
        b, loc, f32, arith::IndexCastOp::create(b, loc, i64, index));
  };
  // The distance kv_idx - pos in f32, pos = q_idx + kv_len - q_len: the key
  // part and the row part are exact integers in f32 (below 2^24), so is
  // their difference. (The row part depends on q_idx only, so a vector
  // body forms it once per step, not per key.)
  Value slope = buildSlope(b, loc, at.head, at.qHeads, at.captures);
  Value pos = toF32(e.diagonal(Alignment::bottom_right, at));
  Value dist = arith::SubFOp::create(b, loc, toF32(at.key), pos);
  Value bias = arith::MulFOp::create(b, loc, slope, dist);
  return arith::AddFOp::create(b, loc, score, bias);
}
