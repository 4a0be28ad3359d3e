//===- AttnOps.cpp - attn dialect ops -------------------------------------===//
//
// Verifier, shape reification and decomposition of attn.sdpa.
//
//===----------------------------------------------------------------------===//
#include "dialect/Attn/AttnOps.h"
#include "dialect/Attn/Verify.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/OpImplementation.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::detail;

//===----------------------------------------------------------------------===//
// Custom assembly: attn.sdpa's optional results
//===----------------------------------------------------------------------===//

/// Parses `(`, lse` type)? (`, probs` type)?` after the output's type (each
/// labeled: both are ranked tensors, so a bare type would be ambiguous).
static ParseResult parseWeightTypes(OpAsmParser &p, Type &lse, Type &probs) {
  while (succeeded(p.parseOptionalComma())) {
    SMLoc at = p.getCurrentLocation();
    StringRef keyword;
    if (p.parseKeyword(&keyword))
      return failure();
    Type *slot = keyword == "lse"     ? &lse
                 : keyword == "probs" ? &probs
                                      : nullptr;
    if (!slot)
      return p.emitError(at, "expected 'lse' or 'probs' before the type of "
                             "an optional result, got '")
             << keyword << "'";
    if (*slot)
      return p.emitError(at, "'") << keyword << "' given twice";
    if (slot == &lse && probs)
      return p.emitError(at, "'lse' after 'probs' (the order is lse, "
                             "probs)");
    if (p.parseType(*slot))
      return failure();
  }
  return success();
}

static void printWeightTypes(OpAsmPrinter &p, Operation *, Type lse,
                             Type probs) {
  if (lse)
    p << ", lse " << lse;
  if (probs)
    p << ", probs " << probs;
}

#include "dialect/Attn/AttnInterfaces.cpp.inc"

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

std::string attn::detail::dimString(const Operand &o, unsigned d) {
  return (o.role + " dim " + Twine(d) + " (" + o.dims[d] + ")").str();
}

LogicalResult attn::detail::checkSameDim(Operation *op, const Operand &a,
                                         unsigned ad, const Operand &b,
                                         unsigned bd) {
  int64_t x = a.type.getDimSize(ad), y = b.type.getDimSize(bd);
  if (ShapedType::isDynamic(x) || ShapedType::isDynamic(y) || x == y)
    return success();
  return op->emitOpError() << dimString(a, ad) << " is " << x << " but "
                           << dimString(b, bd) << " is " << y;
}

/// Checks the shape relations of attention operands; `out` is the result
/// (attn.sdpa) or the accumulator (attn.online_sdpa), both
/// [batch, q_heads, q_len, v_head_dim].
LogicalResult attn::detail::verifyAttention(
    Operation *op, RankedTensorType qType, RankedTensorType kType,
    RankedTensorType vType, RankedTensorType maskType, StringRef outRole,
    RankedTensorType outType, std::optional<APFloat> scale, StringRef keyRole,
    StringRef valueRole) {
  auto emit = [&]() { return op->emitOpError(); };
  Operand q{"query", qType, kQueryDims};
  Operand k{keyRole, kType, kKeyDims};
  Operand v{valueRole, vType, kValueDims};
  Operand o{outRole, outType, kOutputDims};

  for (const Operand *x : {&q, &k, &v, &o}) {
    if (x->type.getRank() != 4)
      return emit() << x->role << " must have rank 4 (["
                    << llvm::join(x->dims, ", ") << "]), got rank "
                    << x->type.getRank();
    Type et = x->type.getElementType();
    if (!et.isF32() && !et.isBF16())
      return emit() << x->role << " has element type " << et
                    << "; expected f32 or bf16";
  }
  // One input dtype; the result may be f32 (full-precision accumulator) or
  // bf16 either way.
  if (k.type.getElementType() != q.type.getElementType() ||
      v.type.getElementType() != q.type.getElementType())
    return emit() << "query, " << keyRole << " and " << valueRole
                  << " must have one element type, got "
                  << q.type.getElementType() << ", "
                  << k.type.getElementType() << " and "
                  << v.type.getElementType();

  // [batch, q_heads, q_len, head_dim] x [batch, kv_heads, kv_len, head_dim]
  //   x [batch, kv_heads, kv_len, v_head_dim] -> [batch, q_heads, q_len,
  //   v_head_dim]
  if (failed(checkSameDim(op, k, 0, q, 0)) ||
      failed(checkSameDim(op, v, 0, q, 0)) ||
      failed(checkSameDim(op, v, 1, k, 1)) ||
      failed(checkSameDim(op, v, 2, k, 2)) ||
      failed(checkSameDim(op, k, 3, q, 3)) ||
      failed(checkSameDim(op, o, 0, q, 0)) ||
      failed(checkSameDim(op, o, 1, q, 1)) ||
      failed(checkSameDim(op, o, 2, q, 2)) ||
      failed(checkSameDim(op, o, 3, v, 3)))
    return failure();

  int64_t qHeads = q.type.getDimSize(1), kvHeads = k.type.getDimSize(1);
  if (kvHeads == 0 && !ShapedType::isDynamic(qHeads) && qHeads != 0)
    return emit() << dimString(k, 1) << " is 0 but " << dimString(q, 1)
                  << " is " << qHeads;
  if (!ShapedType::isDynamic(qHeads) && !ShapedType::isDynamic(kvHeads) &&
      kvHeads != 0 && qHeads % kvHeads != 0)
    return emit() << dimString(q, 1) << " = " << qHeads
                  << " is not a multiple of " << dimString(k, 1) << " = "
                  << kvHeads << " (GQA needs q_heads % kv_heads == 0)";

  if (maskType) {
    Type et = maskType.getElementType();
    if (!et.isInteger(1) && !et.isF32())
      return emit() << "mask has element type " << et
                    << "; expected i1 (keep-mask) or f32 (additive bias)";
    int64_t rank = maskType.getRank();
    if (rank != 2 && rank != 4)
      return emit()
             << "mask must have rank 2 ([q_len | 1, kv_len | 1]) or 4 "
                "([batch | 1, q_heads | 1, q_len | 1, kv_len | 1]), got rank "
             << rank;
    Operand m{"mask", maskType,
              rank == 4 ? ArrayRef<llvm::StringLiteral>(kMask4Dims)
                        : ArrayRef<llvm::StringLiteral>(kMask2Dims)};
    // Each dim broadcasts as in PyTorch: a static 1 here (a dynamic one at
    // run time, checked by the runtime) or the partner's size.
    std::pair<const Operand *, unsigned> partner[4] = {
        {&q, 0}, {&q, 1}, {&q, 2}, {&k, 2}};
    for (int64_t d = 0; d < rank; ++d) {
      auto [other, od] = partner[4 - rank + d];
      if (maskType.getDimSize(d) != 1 &&
          failed(checkSameDim(op, m, d, *other, od)))
        return failure();
    }
  }

  if (scale && !scale->isFinite())
    return emit() << "scale must be finite";
  return success();
}

LogicalResult SdpaOp::verify() {
  if (failed(verifyAttention(getOperation(), getQueryType(), getKeyType(),
                             getValueType(), getMaskType(), "result",
                             getOutputType(), getScale())))
    return failure();
  // The optional results: f32, each dim that of a query or key dim.
  Operand q{"query", getQueryType(), kQueryDims};
  Operand k{"key", getKeyType(), kKeyDims};
  auto checkResult =
      [&](RankedTensorType type, StringRef name,
          ArrayRef<llvm::StringLiteral> dims, StringRef layout,
          ArrayRef<std::pair<const Operand *, unsigned>> partners)
      -> LogicalResult {
        if (!type)
          return success();
        if (type.getRank() != (int64_t)dims.size())
          return emitOpError() << name << " must have rank " << dims.size()
                               << " (" << layout << "), got rank "
                               << type.getRank();
        if (!type.getElementType().isF32())
          return emitOpError() << name << " has element type "
                               << type.getElementType() << "; expected f32";
        Operand r{name, type, dims};
        for (auto [d, partner] : llvm::enumerate(partners))
          if (failed(checkSameDim(getOperation(), r, d, *partner.first,
                                  partner.second)))
            return failure();
        return success();
      };
  static constexpr llvm::StringLiteral kLseDims[] = {"batch", "q_heads",
                                                     "q_len"};
  if (failed(checkResult(getLseType(), "lse", kLseDims,
                         "[batch, q_heads, q_len]",
                         {{&q, 0}, {&q, 1}, {&q, 2}})) ||
      failed(checkResult(getProbsType(), "probs", kMask4Dims,
                         "[batch, q_heads, q_len, kv_len]",
                         {{&q, 0}, {&q, 1}, {&q, 2}, {&k, 2}})))
    return failure();
  return success();
}

/// True for the scalar types a mod's values may have: those every lowering
/// of the kernels handles (the math polynomials are f32's).
static bool isModScalar(Type t) {
  if (auto it = dyn_cast<IntegerType>(t))
    return it.getWidth() <= 64;
  return t.isIndex() || t.isF32();
}

/// Checks one mask_mod (`isScore` false) or score_mod region: its block
/// arguments (`[score: f32,] b, h, q_idx, kv_idx: index`, then one per
/// capture of the capture's type), the ops it may hold, and its yield.
static LogicalResult verifyMod(SdpaOp op, Region &region, bool isScore) {
  if (region.empty())
    return success();
  StringRef name = isScore ? "score_mod" : "mask_mod";
  auto emit = [&]() {
    InFlightDiagnostic d = op.emitOpError();
    d << name << ": ";
    return d;
  };
  Block &block = region.front();
  SmallVector<std::pair<StringRef, Type>> want;
  Type index = IndexType::get(op.getContext());
  if (isScore)
    want.push_back({"score", Float32Type::get(op.getContext())});
  for (StringRef n : {"b", "h", "q_idx", "kv_idx"})
    want.push_back({n, index});
  for (Value c : op.getCaptures())
    want.push_back({"capture", c.getType()});
  if (block.getNumArguments() != want.size())
    return emit() << "expected " << want.size() << " block arguments ("
                  << (isScore ? "score: f32, " : "")
                  << "b, h, q_idx, kv_idx: index, then one per capture), got "
                  << block.getNumArguments();
  for (auto [i, arg] : llvm::enumerate(block.getArguments()))
    if (arg.getType() != want[i].second)
      return emit() << "block argument #" << i << " (" << want[i].first
                    << ") has type " << arg.getType() << "; expected "
                    << want[i].second;
  for (Operation &inner : block) {
    StringRef ns = inner.getDialect() ? inner.getDialect()->getNamespace()
                                      : StringRef();
    bool allowed = inner.isRegistered() &&
                   (ns == "arith" || ns == "math" ||
                    isa<tensor::ExtractOp, tensor::DimOp, YieldOp>(inner));
    if (!allowed || inner.getNumRegions() != 0 ||
        inner.getNumSuccessors() != 0) {
      InFlightDiagnostic d = emit();
      d << "'" << inner.getName()
        << "' is not allowed; a mod holds arith and math ops, tensor.extract "
           "and tensor.dim of captures, and ends in attn.yield";
      d.attachNote(inner.getLoc()) << "see the op here";
      return d;
    }
    if (auto dim = dyn_cast<tensor::DimOp>(inner);
        dim && !dim.getConstantIndex()) {
      InFlightDiagnostic d = emit();
      d << "tensor.dim needs a constant dim index";
      d.attachNote(inner.getLoc()) << "see the op here";
      return d;
    }
    for (Type t : inner.getResultTypes())
      if (!isModScalar(t)) {
        InFlightDiagnostic d = emit();
        d << "'" << inner.getName() << "' yields a value of type " << t
          << "; a mod computes on scalars (integers of up to 64 bits, "
             "index, f32)";
        d.attachNote(inner.getLoc()) << "see the op here";
        return d;
      }
  }
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  Type result = isScore ? Type(Float32Type::get(op.getContext()))
                        : Type(IntegerType::get(op.getContext(), 1));
  if (!yield || yield.getValues().size() != 1 ||
      yield.getValues()[0].getType() != result)
    return emit() << "must end in attn.yield of one " << result;
  return success();
}

LogicalResult SdpaOp::verifyRegions() {
  for (auto [i, c] : llvm::enumerate(getCaptures())) {
    Type t = c.getType();
    if (!isModScalar(t) && !isa<RankedTensorType>(t))
      return emitOpError() << "capture #" << i << " has type " << t
                           << "; expected a ranked tensor or a scalar";
  }
  if (!getCaptures().empty() && !hasCoordinateMasks())
    return emitOpError()
           << "has captures but no mask_mod, score_mod, named masks or "
              "named score modifiers";
  for (Attribute m : getNamedMasks())
    if (failed(cast<MaskAttrInterface>(m).verifyCaptures(
            [&]() { return emitOpError(); }, getCaptures().getTypes(),
            getQueryType(), getKeyType())))
      return failure();
  for (Attribute m : getNamedScoreMods())
    if (failed(cast<ScoreModAttrInterface>(m).verifyCaptures(
            [&]() { return emitOpError(); }, getCaptures().getTypes(),
            getQueryType(), getKeyType())))
      return failure();
  if (failed(verifyMod(*this, getMaskMod(), /*isScore=*/false)) ||
      failed(verifyMod(*this, getScoreMod(), /*isScore=*/true)))
    return failure();
  return success();
}

Value attn::buildInlinedMod(OpBuilder &b, Block *block, ValueRange args) {
  IRMapping map;
  map.map(block->getArguments(), args);
  for (Operation &op : block->without_terminator())
    b.clone(op, map);
  return map.lookup(block->getTerminator()->getOperand(0));
}

LogicalResult OnlineSdpaOp::inferReturnTypes(
    MLIRContext *, std::optional<Location>, ValueRange operands,
    DictionaryAttr attributes, OpaqueProperties properties,
    RegionRange regions, SmallVectorImpl<Type> &inferredReturnTypes) {
  // The new state has the types of the old: acc, max, sum.
  OnlineSdpaOp::Adaptor adaptor(operands, attributes, properties, regions);
  if (!adaptor.getAcc() || !adaptor.getMax() || !adaptor.getSum())
    return failure();
  inferredReturnTypes.assign({adaptor.getAcc().getType(),
                              adaptor.getMax().getType(),
                              adaptor.getSum().getType()});
  return success();
}

LogicalResult OnlineSdpaOp::verify() {
  auto t = [](Value v) { return cast<RankedTensorType>(v.getType()); };
  RankedTensorType maskType = getMask() ? t(getMask()) : RankedTensorType();
  RankedTensorType accType = t(getAcc());
  if (failed(verifyAttention(getOperation(), t(getQuery()), t(getKey()),
                             t(getValue()), maskType, "acc", accType,
                             getScale())))
    return failure();
  if (!accType.getElementType().isF32())
    return emitOpError() << "acc must be f32 (the accumulator), got "
                         << accType.getElementType();
  static constexpr llvm::StringLiteral rowDims[] = {"batch", "q_heads",
                                                    "q_len"};
  Operand acc{"acc", accType, kOutputDims};
  for (auto [role, value] : {std::pair<StringRef, Value>{"max", getMax()},
                             {"sum", getSum()}}) {
    Operand row{role, t(value), rowDims};
    if (row.type.getRank() != 3 || !row.type.getElementType().isF32())
      return emitOpError() << role
                           << " must be an f32 tensor [batch, q_heads, "
                              "q_len], got "
                           << row.type;
    for (unsigned dim = 0; dim < 3; ++dim)
      if (failed(checkSameDim(getOperation(), row, dim, acc, dim)))
        return failure();
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
  if (getLse())
    reifiedReturnShapes.push_back({qs[0], qs[1], qs[2]});
  if (getProbs())
    reifiedReturnShapes.push_back(
        {qs[0], qs[1], qs[2], tensor::getMixedSize(b, loc, getKey(), 2)});
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

/// The body of the Q Kᵀ and P V contractions: out + in0 * in1.
Value attn::buildWidenToF32(OpBuilder &b, Location loc, Value x) {
  return x.getType().isF32()
             ? x
             : arith::ExtFOp::create(b, loc, b.getF32Type(), x).getResult();
}

Value attn::buildGuardedExp(OpBuilder &b, Location loc, Value x) {
  Value floor = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(-104));
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
  Value tiny =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, floor);
  Value clamped = arith::MaximumFOp::create(b, loc, x, floor);
  Value e = math::ExpOp::create(b, loc, clamped);
  return arith::SelectOp::create(b, loc, tiny, zero, e);
}

/// bf16 operands are widened to f32 first (exactly).
static void mulAdd(OpBuilder &b, Location loc, ValueRange args) {
  Value p = arith::MulFOp::create(b, loc, buildWidenToF32(b, loc, args[0]),
                                  buildWidenToF32(b, loc, args[1]),
                                  kReduceFlags);
  Value s = arith::AddFOp::create(b, loc, args[2], p, kReduceFlags);
  linalg::YieldOp::create(b, loc, s);
}

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

Value attn::buildFilledTensor(OpBuilder &b, Location loc,
                              ArrayRef<OpFoldResult> sizes, float value) {
  Type f32 = b.getF32Type();
  Value empty = tensor::EmptyOp::create(b, loc, sizes, f32);
  Value cst = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
  return linalg::FillOp::create(b, loc, cst, empty).getResult(0);
}

Value attn::buildTruncToBF16(OpBuilder &b, Location loc, Value x) {
  Type i32 = b.getI32Type();
  auto c = [&](int64_t v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
  };
  Value u = arith::BitcastOp::create(b, loc, i32, x);
  Value hi = arith::ShRUIOp::create(b, loc, u, c(16));
  Value odd = arith::AndIOp::create(b, loc, hi, c(1));
  Value rounded = arith::ShRUIOp::create(
      b, loc,
      arith::AddIOp::create(b, loc, u,
                            arith::AddIOp::create(b, loc, odd, c(0x7fff))),
      c(16));
  Value nan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
  Value bits = arith::SelectOp::create(
      b, loc, nan, arith::OrIOp::create(b, loc, hi, c(0x40)), rounded);
  Value h = arith::TruncIOp::create(b, loc, b.getI16Type(), bits);
  return arith::BitcastOp::create(b, loc, b.getBF16Type(), h);
}

static Value filled(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                    float value) {
  return attn::buildFilledTensor(b, loc, sizes, value);
}

Value attn::buildNormalizeBySum(OpBuilder &b, Location loc, Value acc,
                                Value sum, Type resultElementType) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = cast<RankedTensorType>(acc.getType()).getRank();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap rows = id.getMajorSubMap(rank - 1);
  Type et = resultElementType ? resultElementType : b.getF32Type();
  Value init =
      tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, acc), et);
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{acc, sum}, ValueRange{init},
             ArrayRef<AffineMap>{id, rows, id},
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value isZero = arith::CmpFOp::create(
                   nb, nl, arith::CmpFPredicate::OEQ, a[1], zero);
               Value quot = arith::DivFOp::create(nb, nl, a[0], a[1]);
               Value r = arith::SelectOp::create(nb, nl, isZero, zero, quot);
               if (r.getType() != et)
                 r = attn::buildTruncToBF16(nb, nl, r);
               linalg::YieldOp::create(nb, nl, r);
             })
      .getResult(0);
}

Value attn::buildLogSumExp(OpBuilder &b, Location loc, Value max, Value sum,
                           double unit) {
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value negInf = arith::ConstantOp::create(
      b, loc,
      b.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
  // In base-2 units (unit = ln 2): ln 2 * max + ln sum.
  Value m = unit == 1.0 ? max
                        : arith::MulFOp::create(
                              b, loc, max,
                              arith::ConstantOp::create(
                                  b, loc, b.getF32FloatAttr(unit)))
                              .getResult();
  Value lse =
      arith::AddFOp::create(b, loc, m, math::LogOp::create(b, loc, sum));
  Value empty =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, sum, zero);
  return arith::SelectOp::create(b, loc, empty, negInf, lse);
}

Value attn::buildRowLogSumExp(OpBuilder &b, Location loc, Value max,
                              Value sum, double unit, Value dest) {
  if (!dest)
    dest = tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, max),
                                   b.getF32Type());
  int64_t rank = cast<RankedTensorType>(max.getType()).getRank();
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, b.getContext());
  return linalg::GenericOp::create(
             b, loc, TypeRange{dest.getType()}, ValueRange{max, sum},
             ValueRange{dest}, ArrayRef<AffineMap>{id, id, id},
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               linalg::YieldOp::create(
                   nb, nl, buildLogSumExp(nb, nl, a[0], a[1], unit));
             })
      .getResult(0);
}

/// Views `[d0, heads, d2, ...]` as `[d0, kv_heads, group, d2, ...]`.
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
  SmallVector<OpFoldResult> shape = {s[0], kvHeads, group};
  SmallVector<ReassociationIndices> reassoc = {{0}, {1, 2}};
  for (size_t i = 2; i < s.size(); ++i) {
    shape.push_back(s[i]);
    reassoc.push_back({(int64_t)i + 1});
  }
  auto type = tensorOf(shape, srcType.getElementType());
  return tensor::ExpandShapeOp::create(b, loc, type, t, reassoc, shape);
}

namespace {
/// Builds the linalg form of attention over one block of keys, shared by
/// attn.sdpa (one block: all keys) and attn.online_sdpa (one KV block of a
/// tiled loop). Tensors are viewed as [batch, kv_heads, group, ...] so GQA
/// broadcasts the KV heads; results are in that 5-D (or 4-D for row
/// statistics) form until collapse().
class AttentionBuilder {
public:
  AttentionBuilder(OpBuilder &b, Location loc, Value q, Value k, Value v,
                   Value mask, std::optional<APFloat> scaleAttr,
                   std::optional<int64_t> staticGroup, Value causalShift)
      : b(b), loc(loc), ctx(b.getContext()), f32(b.getF32Type()), k(k), v(v),
        mask(mask), causalShift(causalShift) {
    qs = tensor::getMixedSizes(b, loc, q);
    ks = tensor::getMixedSizes(b, loc, k);
    vs = tensor::getMixedSizes(b, loc, v);
    // Group size G = q_heads / kv_heads (GQA); 1 for plain multi-head. The
    // divisor is clamped to 1: kv_heads = 0 (only legal with q_heads = 0)
    // gives G = 0 and empty loops, not a division trap.
    if (staticGroup) {
      group = b.getIndexAttr(*staticGroup);
    } else {
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      Value kv = arith::MaxUIOp::create(b, loc, value(ks[1]), one);
      group = arith::DivUIOp::create(b, loc, value(qs[1]), kv).getResult();
    }
    kvHeads = ks[1];
    sSizes = {qs[0], kvHeads, group, qs[2], ks[2]};
    rowSizes = {qs[0], kvHeads, group, qs[2]};
    oSizes = {qs[0], kvHeads, group, qs[2], vs[3]};
    qe = expand(q);
    scale = buildScale(scaleAttr);
    s5 = map(5, {d(0), d(1), d(2), d(3), d(4)});
    r5 = map(5, {d(0), d(1), d(2), d(3)});
  }

  /// Views [d0, q_heads, ...] as [d0, kv_heads, group, ...].
  Value expand(Value t) { return expandHeads(b, loc, t, kvHeads, group); }
  /// Views [d0, kv_heads, group, ...] as [d0, q_heads, ...], cast to `type`.
  Value collapse(Value t, Type type) {
    SmallVector<ReassociationIndices> reassoc = {{0}, {1, 2}};
    for (int64_t i = 3; i < cast<RankedTensorType>(t.getType()).getRank(); ++i)
      reassoc.push_back({i});
    Value r = tensor::CollapseShapeOp::create(b, loc, t, reassoc);
    if (r.getType() != type)
      r = tensor::CastOp::create(b, loc, type, r);
    return r;
  }

  /// X = scale * Q Kᵀ (+ bias | keep-mask) (causal), [B, Hkv, G, Lq, Lk].
  Value maskedScores() {
    // S = Q Kᵀ over head_dim.  Dims: (b, h, g, i, j, d).
    Value scores = filled(b, loc, sSizes, 0.0f);
    scores =
        linalg::GenericOp::create(
            b, loc, scores.getType(), ValueRange{qe, k}, ValueRange{scores},
            ArrayRef<AffineMap>{map(6, {d(0), d(1), d(2), d(3), d(5)}),
                                map(6, {d(0), d(1), d(4), d(5)}),
                                map(6, {d(0), d(1), d(2), d(3), d(4)})},
            ArrayRef<IteratorType>{par, par, par, par, par, red},
            mulAdd)
            .getResult(0);

    // Scale, mask and causal.  Dims: (b, h, g, i, j).
    SmallVector<Value> ins = {scores};
    SmallVector<AffineMap> maps = {s5};
    bool boolMask = false;
    Value m = mask;
    if (m) {
      auto mt = cast<RankedTensorType>(m.getType());
      boolMask = mt.getElementType().isInteger(1);
      // A static 1 broadcasts (index 0); a dynamic dim that is 1 at run
      // time arrives with its partner's size and stride 0 (the entry point).
      int64_t r = mt.getRank();
      AffineExpr zero = getAffineConstantExpr(0, ctx);
      auto dimOr0 = [&](int64_t md, AffineExpr e) {
        return mt.getDimSize(md) == 1 ? zero : e;
      };
      AffineExpr row = dimOr0(r - 2, d(3)), col = dimOr0(r - 1, d(4));
      if (r == 2) {
        maps.push_back(map(5, {row, col}));
      } else {
        AffineExpr batch = dimOr0(0, d(0));
        if (mt.getDimSize(1) == 1) {
          maps.push_back(map(5, {batch, zero, row, col}));
        } else {
          m = expand(m);
          maps.push_back(map(5, {batch, d(1), d(2), row, col}));
        }
      }
      ins.push_back(m);
    }
    maps.push_back(s5);
    Value negInf = constant(-std::numeric_limits<float>::infinity());
    Value init = tensor::EmptyOp::create(b, loc, sSizes, f32);
    return linalg::GenericOp::create(
               b, loc, init.getType(), ins, ValueRange{init}, maps,
               SmallVector<IteratorType>(5, par),
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 Value r = arith::MulFOp::create(nb, nl, a[0], scale);
                 // The mods' coordinates: b, the query head, q_idx, kv_idx.
                 SmallVector<Value> coords;
                 if (maskMod || scoreMod || !namedMasks.empty() ||
                     !namedScoreMods.empty()) {
                   // (One op per statement: the IR's order is fixed.)
                   Value g = getValueOrCreateConstantIndexOp(nb, nl, group);
                   Value kvh = linalg::IndexOp::create(nb, nl, 1);
                   Value gi = linalg::IndexOp::create(nb, nl, 2);
                   Value hq = arith::MulIOp::create(nb, nl, kvh, g);
                   Value head = arith::AddIOp::create(nb, nl, hq, gi);
                   Value bi = linalg::IndexOp::create(nb, nl, 0);
                   Value qi = linalg::IndexOp::create(nb, nl, 3);
                   Value ki = linalg::IndexOp::create(nb, nl, 4);
                   coords = {bi, head, qi, ki};
                   coords.append(captures.begin(), captures.end());
                 }
                 if (scoreMod) {
                   SmallVector<Value> args = {r};
                   args.append(coords);
                   r = buildInlinedMod(nb, scoreMod, args);
                 }
                 if (!namedScoreMods.empty()) {
                   MaskCoords at{coords[0], coords[1], coords[2], coords[3],
                                 qLen,      kvLen,     captures,  qHeads};
                   r = buildScoreMods(nb, nl, namedScoreMods, r, at);
                 }
                 if (m && boolMask)
                   r = arith::SelectOp::create(nb, nl, a[1], r, negInf);
                 else if (m)
                   r = arith::AddFOp::create(nb, nl, r, a[1]);
                 if (maskMod) {
                   Value keep = buildInlinedMod(nb, maskMod, coords);
                   r = arith::SelectOp::create(nb, nl, keep, r, negInf);
                 }
                 if (!namedMasks.empty()) {
                   MaskCoords at{coords[0], coords[1], coords[2], coords[3],
                                 qLen,      kvLen,     captures};
                   Value keep = buildMasksKeep(nb, nl, namedMasks, at);
                   r = arith::SelectOp::create(nb, nl, keep, r, negInf);
                 }
                 if (causalShift) {
                   // Key j is visible to query i when j <= i + shift; for
                   // attn.sdpa, shift = kv_len - q_len (bottom-right).
                   Value i = linalg::IndexOp::create(nb, nl, 3);
                   Value j = linalg::IndexOp::create(nb, nl, 4);
                   Value lim = arith::AddIOp::create(nb, nl, i, causalShift);
                   Value vis = arith::CmpIOp::create(
                       nb, nl, arith::CmpIPredicate::sle, j, lim);
                   r = arith::SelectOp::create(nb, nl, vis, r, negInf);
                 }
                 linalg::YieldOp::create(nb, nl, r);
               })
        .getResult(0);
  }

  /// max(init, max_j X) per row, [B, Hkv, G, Lq].
  Value rowMax(Value x, Value init) {
    return linalg::GenericOp::create(
               b, loc, init.getType(), ValueRange{x}, ValueRange{init},
               ArrayRef<AffineMap>{s5, r5}, rowRed(),
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 Value m = arith::MaximumFOp::create(nb, nl, a[0], a[1]);
                 linalg::YieldOp::create(nb, nl, m);
               })
        .getResult(0);
  }

  /// P = exp(X - M). Arguments below ln(2^-149) ~ -103.3 give 0 in f32
  /// anyway; selecting 0 there keeps -inf (masked) away from the polynomial
  /// exp.
  Value probs(Value x, Value rowMax) {
    Value init = tensor::EmptyOp::create(b, loc, sSizes, f32);
    return linalg::GenericOp::create(
               b, loc, init.getType(), ValueRange{x, rowMax},
               ValueRange{init}, ArrayRef<AffineMap>{s5, r5, s5},
               SmallVector<IteratorType>(5, par),
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 Value diff = arith::SubFOp::create(nb, nl, a[0], a[1]);
                 linalg::YieldOp::create(nb, nl, buildGuardedExp(nb, nl, diff));
               })
        .getResult(0);
  }

  /// init + sum_j P per row.
  Value rowSum(Value p, Value init) {
    return linalg::GenericOp::create(
               b, loc, init.getType(), ValueRange{p}, ValueRange{init},
               ArrayRef<AffineMap>{s5, r5}, rowRed(),
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 Value s =
                     arith::AddFOp::create(nb, nl, a[0], a[1], kReduceFlags);
                 linalg::YieldOp::create(nb, nl, s);
               })
        .getResult(0);
  }

  /// init + P V, [B, Hkv, G, Lq, Dv].  Dims: (b, h, g, i, j, e), the
  /// reduction j outside e, so the innermost loop runs along contiguous rows
  /// of V and the accumulator.
  Value pv(Value p, Value init) {
    return linalg::GenericOp::create(
               b, loc, init.getType(), ValueRange{p, v}, ValueRange{init},
               ArrayRef<AffineMap>{map(6, {d(0), d(1), d(2), d(3), d(4)}),
                                   map(6, {d(0), d(1), d(4), d(5)}),
                                   map(6, {d(0), d(1), d(2), d(3), d(5)})},
               ArrayRef<IteratorType>{par, par, par, par, red, par},
               mulAdd)
        .getResult(0);
  }

  Value filledRows(float value) { return filled(b, loc, rowSizes, value); }
  Value filledOut(float value) { return filled(b, loc, oSizes, value); }
  Value constant(float value) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
  }

  OpBuilder &b;
  Location loc;
  MLIRContext *ctx;
  Type f32;
  Value k, v, mask, causalShift, qe, scale;
  /// attn.sdpa's mask_mod and score_mod blocks (null when absent) and the
  /// values of their captures.
  Block *maskMod = nullptr, *scoreMod = nullptr;
  SmallVector<Value> captures;
  /// attn.sdpa's named masks and score modifiers, and q_len, kv_len and
  /// q_heads (index) when it has any.
  ArrayRef<Attribute> namedMasks, namedScoreMods;
  Value qLen, kvLen, qHeads;
  SmallVector<OpFoldResult> qs, ks, vs, sSizes, rowSizes, oSizes;
  OpFoldResult group, kvHeads;
  AffineMap s5, r5;
  using IteratorType = utils::IteratorType;
  static constexpr IteratorType par = IteratorType::parallel;
  static constexpr IteratorType red = IteratorType::reduction;

private:
  Value value(OpFoldResult ofr) {
    return getValueOrCreateConstantIndexOp(b, loc, ofr);
  }
  AffineExpr d(unsigned i) { return getAffineDimExpr(i, ctx); }
  AffineMap map(unsigned numDims, ArrayRef<AffineExpr> exprs) {
    return AffineMap::get(numDims, 0, exprs, ctx);
  }
  SmallVector<IteratorType> rowRed() { return {par, par, par, par, red}; }
  Value buildScale(std::optional<APFloat> attr) {
    if (attr)
      return constant(attr->convertToFloat());
    if (std::optional<int64_t> dim = getConstantIntValue(qs[3]))
      return constant(*dim > 0 ? static_cast<float>(1.0 / std::sqrt(double(*dim)))
                               : 1.0f);
    Value dimI64 =
        arith::IndexCastOp::create(b, loc, b.getI64Type(), value(qs[3]));
    Value dimF = arith::SIToFPOp::create(b, loc, f32, dimI64);
    Value safe = arith::MaximumFOp::create(b, loc, dimF, constant(1.0f));
    return math::RsqrtOp::create(b, loc, safe);
  }
};
} // namespace

FailureOr<SmallVector<Value>> SdpaOp::decomposeOperation(OpBuilder &b) {
  Location loc = getLoc();
  Value causalShift;
  if (getCausal()) {
    Value lq = getValueOrCreateConstantIndexOp(
        b, loc, tensor::getMixedSize(b, loc, getQuery(), 2));
    Value lk = getValueOrCreateConstantIndexOp(
        b, loc, tensor::getMixedSize(b, loc, getKey(), 2));
    causalShift = arith::SubIOp::create(b, loc, lk, lq);
  }
  AttentionBuilder ab(b, loc, getQuery(), getKey(), getValue(), getMask(),
                      getScale(), getStaticGroupSize(), causalShift);
  ab.maskMod = getMaskModBlock();
  ab.scoreMod = getScoreModBlock();
  ab.captures.assign(getCaptures().begin(), getCaptures().end());
  ab.namedMasks = getNamedMasks();
  ab.namedScoreMods = getNamedScoreMods();
  if (!ab.namedMasks.empty() || !ab.namedScoreMods.empty()) {
    ab.qLen = getValueOrCreateConstantIndexOp(
        b, loc, tensor::getMixedSize(b, loc, getQuery(), 2));
    ab.kvLen = getValueOrCreateConstantIndexOp(
        b, loc, tensor::getMixedSize(b, loc, getKey(), 2));
    ab.qHeads = getValueOrCreateConstantIndexOp(
        b, loc, tensor::getMixedSize(b, loc, getQuery(), 1));
  }
  // The running max starts at the lowest finite float (never -inf, so a
  // fully masked row gives -inf - M = -inf and not NaN).
  Value x = ab.maskedScores();
  Value rowMax = ab.rowMax(x, ab.filledRows(std::numeric_limits<float>::lowest()));
  Value probs = ab.probs(x, rowMax);
  Value rowSum = ab.rowSum(probs, ab.filledRows(0.0f));
  Value acc = ab.pv(probs, ab.filledOut(0.0f));

  // O = O' / L, with L == 0 (fully masked row) giving 0.
  Value out = buildNormalizeBySum(b, loc, acc, rowSum,
                                  getOutputType().getElementType());
  SmallVector<Value> results = {ab.collapse(out, getOutputType())};
  if (getLse())
    results.push_back(ab.collapse(
        buildRowLogSumExp(b, loc, rowMax, rowSum, 1.0), getLseType()));
  // The weights exp(x - max) / sum, 0 in a row that sees no key.
  if (getProbs())
    results.push_back(ab.collapse(
        buildNormalizeBySum(b, loc, probs, rowSum, b.getF32Type()),
        getProbsType()));
  return results;
}

FailureOr<SmallVector<Value>> OnlineSdpaOp::decomposeOperation(OpBuilder &b) {
  Location loc = getLoc();
  auto t = [](Value v) { return cast<RankedTensorType>(v.getType()); };
  std::optional<int64_t> group;
  int64_t qHeads = t(getQuery()).getDimSize(1);
  int64_t kvHeads = t(getKey()).getDimSize(1);
  if (kvHeads == 0)
    group = 0;
  else if (!ShapedType::isDynamic(qHeads) && !ShapedType::isDynamic(kvHeads))
    group = qHeads / kvHeads;
  AttentionBuilder ab(b, loc, getQuery(), getKey(), getValue(), getMask(),
                      getScale(), group, getCausalShift());
  Value acc = ab.expand(getAcc());
  Value max = ab.expand(getMax());
  Value sum = ab.expand(getSum());

  Value x = ab.maskedScores();
  Value blockMax =
      ab.rowMax(x, ab.filledRows(std::numeric_limits<float>::lowest()));

  // new_max = max(max, block max) in place of max, and alpha =
  // exp(max - new_max), which rescales what earlier blocks accumulated. Every
  // update below is in place, so the state bufferizes into the loop's
  // iter_args without copies.
  Value alphaInit = tensor::EmptyOp::create(b, loc, ab.rowSizes, ab.f32);
  AffineMap r4 = AffineMap::getMultiDimIdentityMap(4, b.getContext());
  auto maxAndAlpha = linalg::GenericOp::create(
      b, loc, TypeRange{max.getType(), alphaInit.getType()},
      ValueRange{blockMax}, ValueRange{max, alphaInit},
      ArrayRef<AffineMap>{r4, r4, r4},
      SmallVector<utils::IteratorType>(4, AttentionBuilder::par),
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value newMax = arith::MaximumFOp::create(nb, nl, a[1], a[0]);
        Value diff = arith::SubFOp::create(nb, nl, a[1], newMax);
        linalg::YieldOp::create(
            nb, nl, ValueRange{newMax, buildGuardedExp(nb, nl, diff)});
      });
  Value newMax = maxAndAlpha.getResult(0);
  Value alpha = maxAndAlpha.getResult(1);
  Value probs = ab.probs(x, newMax);

  // sum' = alpha * sum + rowsum(P); acc' = alpha * acc + P V.
  Value scaledSum =
      linalg::GenericOp::create(
          b, loc, sum.getType(), ValueRange{alpha}, ValueRange{sum},
          ArrayRef<AffineMap>{r4, r4},
          SmallVector<utils::IteratorType>(4, AttentionBuilder::par),
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value r = arith::MulFOp::create(nb, nl, a[0], a[1]);
            linalg::YieldOp::create(nb, nl, r);
          })
          .getResult(0);
  Value newSum = ab.rowSum(probs, scaledSum);
  Value scaledAcc =
      linalg::GenericOp::create(
          b, loc, acc.getType(), ValueRange{alpha}, ValueRange{acc},
          ArrayRef<AffineMap>{ab.r5, ab.s5},
          SmallVector<utils::IteratorType>(5, AttentionBuilder::par),
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value r = arith::MulFOp::create(nb, nl, a[0], a[1]);
            linalg::YieldOp::create(nb, nl, r);
          })
          .getResult(0);
  Value newAcc = ab.pv(probs, scaledAcc);
  return SmallVector<Value>{ab.collapse(newAcc, getNewAcc().getType()),
                            ab.collapse(newMax, getNewMax().getType()),
                            ab.collapse(newSum, getNewSum().getType())};
}
