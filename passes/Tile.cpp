//===- Tile.cpp - attn-tile -------------------------------------------------===//
//
// attn.sdpa -> scf.forall over (batch, q_heads, query blocks) of scf.for over
// key blocks of attn.online_sdpa. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "dialect/Attn/AttnOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNTILE
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

struct AttnTilePass final : public attn::impl::AttnTileBase<AttnTilePass> {
  using Base::Base;

  void runOnOperation() override {
    if (qBlock < 1 || kvBlock < 1) {
      getOperation()->emitError("attn-tile: q-block and kv-block must be "
                                "positive");
      return signalPassFailure();
    }
    SmallVector<SdpaOp> ops;
    getOperation()->walk([&](SdpaOp op) { ops.push_back(op); });
    for (SdpaOp op : ops) {
      tile(op);
      ++numTiled;
    }
  }

  void tile(SdpaOp op);
};

} // namespace

void AttnTilePass::tile(SdpaOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  Value mask = op.getMask();
  auto idx = [&](int64_t c) -> Value {
    return arith::ConstantIndexOp::create(b, loc, c);
  };
  auto dim = [&](Value t, int64_t d) -> Value {
    return getValueOrCreateConstantIndexOp(b, loc,
                                           tensor::getMixedSize(b, loc, t, d));
  };
  Value batch = dim(q, 0), qHeads = dim(q, 1), qLen = dim(q, 2);
  Value kvHeads = dim(k, 1), kvLen = dim(k, 2);
  Value one = idx(1), zero = idx(0);
  Value group = arith::DivUIOp::create(
      b, loc, qHeads, arith::MaxUIOp::create(b, loc, kvHeads, one));
  Value qBlockV = idx(qBlock), kvBlockV = idx(kvBlock);
  Value numQBlocks = arith::CeilDivUIOp::create(b, loc, qLen, qBlockV);
  Value diagonal = arith::SubIOp::create(b, loc, kvLen, qLen); // Lk - Lq

  SmallVector<OpFoldResult> outSizes = tensor::getMixedSizes(b, loc, q);
  outSizes[3] = tensor::getMixedSize(b, loc, v, 3);
  Value outInit = tensor::EmptyOp::create(b, loc, outSizes, b.getF32Type());

  SmallVector<OpFoldResult> lbs(3, b.getIndexAttr(0));
  SmallVector<OpFoldResult> steps(3, b.getIndexAttr(1));
  SmallVector<OpFoldResult> ubs = {batch, qHeads, numQBlocks};
  auto forall = scf::ForallOp::create(b, loc, lbs, ubs, steps,
                                      ValueRange{outInit}, std::nullopt);
  Block *body = forall.getBody();
  b.setInsertionPointToStart(body);
  Value bi = body->getArgument(0), hi = body->getArgument(1),
        qb = body->getArgument(2);
  Value sharedOut = forall.getRegionIterArgs()[0];

  OpFoldResult oneAttr = b.getIndexAttr(1), zeroAttr = b.getIndexAttr(0);
  Value q0 = arith::MulIOp::create(b, loc, qb, qBlockV);
  Value rows = arith::MinSIOp::create(
      b, loc, qBlockV, arith::SubIOp::create(b, loc, qLen, q0));
  Value kvHead = arith::DivUIOp::create(
      b, loc, hi, arith::MaxUIOp::create(b, loc, group, one));
  SmallVector<OpFoldResult> unitStrides(4, oneAttr);
  OpFoldResult headDim = tensor::getMixedSize(b, loc, q, 3);
  OpFoldResult vHeadDim = tensor::getMixedSize(b, loc, v, 3);
  Value qTile = tensor::ExtractSliceOp::create(
      b, loc, q, ArrayRef<OpFoldResult>{bi, hi, q0, zeroAttr},
      ArrayRef<OpFoldResult>{oneAttr, oneAttr, rows, headDim}, unitStrides);

  SmallVector<OpFoldResult> accSizes = {oneAttr, oneAttr, rows, vHeadDim};
  SmallVector<OpFoldResult> rowSizes = {oneAttr, oneAttr, rows};
  Value acc0 = buildFilledTensor(b, loc, accSizes, 0.0f);
  Value max0 = buildFilledTensor(b, loc, rowSizes, std::numeric_limits<float>::lowest());
  Value sum0 = buildFilledTensor(b, loc, rowSizes, 0.0f);

  // Keys j of this query block with j <= i + Lk - Lq for some row i < q0 +
  // rows: j < q0 + rows + Lk - Lq. Blocks past that are fully masked.
  Value kvEnd = kvLen;
  if (op.getCausal()) {
    Value end = arith::AddIOp::create(
        b, loc, arith::AddIOp::create(b, loc, q0, rows), diagonal);
    kvEnd = arith::MaxSIOp::create(
        b, loc, zero, arith::MinSIOp::create(b, loc, kvLen, end));
  }

  auto loop = scf::ForOp::create(
      b, loc, zero, kvEnd, kvBlockV, ValueRange{acc0, max0, sum0},
      [&](OpBuilder &lb, Location ll, Value j0, ValueRange state) {
        Value cols = arith::MinSIOp::create(
            lb, ll, kvBlockV, arith::SubIOp::create(lb, ll, kvEnd, j0));
        Value kTile = tensor::ExtractSliceOp::create(
            lb, ll, k, ArrayRef<OpFoldResult>{bi, kvHead, j0, zeroAttr},
            ArrayRef<OpFoldResult>{oneAttr, oneAttr, cols, headDim},
            unitStrides);
        Value vTile = tensor::ExtractSliceOp::create(
            lb, ll, v, ArrayRef<OpFoldResult>{bi, kvHead, j0, zeroAttr},
            ArrayRef<OpFoldResult>{oneAttr, oneAttr, cols, vHeadDim},
            unitStrides);
        Value maskTile;
        if (mask) {
          auto mt = cast<RankedTensorType>(mask.getType());
          if (mt.getRank() == 2) {
            maskTile = tensor::ExtractSliceOp::create(
                lb, ll, mask, ArrayRef<OpFoldResult>{q0, j0},
                ArrayRef<OpFoldResult>{rows, cols},
                ArrayRef<OpFoldResult>{oneAttr, oneAttr});
          } else {
            OpFoldResult mb = mt.getDimSize(0) == 1 ? zeroAttr
                                                    : OpFoldResult(bi);
            OpFoldResult mh = mt.getDimSize(1) == 1 ? zeroAttr
                                                    : OpFoldResult(hi);
            maskTile = tensor::ExtractSliceOp::create(
                lb, ll, mask, ArrayRef<OpFoldResult>{mb, mh, q0, j0},
                ArrayRef<OpFoldResult>{oneAttr, oneAttr, rows, cols},
                unitStrides);
          }
        }
        Value shift;
        if (op.getCausal())
          shift = arith::SubIOp::create(
              lb, ll, arith::AddIOp::create(lb, ll, diagonal, q0), j0);
        auto step = OnlineSdpaOp::create(
            lb, ll, qTile, kTile, vTile, maskTile, shift, state[0], state[1],
            state[2], op.getScaleAttr());
        scf::YieldOp::create(lb, ll, step.getResults());
      });

  // out = acc / sum, 0 where the sum is 0 (no visible key).
  Value outTile =
      buildNormalizeBySum(b, loc, loop.getResult(0), loop.getResult(2));

  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(
      b, loc, outTile, sharedOut,
      ArrayRef<OpFoldResult>{bi, hi, q0, zeroAttr}, accSizes, unitStrides);

  b.setInsertionPointAfter(forall);
  Value result = forall.getResult(0);
  if (result.getType() != op.getOutputType())
    result = tensor::CastOp::create(b, loc, op.getOutputType(), result);
  op.replaceAllUsesWith(result);
  op.erase();
}
