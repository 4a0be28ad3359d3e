//===- AttnOps.cpp - attn dialect ops -------------------------------------===//
//
// Verifier, shape reification and decomposition of attn.sdpa.
//
//===----------------------------------------------------------------------===//
#include "dialect/Attn/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;

#define GET_OP_CLASSES
#include "dialect/Attn/AttnOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Dim names
//===----------------------------------------------------------------------===//

static constexpr llvm::StringLiteral kQueryDims[] = {"batch", "q_heads",
                                                     "q_len", "head_dim"};
static constexpr llvm::StringLiteral kKeyDims[] = {"batch", "kv_heads",
                                                   "kv_len", "head_dim"};
static constexpr llvm::StringLiteral kValueDims[] = {"batch", "kv_heads",
                                                     "kv_len", "v_head_dim"};
static constexpr llvm::StringLiteral kOutputDims[] = {"batch", "q_heads",
                                                      "q_len", "v_head_dim"};
static constexpr llvm::StringLiteral kMask4Dims[] = {"batch", "q_heads",
                                                     "q_len", "kv_len"};
static constexpr llvm::StringLiteral kMask2Dims[] = {"q_len", "kv_len"};

ArrayRef<llvm::StringLiteral> SdpaOp::getQueryDimNames() { return kQueryDims; }
ArrayRef<llvm::StringLiteral> SdpaOp::getKeyDimNames() { return kKeyDims; }
ArrayRef<llvm::StringLiteral> SdpaOp::getValueDimNames() { return kValueDims; }
ArrayRef<llvm::StringLiteral> SdpaOp::getOutputDimNames() {
  return kOutputDims;
}

std::optional<int64_t> SdpaOp::getStaticGroupSize() {
  int64_t qHeads = getQueryType().getDimSize(1);
  int64_t kvHeads = getKeyType().getDimSize(1);
  if (kvHeads == 0) // Only legal with q_heads == 0: an empty op.
    return 0;
  if (ShapedType::isDynamic(qHeads) || ShapedType::isDynamic(kvHeads))
    return std::nullopt;
  return qHeads / kvHeads;
}

//===----------------------------------------------------------------------===//
// Verifier
//===----------------------------------------------------------------------===//

namespace {
/// One operand seen by the verifier: its role name, type and dim names.
struct Operand {
  StringRef role;
  RankedTensorType type;
  ArrayRef<llvm::StringLiteral> dims;
};
} // namespace

static std::string dimString(const Operand &o, unsigned d) {
  return (o.role + " dim " + Twine(d) + " (" + o.dims[d] + ")").str();
}

/// Emits "<a> is X but <b> is Y" when both dims are static and differ.
static LogicalResult checkSameDim(SdpaOp op, const Operand &a, unsigned ad,
                                  const Operand &b, unsigned bd) {
  int64_t x = a.type.getDimSize(ad), y = b.type.getDimSize(bd);
  if (ShapedType::isDynamic(x) || ShapedType::isDynamic(y) || x == y)
    return success();
  return op.emitOpError() << dimString(a, ad) << " is " << x << " but "
                          << dimString(b, bd) << " is " << y;
}

LogicalResult SdpaOp::verify() {
  Operand q{"query", getQueryType(), kQueryDims};
  Operand k{"key", getKeyType(), kKeyDims};
  Operand v{"value", getValueType(), kValueDims};
  Operand o{"result", getOutputType(), kOutputDims};

  for (const Operand *x : {&q, &k, &v, &o}) {
    if (x->type.getRank() != 4)
      return emitOpError() << x->role << " must have rank 4 (["
                           << llvm::join(x->dims, ", ") << "]), got rank "
                           << x->type.getRank();
    if (!x->type.getElementType().isF32())
      return emitOpError() << x->role << " has element type "
                           << x->type.getElementType()
                           << "; only f32 is supported for now";
  }

  // [batch, q_heads, q_len, head_dim] x [batch, kv_heads, kv_len, head_dim]
  //   x [batch, kv_heads, kv_len, v_head_dim] -> [batch, q_heads, q_len,
  //   v_head_dim]
  if (failed(checkSameDim(*this, k, 0, q, 0)) ||
      failed(checkSameDim(*this, v, 0, q, 0)) ||
      failed(checkSameDim(*this, v, 1, k, 1)) ||
      failed(checkSameDim(*this, v, 2, k, 2)) ||
      failed(checkSameDim(*this, k, 3, q, 3)) ||
      failed(checkSameDim(*this, o, 0, q, 0)) ||
      failed(checkSameDim(*this, o, 1, q, 1)) ||
      failed(checkSameDim(*this, o, 2, q, 2)) ||
      failed(checkSameDim(*this, o, 3, v, 3)))
    return failure();

  int64_t qHeads = q.type.getDimSize(1), kvHeads = k.type.getDimSize(1);
  if (kvHeads == 0 && !ShapedType::isDynamic(qHeads) && qHeads != 0)
    return emitOpError() << dimString(k, 1) << " is 0 but "
                         << dimString(q, 1) << " is " << qHeads;
  if (!ShapedType::isDynamic(qHeads) && !ShapedType::isDynamic(kvHeads) &&
      kvHeads != 0 && qHeads % kvHeads != 0)
    return emitOpError() << dimString(q, 1) << " = " << qHeads
                         << " is not a multiple of " << dimString(k, 1)
                         << " = " << kvHeads
                         << " (GQA needs q_heads % kv_heads == 0)";

  if (RankedTensorType maskType = getMaskType()) {
    Type et = maskType.getElementType();
    if (!et.isInteger(1) && !et.isF32())
      return emitOpError() << "mask has element type " << et
                           << "; expected i1 (keep-mask) or f32 (additive "
                              "bias)";
    int64_t rank = maskType.getRank();
    if (rank != 2 && rank != 4)
      return emitOpError()
             << "mask must have rank 2 ([q_len, kv_len]) or 4 ([batch | 1, "
                "q_heads | 1, q_len, kv_len]), got rank "
             << rank;
    Operand m{"mask", maskType,
              rank == 4 ? ArrayRef<llvm::StringLiteral>(kMask4Dims)
                        : ArrayRef<llvm::StringLiteral>(kMask2Dims)};
    if (failed(checkSameDim(*this, m, rank - 2, q, 2)) ||
        failed(checkSameDim(*this, m, rank - 1, k, 2)))
      return failure();
    if (rank == 4) {
      // A static 1 broadcasts; anything else must match.
      if (maskType.getDimSize(0) != 1 &&
          failed(checkSameDim(*this, m, 0, q, 0)))
        return failure();
      if (maskType.getDimSize(1) != 1 &&
          failed(checkSameDim(*this, m, 1, q, 1)))
        return failure();
    }
  }

  if (std::optional<APFloat> scale = getScale()) {
    if (!scale->isFinite())
      return emitOpError() << "scale must be finite";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ReifyRankedShapedTypeOpInterface
//===----------------------------------------------------------------------===//

LogicalResult
SdpaOp::reifyResultShapes(OpBuilder &b,
                          ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  Location loc = getLoc();
  SmallVector<OpFoldResult> qs = tensor::getMixedSizes(b, loc, getQuery());
  SmallVector<OpFoldResult> vs = tensor::getMixedSizes(b, loc, getValue());
  reifiedReturnShapes.push_back({qs[0], qs[1], qs[2], vs[3]});
  return success();
}

//===----------------------------------------------------------------------===//
// AggregatedOpInterface: decomposition into linalg
//===----------------------------------------------------------------------===//
//
// The reference decomposition. It materializes the scores
// [batch, kv_heads, group, q_len, kv_len] in f32 and is the correct, general
// path; the tiled online-softmax path replaces it where it applies. The query
// (and a per-head mask) are viewed as [batch, kv_heads, group, ...] with
// tensor.expand_shape, so GQA broadcasts the KV heads instead of copying them.

/// The sums of Q Kᵀ, P V and the row sum may be reassociated and contracted
/// into FMAs: the order of an f32 sum is not part of the op's semantics, and
/// it lets LLVM vectorize the reductions. Max, exp and the masking keep
/// strict IEEE semantics (no nnan/ninf: -inf is how masking works).
static constexpr arith::FastMathFlags kReduceFlags =
    arith::FastMathFlags::reassoc | arith::FastMathFlags::contract;

static int64_t toStatic(OpFoldResult ofr) {
  std::optional<int64_t> c = getConstantIntValue(ofr);
  return c ? *c : ShapedType::kDynamic;
}

static RankedTensorType tensorOf(ArrayRef<OpFoldResult> sizes, Type et) {
  SmallVector<int64_t> shape;
  for (OpFoldResult s : sizes)
    shape.push_back(toStatic(s));
  return RankedTensorType::get(shape, et);
}

static Value filled(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                    float value) {
  Type f32 = b.getF32Type();
  Value empty = tensor::EmptyOp::create(b, loc, sizes, f32);
  Value cst = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
  return linalg::FillOp::create(b, loc, cst, empty).getResult(0);
}

/// Views `[d0, heads, d2, d3]` as `[d0, kv_heads, group, d2, d3]`.
static Value expandHeads(OpBuilder &b, Location loc, Value t,
                         OpFoldResult kvHeads, OpFoldResult group) {
  // tensor.expand_shape wants dim 1 static exactly when both kv_heads and
  // group are; cast it first where the operand says otherwise (q_heads
  // static with kv_heads dynamic, or the reverse). The verifier and the
  // runtime guarantee that the value agrees.
  auto srcType = cast<RankedTensorType>(t.getType());
  std::optional<int64_t> kv = getConstantIntValue(kvHeads);
  std::optional<int64_t> g = getConstantIntValue(group);
  int64_t heads = kv && g ? *kv * *g : ShapedType::kDynamic;
  if (srcType.getDimSize(1) != heads) {
    SmallVector<int64_t> shape(srcType.getShape());
    shape[1] = heads;
    t = tensor::CastOp::create(
        b, loc, RankedTensorType::get(shape, srcType.getElementType()), t);
  }
  SmallVector<OpFoldResult> s = tensor::getMixedSizes(b, loc, t);
  SmallVector<OpFoldResult> shape = {s[0], kvHeads, group, s[2], s[3]};
  auto type = tensorOf(shape, srcType.getElementType());
  SmallVector<ReassociationIndices> reassoc = {{0}, {1, 2}, {3}, {4}};
  return tensor::ExpandShapeOp::create(b, loc, type, t, reassoc, shape);
}

FailureOr<SmallVector<Value>> SdpaOp::decomposeOperation(OpBuilder &b) {
  Location loc = getLoc();
  MLIRContext *ctx = getContext();
  Type f32 = b.getF32Type();
  Value q = getQuery(), k = getKey(), v = getValue();
  SmallVector<OpFoldResult> qs = tensor::getMixedSizes(b, loc, q);
  SmallVector<OpFoldResult> ks = tensor::getMixedSizes(b, loc, k);
  SmallVector<OpFoldResult> vs = tensor::getMixedSizes(b, loc, v);

  auto asValue = [&](OpFoldResult ofr) {
    return getValueOrCreateConstantIndexOp(b, loc, ofr);
  };

  // Group size G = q_heads / kv_heads (GQA); 1 for plain multi-head. The
  // divisor is clamped to 1: kv_heads = 0 (only legal with q_heads = 0) gives
  // G = 0 and empty loops, not a division trap.
  OpFoldResult group;
  if (std::optional<int64_t> g = getStaticGroupSize()) {
    group = b.getIndexAttr(*g);
  } else {
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value kv = arith::MaxUIOp::create(b, loc, asValue(ks[1]), one);
    group = arith::DivUIOp::create(b, loc, asValue(qs[1]), kv).getResult();
  }
  OpFoldResult kvHeads = ks[1];

  // Score-space sizes [B, Hkv, G, Lq, Lk] and output sizes [B, Hkv, G, Lq, Dv].
  SmallVector<OpFoldResult> sSizes = {qs[0], kvHeads, group, qs[2], ks[2]};
  SmallVector<OpFoldResult> rowSizes = {qs[0], kvHeads, group, qs[2]};
  SmallVector<OpFoldResult> oSizes = {qs[0], kvHeads, group, qs[2], vs[3]};

  Value qe = expandHeads(b, loc, q, kvHeads, group);

  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  auto map = [&](unsigned numDims, ArrayRef<AffineExpr> exprs) {
    return AffineMap::get(numDims, 0, exprs, ctx);
  };
  using utils::IteratorType;
  const IteratorType par = IteratorType::parallel;
  const IteratorType red = IteratorType::reduction;

  // 1. S = Q Kᵀ over head_dim.  Dims: (b, h, g, i, j, d).
  Value scores = filled(b, loc, sSizes, 0.0f);
  scores =
      linalg::GenericOp::create(
          b, loc, scores.getType(), ValueRange{qe, k}, ValueRange{scores},
          ArrayRef<AffineMap>{map(6, {d(0), d(1), d(2), d(3), d(5)}),
                              map(6, {d(0), d(1), d(4), d(5)}),
                              map(6, {d(0), d(1), d(2), d(3), d(4)})},
          ArrayRef<IteratorType>{par, par, par, par, par, red},
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value p = arith::MulFOp::create(nb, nl, a[0], a[1], kReduceFlags);
            Value s = arith::AddFOp::create(nb, nl, a[2], p, kReduceFlags);
            linalg::YieldOp::create(nb, nl, s);
          })
          .getResult(0);

  // 2. X = scale * S (+ bias | keep-mask) (causal).  Dims: (b, h, g, i, j).
  Value scale;
  if (std::optional<APFloat> s = getScale()) {
    scale = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(
                                                  s->convertToFloat()));
  } else if (std::optional<int64_t> dim = getConstantIntValue(qs[3])) {
    float s = *dim > 0 ? static_cast<float>(1.0 / std::sqrt(double(*dim)))
                       : 1.0f;
    scale = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(s));
  } else {
    Value dimI64 = arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                              asValue(qs[3]));
    Value dimF = arith::SIToFPOp::create(b, loc, f32, dimI64);
    Value one = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1.0f));
    Value safe = arith::MaximumFOp::create(b, loc, dimF, one);
    scale = math::RsqrtOp::create(b, loc, safe);
  }

  SmallVector<Value> xIns = {scores};
  SmallVector<AffineMap> xMaps = {map(5, {d(0), d(1), d(2), d(3), d(4)})};
  Value mask = getMask();
  bool boolMask = false;
  if (mask) {
    auto mt = cast<RankedTensorType>(mask.getType());
    boolMask = mt.getElementType().isInteger(1);
    if (mt.getRank() == 2) {
      xMaps.push_back(map(5, {d(3), d(4)}));
    } else {
      AffineExpr zero = getAffineConstantExpr(0, ctx);
      AffineExpr batch = mt.getDimSize(0) == 1 ? zero : d(0);
      if (mt.getDimSize(1) == 1) {
        xMaps.push_back(map(5, {batch, zero, d(3), d(4)}));
      } else {
        mask = expandHeads(b, loc, mask, kvHeads, group);
        xMaps.push_back(map(5, {batch, d(1), d(2), d(3), d(4)}));
      }
    }
    xIns.push_back(mask);
  }
  Value causalOffset;
  if (getCausal())
    causalOffset = arith::SubIOp::create(b, loc, asValue(ks[2]),
                                         asValue(qs[2]));
  xMaps.push_back(map(5, {d(0), d(1), d(2), d(3), d(4)}));
  Value negInf = arith::ConstantOp::create(
      b, loc, b.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
  Value xInit = tensor::EmptyOp::create(b, loc, sSizes, f32);
  Value x =
      linalg::GenericOp::create(
          b, loc, xInit.getType(), xIns, ValueRange{xInit}, xMaps,
          SmallVector<IteratorType>(5, par),
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value r = arith::MulFOp::create(nb, nl, a[0], scale);
            if (mask && boolMask)
              r = arith::SelectOp::create(nb, nl, a[1], r, negInf);
            else if (mask)
              r = arith::AddFOp::create(nb, nl, r, a[1]);
            if (causalOffset) {
              // Bottom-right aligned: key j is visible to query i when
              // j <= i + (kv_len - q_len).
              Value i = linalg::IndexOp::create(nb, nl, 3);
              Value j = linalg::IndexOp::create(nb, nl, 4);
              Value lim = arith::AddIOp::create(nb, nl, i, causalOffset);
              Value vis = arith::CmpIOp::create(
                  nb, nl, arith::CmpIPredicate::sle, j, lim);
              r = arith::SelectOp::create(nb, nl, vis, r, negInf);
            }
            linalg::YieldOp::create(nb, nl, r);
          })
          .getResult(0);

  auto s5 = map(5, {d(0), d(1), d(2), d(3), d(4)});
  auto r5 = map(5, {d(0), d(1), d(2), d(3)});
  SmallVector<IteratorType> rowRed = {par, par, par, par, red};

  // 3. Row max M, starting at the lowest finite float (never -inf, so a fully
  //    masked row gives -inf - M = -inf and not NaN).
  Value rowMax = filled(b, loc, rowSizes, std::numeric_limits<float>::lowest());
  rowMax = linalg::GenericOp::create(
               b, loc, rowMax.getType(), ValueRange{x}, ValueRange{rowMax},
               ArrayRef<AffineMap>{s5, r5}, rowRed,
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 Value m = arith::MaximumFOp::create(nb, nl, a[0], a[1]);
                 linalg::YieldOp::create(nb, nl, m);
               })
               .getResult(0);

  // 4. P = exp(X - M). Arguments below ln(2^-149) ~ -103.3 give 0 in f32
  //    anyway; selecting 0 there keeps -inf (masked) away from the
  //    polynomial exp.
  Value pInit = tensor::EmptyOp::create(b, loc, sSizes, f32);
  Value expFloor =
      arith::ConstantOp::create(b, loc, b.getF32FloatAttr(-104.0f));
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value probs =
      linalg::GenericOp::create(
          b, loc, pInit.getType(), ValueRange{x, rowMax}, ValueRange{pInit},
          ArrayRef<AffineMap>{s5, r5, s5}, SmallVector<IteratorType>(5, par),
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value diff = arith::SubFOp::create(nb, nl, a[0], a[1]);
            Value tiny = arith::CmpFOp::create(
                nb, nl, arith::CmpFPredicate::OLT, diff, expFloor);
            Value clamped = arith::MaximumFOp::create(nb, nl, diff, expFloor);
            Value e = math::ExpOp::create(nb, nl, clamped);
            Value p = arith::SelectOp::create(nb, nl, tiny, zero, e);
            linalg::YieldOp::create(nb, nl, p);
          })
          .getResult(0);

  // 5. Row sum L.
  Value rowSum = filled(b, loc, rowSizes, 0.0f);
  rowSum = linalg::GenericOp::create(
               b, loc, rowSum.getType(), ValueRange{probs}, ValueRange{rowSum},
               ArrayRef<AffineMap>{s5, r5}, rowRed,
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 Value s =
                     arith::AddFOp::create(nb, nl, a[0], a[1], kReduceFlags);
                 linalg::YieldOp::create(nb, nl, s);
               })
               .getResult(0);

  // 6. O' = P V.  Dims: (b, h, g, i, j, e), the reduction j outside e, so
  //    the innermost loop runs along contiguous rows of V and O'.
  Value acc = filled(b, loc, oSizes, 0.0f);
  acc = linalg::GenericOp::create(
            b, loc, acc.getType(), ValueRange{probs, v}, ValueRange{acc},
            ArrayRef<AffineMap>{map(6, {d(0), d(1), d(2), d(3), d(4)}),
                                map(6, {d(0), d(1), d(4), d(5)}),
                                map(6, {d(0), d(1), d(2), d(3), d(5)})},
            ArrayRef<IteratorType>{par, par, par, par, red, par},
            [&](OpBuilder &nb, Location nl, ValueRange a) {
              Value p =
                  arith::MulFOp::create(nb, nl, a[0], a[1], kReduceFlags);
              Value s = arith::AddFOp::create(nb, nl, a[2], p, kReduceFlags);
              linalg::YieldOp::create(nb, nl, s);
            })
            .getResult(0);

  // 7. O = O' / L, with L == 0 (fully masked row) giving 0.
  Value oInit = tensor::EmptyOp::create(b, loc, oSizes, f32);
  Value out =
      linalg::GenericOp::create(
          b, loc, oInit.getType(), ValueRange{acc, rowSum}, ValueRange{oInit},
          ArrayRef<AffineMap>{s5, r5, s5}, SmallVector<IteratorType>(5, par),
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value isZero = arith::CmpFOp::create(
                nb, nl, arith::CmpFPredicate::OEQ, a[1], zero);
            Value quot = arith::DivFOp::create(nb, nl, a[0], a[1]);
            Value r = arith::SelectOp::create(nb, nl, isZero, zero, quot);
            linalg::YieldOp::create(nb, nl, r);
          })
          .getResult(0);

  // 8. Back to [B, Hq, Lq, Dv].
  SmallVector<ReassociationIndices> reassoc = {{0}, {1, 2}, {3}, {4}};
  Value result = tensor::CollapseShapeOp::create(b, loc, out, reassoc);
  if (result.getType() != getOutputType())
    result = tensor::CastOp::create(b, loc, getOutputType(), result);
  return SmallVector<Value>{result};
}
