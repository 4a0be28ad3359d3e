//===- ProjectionOps.cpp - attn.project, attn.luong, attn.luong_output ----===//
//
// Verifiers, shapes and reference decompositions of the projection ops and
// of Luong attention (Luong et al. 2015). attn.luong has no decomposition
// of its own: attn-expand-variants rewrites it as attn.project and
// attn.sdpa, which the tiled kernels run.
//
//===----------------------------------------------------------------------===//
#include "dialect/Attn/AttnOps.h"
#include "dialect/Attn/Verify.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::detail;

static constexpr llvm::StringLiteral kInputDims[] = {"batch", "heads",
                                                     "seq_len", "in_dim"};
static constexpr llvm::StringLiteral kWeight2Dims[] = {"in_dim", "out_dim"};
static constexpr llvm::StringLiteral kWeight3Dims[] = {"heads", "in_dim",
                                                       "out_dim"};
static constexpr llvm::StringLiteral kBias1Dims[] = {"out_dim"};
static constexpr llvm::StringLiteral kBias2Dims[] = {"heads", "out_dim"};
static constexpr llvm::StringLiteral kOutDims[] = {"batch", "heads",
                                                   "seq_len", "out_dim"};

static RankedTensorType tensorType(Value v) {
  return v ? cast<RankedTensorType>(v.getType()) : RankedTensorType();
}

/// Checks rank and element type (f32 or bf16) of one operand.
static LogicalResult checkOperand(Operation *op, const Operand &x,
                                  ArrayRef<int64_t> ranks) {
  if (!llvm::is_contained(ranks, x.type.getRank())) {
    InFlightDiagnostic d = op->emitOpError() << x.role << " must have rank ";
    llvm::interleave(ranks, d, " or ");
    return d << ", got rank " << x.type.getRank();
  }
  Type et = x.type.getElementType();
  if (!et.isF32() && !et.isBF16())
    return op->emitOpError() << x.role << " has element type " << et
                             << "; expected f32 or bf16";
  return success();
}

static ArrayRef<llvm::StringLiteral> weightDims(RankedTensorType t) {
  if (t.getRank() == 3)
    return kWeight3Dims;
  return kWeight2Dims;
}

static ArrayRef<llvm::StringLiteral> biasDims(RankedTensorType t) {
  if (t.getRank() == 2)
    return kBias2Dims;
  return kBias1Dims;
}

/// The shared checks of a projection by `weight` ([in, out] or
/// [heads, in, out]) with an optional `bias` ([out] or [heads, out]) into
/// `out` ([batch, heads, len, out]) of rows whose dims 0-2 are `rows`'
/// (heads static 1 broadcasts when `broadcastRows`).
static LogicalResult verifyProjection(Operation *op, const Operand &rows,
                                      bool broadcastRows, Value weight,
                                      Value bias, Value output) {
  Operand w{"weight", tensorType(weight), {}};
  if (failed(checkOperand(op, w, {2, 3})))
    return failure();
  w.dims = weightDims(w.type);
  Operand o{"result", tensorType(output), kOutDims};
  if (failed(checkOperand(op, o, {4})))
    return failure();
  int64_t wr = w.type.getRank();
  if (failed(checkSameDim(op, o, 0, rows, 0)) ||
      failed(checkSameDim(op, o, 2, rows, 2)) ||
      failed(checkSameDim(op, o, 3, w, wr - 1)))
    return failure();
  // The heads: the weight's dim 0 when it has them, else the result's.
  const Operand &heads = wr == 3 ? w : o;
  unsigned headsDim = wr == 3 ? 0 : 1;
  // Rows of one head are read for every head of a rank-3 weight; with a
  // rank-2 weight the result has the rows' heads.
  bool rowsBroadcast =
      broadcastRows && wr == 3 && rows.type.getDimSize(1) == 1;
  if (wr == 3 && failed(checkSameDim(op, o, 1, w, 0)))
    return failure();
  if (!rowsBroadcast && failed(checkSameDim(op, rows, 1, o, 1)))
    return failure();
  if (bias) {
    Operand bo{"bias", tensorType(bias), {}};
    if (failed(checkOperand(op, bo, {1, 2})))
      return failure();
    int64_t br = bo.type.getRank();
    bo.dims = biasDims(bo.type);
    if (failed(checkSameDim(op, bo, br - 1, w, wr - 1)) ||
        (br == 2 && failed(checkSameDim(op, bo, 0, heads, headsDim))))
      return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Decomposition helpers
//===----------------------------------------------------------------------===//

/// Sums of products may be reassociated and contracted into FMAs (the order
/// of an f32 sum is not part of the ops' semantics).
static constexpr arith::FastMathFlags kReduceFlags =
    arith::FastMathFlags::reassoc | arith::FastMathFlags::contract;

Value attn::buildProjectionSum(OpBuilder &b, Location loc, Value x,
                               Value weight, int64_t rowOffset, Value acc) {
  MLIRContext *ctx = b.getContext();
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(weight.getType());
  int64_t wr = wType.getRank();
  // The rows of W this projection reads.
  SmallVector<OpFoldResult> wSizes = tensor::getMixedSizes(b, loc, weight);
  SmallVector<OpFoldResult> offsets(wr, b.getIndexAttr(0));
  SmallVector<OpFoldResult> strides(wr, b.getIndexAttr(1));
  offsets[wr - 2] = b.getIndexAttr(rowOffset);
  wSizes[wr - 2] = tensor::getMixedSize(b, loc, x, 3);
  Value w = tensor::ExtractSliceOp::create(b, loc, weight, offsets, wSizes,
                                           strides);
  // Loops (b, h, l, i, o), i the reduction: with the output column
  // innermost, the scalar loops of convert-linalg-to-loops walk W's rows
  // and the accumulator row contiguously (acc[o] += x[i] * W[i, o]), which
  // LLVM's loop vectorizer turns into vector FMAs.
  AffineExpr d0, d1, d2, d3, d4;
  bindDims(ctx, d0, d1, d2, d3, d4);
  AffineExpr xHead = xType.getDimSize(1) == 1 ? getAffineConstantExpr(0, ctx)
                                              : d1;
  SmallVector<AffineMap> maps = {
      AffineMap::get(5, 0, {d0, xHead, d2, d3}, ctx),
      wr == 3 ? AffineMap::get(5, 0, {d1, d3, d4}, ctx)
              : AffineMap::get(5, 0, {d3, d4}, ctx),
      AffineMap::get(5, 0, {d0, d1, d2, d4}, ctx)};
  SmallVector<utils::IteratorType> iters(3, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  iters.push_back(utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, acc.getType(), ValueRange{x, w}, ValueRange{acc}, maps,
             iters,
             [](OpBuilder &b, Location loc, ValueRange args) {
               Value p = arith::MulFOp::create(
                   b, loc, buildWidenToF32(b, loc, args[0]),
                   buildWidenToF32(b, loc, args[1]), kReduceFlags);
               Value s =
                   arith::AddFOp::create(b, loc, args[2], p, kReduceFlags);
               linalg::YieldOp::create(b, loc, s);
             })
      .getResult(0);
}

/// An f32 [batch, heads, len, out] tensor of `sizes` holding the bias
/// ([out] or [heads, out], broadcast over the rows), or zeros.
static Value initialSum(OpBuilder &b, Location loc,
                        ArrayRef<OpFoldResult> sizes, Value bias) {
  if (!bias)
    return buildFilledTensor(b, loc, sizes, 0.0f);
  MLIRContext *ctx = b.getContext();
  Value empty = tensor::EmptyOp::create(b, loc, sizes, b.getF32Type());
  AffineExpr d0, d1, d2, d3;
  bindDims(ctx, d0, d1, d2, d3);
  auto biasType = cast<RankedTensorType>(bias.getType());
  SmallVector<AffineMap> maps = {
      biasType.getRank() == 2 ? AffineMap::get(4, 0, {d1, d3}, ctx)
                              : AffineMap::get(4, 0, {d3}, ctx),
      AffineMap::getMultiDimIdentityMap(4, ctx)};
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, empty.getType(), ValueRange{bias}, ValueRange{empty},
             maps, iters,
             [](OpBuilder &b, Location loc, ValueRange args) {
               linalg::YieldOp::create(b, loc,
                                       buildWidenToF32(b, loc, args[0]));
             })
      .getResult(0);
}

/// `f(acc)` elementwise into a tensor of `resultType` (f32 or bf16, rounded
/// to nearest even); `f` may be null for the identity.
static Value finish(OpBuilder &b, Location loc, Value acc,
                    RankedTensorType resultType,
                    function_ref<Value(OpBuilder &, Location, Value)> f) {
  Type et = resultType.getElementType();
  if (!f && et.isF32())
    return acc.getType() == resultType
               ? acc
               : tensor::CastOp::create(b, loc, resultType, acc).getResult();
  MLIRContext *ctx = b.getContext();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, acc);
  Value empty = tensor::EmptyOp::create(b, loc, sizes, et);
  AffineMap id = AffineMap::getMultiDimIdentityMap(4, ctx);
  SmallVector<utils::IteratorType> iters(4, utils::IteratorType::parallel);
  Value r = linalg::GenericOp::create(
                b, loc, empty.getType(), ValueRange{acc}, ValueRange{empty},
                SmallVector<AffineMap>{id, id}, iters,
                [&](OpBuilder &b, Location loc, ValueRange args) {
                  Value y = f ? f(b, loc, args[0]) : args[0];
                  if (et.isBF16())
                    y = buildTruncToBF16(b, loc, y);
                  linalg::YieldOp::create(b, loc, y);
                })
                .getResult(0);
  if (r.getType() != resultType)
    r = tensor::CastOp::create(b, loc, resultType, r);
  return r;
}

/// Result sizes of a projection: [x0, heads, x2, out], heads from a rank-3
/// weight or else from x.
static SmallVector<OpFoldResult> projectionSizes(OpBuilder &b, Location loc,
                                                 Value x, Value weight) {
  SmallVector<OpFoldResult> xs = tensor::getMixedSizes(b, loc, x);
  int64_t wr = tensorType(weight).getRank();
  OpFoldResult heads =
      wr == 3 ? tensor::getMixedSize(b, loc, weight, 0) : xs[1];
  return {xs[0], heads, xs[2], tensor::getMixedSize(b, loc, weight, wr - 1)};
}

/// Ties a projection's result dims (and broadcast-free row heads, and a
/// bias) to the dims they equal.
static void relateProjection(ShapeRelations &rel, Value rows, bool mayBroadcast,
                             Value weight, Value bias, Value output) {
  int64_t wr = tensorType(weight).getRank();
  rel.tie(output, 0, rows, 0);
  rel.tie(output, 2, rows, 2);
  rel.tie(output, 3, weight, wr - 1);
  if (wr == 3)
    rel.tie(output, 1, weight, 0);
  // The rows' heads are the result's unless broadcast (as in
  // verifyProjection).
  if (!(mayBroadcast && wr == 3 && tensorType(rows).getDimSize(1) == 1))
    rel.tie(rows, 1, output, 1);
  if (bias) {
    int64_t br = tensorType(bias).getRank();
    rel.tie(bias, br - 1, weight, wr - 1);
    if (br == 2)
      rel.tie(bias, 0, output, 1);
  }
  rel.workspace.push_back(
      {{output, 0}, {output, 1}, {output, 2}, {output, 3}});
}

//===----------------------------------------------------------------------===//
// attn.project
//===----------------------------------------------------------------------===//

LogicalResult ProjectOp::verify() {
  Operand x{"input", tensorType(getInput()), kInputDims};
  if (failed(checkOperand(getOperation(), x, {4})) ||
      failed(verifyProjection(getOperation(), x, /*broadcastRows=*/true,
                              getWeight(), getBias(), getOutput())))
    return failure();
  Operand w{"weight", tensorType(getWeight()),
            weightDims(tensorType(getWeight()))};
  return checkSameDim(getOperation(), x, 3, w, w.type.getRank() - 2);
}

LogicalResult
ProjectOp::reifyResultShapes(OpBuilder &b,
                             ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  reifiedReturnShapes.push_back(
      projectionSizes(b, getLoc(), getInput(), getWeight()));
  return success();
}

void ProjectOp::getShapeRelations(ShapeRelations &rel) {
  int64_t wr = tensorType(getWeight()).getRank();
  rel.tie(getInput(), 3, getWeight(), wr - 2);
  relateProjection(rel, getInput(), /*mayBroadcast=*/true, getWeight(),
                   getBias(), getOutput());
}

FailureOr<SmallVector<Value>> ProjectOp::decomposeOperation(OpBuilder &b) {
  Location loc = getLoc();
  SmallVector<OpFoldResult> sizes =
      projectionSizes(b, loc, getInput(), getWeight());
  Value acc = initialSum(b, loc, sizes, getBias());
  acc = buildProjectionSum(b, loc, getInput(), getWeight(), 0, acc);
  return SmallVector<Value>{
      finish(b, loc, acc, tensorType(getOutput()), nullptr)};
}

//===----------------------------------------------------------------------===//
// attn.luong
//===----------------------------------------------------------------------===//

static constexpr llvm::StringLiteral kLuongQueryDims[] = {
    "batch", "q_heads", "q_len", "query_dim"};
static constexpr llvm::StringLiteral kLuongSourceDims[] = {
    "batch", "kv_heads", "kv_len", "source_dim"};
static constexpr llvm::StringLiteral kLuongWeight2Dims[] = {"query_dim",
                                                            "source_dim"};
static constexpr llvm::StringLiteral kLuongWeight3Dims[] = {
    "q_heads", "query_dim", "source_dim"};

LogicalResult LuongOp::verify() {
  Operation *op = getOperation();
  Operand q{"query", tensorType(getQuery()), kLuongQueryDims};
  Operand s{"source", tensorType(getSource()), kLuongSourceDims};
  if (failed(checkOperand(op, q, {4})) || failed(checkOperand(op, s, {4})))
    return failure();
  if (s.type.getElementType() != q.type.getElementType())
    return emitOpError() << "source has element type "
                         << s.type.getElementType() << " but query has "
                         << q.type.getElementType();
  RankedTensorType sdpaQuery = q.type;
  if (Value weight = getWeight()) {
    Operand w{"weight", tensorType(weight), {}};
    if (failed(checkOperand(op, w, {2, 3})))
      return failure();
    int64_t wr = w.type.getRank();
    w.dims = wr == 3 ? ArrayRef<llvm::StringLiteral>(kLuongWeight3Dims)
                     : ArrayRef<llvm::StringLiteral>(kLuongWeight2Dims);
    if (w.type.getElementType() != q.type.getElementType())
      return emitOpError() << "weight has element type "
                           << w.type.getElementType()
                           << " but query has "
                           << q.type.getElementType();
    if (failed(checkSameDim(op, w, wr - 2, q, 3)) ||
        failed(checkSameDim(op, w, wr - 1, s, 3)) ||
        (wr == 3 && failed(checkSameDim(op, w, 0, q, 1))))
      return failure();
    sdpaQuery = getFoldedQueryType();
  } else if (failed(checkSameDim(op, q, 3, s, 3))) {
    return failure();
  }
  return verifyAttention(op, sdpaQuery, s.type, s.type,
                         tensorType(getMask()), "result",
                         tensorType(getOutput()), std::nullopt, "source",
                         "source");
}

RankedTensorType LuongOp::getFoldedQueryType() {
  RankedTensorType q = tensorType(getQuery());
  RankedTensorType w = tensorType(getWeight());
  if (!w)
    return q;
  SmallVector<int64_t> shape(q.getShape());
  if (w.getRank() == 3 && ShapedType::isDynamic(shape[1]))
    shape[1] = w.getDimSize(0);
  shape[3] = w.getDimSize(w.getRank() - 1);
  return RankedTensorType::get(shape, q.getElementType());
}

LogicalResult
LuongOp::reifyResultShapes(OpBuilder &b,
                           ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  Location loc = getLoc();
  SmallVector<OpFoldResult> qs = tensor::getMixedSizes(b, loc, getQuery());
  reifiedReturnShapes.push_back(
      {qs[0], qs[1], qs[2], tensor::getMixedSize(b, loc, getSource(), 3)});
  return success();
}

//===----------------------------------------------------------------------===//
// attn.luong_output
//===----------------------------------------------------------------------===//

static constexpr llvm::StringLiteral kContextDims[] = {"batch", "heads", "len",
                                                       "context_dim"};
static constexpr llvm::StringLiteral kStateDims[] = {"batch", "heads", "len",
                                                     "query_dim"};

LogicalResult LuongOutputOp::verify() {
  Operation *op = getOperation();
  Operand c{"context", tensorType(getContext()), kContextDims};
  Operand h{"query", tensorType(getQuery()), kStateDims};
  if (failed(checkOperand(op, c, {4})) || failed(checkOperand(op, h, {4})))
    return failure();
  for (int d = 0; d < 3; ++d)
    if (failed(checkSameDim(op, h, d, c, d)))
      return failure();
  if (failed(verifyProjection(op, c, /*broadcastRows=*/false, getWeight(),
                              getBias(), getOutput())))
    return failure();
  RankedTensorType w = tensorType(getWeight());
  int64_t rows = w.getDimSize(w.getRank() - 2);
  int64_t cd = c.type.getDimSize(3), qd = h.type.getDimSize(3);
  if (ShapedType::isDynamic(cd) || ShapedType::isDynamic(qd) ||
      ShapedType::isDynamic(rows))
    return emitOpError() << "context dim 3 (context_dim), query dim 3 "
                            "(query_dim) and the weight's rows must be "
                            "static";
  if (rows != cd + qd)
    return emitOpError() << "weight has " << rows
                         << " rows but context_dim + query_dim is " << cd
                         << " + " << qd << " = " << cd + qd;
  return success();
}

LogicalResult LuongOutputOp::reifyResultShapes(
    OpBuilder &b, ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  reifiedReturnShapes.push_back(
      projectionSizes(b, getLoc(), getContext(), getWeight()));
  return success();
}

void LuongOutputOp::getShapeRelations(ShapeRelations &rel) {
  for (int d = 0; d < 3; ++d)
    rel.tie(getQuery(), d, getContext(), d);
  relateProjection(rel, getContext(), /*mayBroadcast=*/false, getWeight(),
                   getBias(), getOutput());
}

FailureOr<SmallVector<Value>>
LuongOutputOp::decomposeOperation(OpBuilder &b) {
  Location loc = getLoc();
  SmallVector<OpFoldResult> sizes =
      projectionSizes(b, loc, getContext(), getWeight());
  Value acc = initialSum(b, loc, sizes, getBias());
  acc = buildProjectionSum(b, loc, getContext(), getWeight(), 0, acc);
  acc = buildProjectionSum(b, loc, getQuery(), getWeight(),
                           tensorType(getContext()).getDimSize(3), acc);
  return SmallVector<Value>{finish(
      b, loc, acc, tensorType(getOutput()),
      [](OpBuilder &b, Location loc, Value x) -> Value {
        return math::TanhOp::create(b, loc, x);
      })};
}
