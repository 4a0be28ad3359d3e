//===- ScalarBody.cpp - The attn.online_sdpa body (no vectors) --------------===//
#include "passes/tile/ScalarBody.h"

#include "dialect/Attn/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;

SmallVector<Value> tile::buildScalarBody(OpBuilder &b, Location loc,
                                         SdpaOp op, Value bi, Value hi,
                                         Value kvHead, Value q0, Value rows,
                                         Value kvEnd, Value diagonal,
                                         int64_t kvBlock) {
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  Value mask = op.getMask();
  OpFoldResult oneAttr = b.getIndexAttr(1), zeroAttr = b.getIndexAttr(0);
  SmallVector<OpFoldResult> unitStrides(4, oneAttr);
  OpFoldResult headDim = tensor::getMixedSize(b, loc, q, 3);
  OpFoldResult vHeadDim = tensor::getMixedSize(b, loc, v, 3);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value kvBlockV = arith::ConstantIndexOp::create(b, loc, kvBlock);
  Value qTile = tensor::ExtractSliceOp::create(
      b, loc, q, ArrayRef<OpFoldResult>{bi, hi, q0, zeroAttr},
      ArrayRef<OpFoldResult>{oneAttr, oneAttr, rows, headDim}, unitStrides);
  SmallVector<OpFoldResult> accSizes = {oneAttr, oneAttr, rows, vHeadDim};
  SmallVector<OpFoldResult> rowSizes = {oneAttr, oneAttr, rows};
  Value acc0 = buildFilledTensor(b, loc, accSizes, 0.0f);
  Value max0 = buildFilledTensor(b, loc, rowSizes,
                                 std::numeric_limits<float>::lowest());
  Value sum0 = buildFilledTensor(b, loc, rowSizes, 0.0f);
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
          // A static 1 dim broadcasts: the step reads its one entry (and
          // attn.online_sdpa broadcasts it again).
          auto mt = cast<RankedTensorType>(mask.getType());
          int64_t r = mt.getRank();
          auto at = [&](int64_t d, OpFoldResult i) {
            return mt.getDimSize(d) == 1 ? zeroAttr : i;
          };
          auto size = [&](int64_t d, OpFoldResult n) {
            return mt.getDimSize(d) == 1 ? oneAttr : n;
          };
          SmallVector<OpFoldResult> offsets, sizes;
          if (r == 4) {
            offsets = {at(0, bi), at(1, hi)};
            sizes = {oneAttr, oneAttr};
          }
          offsets.append({at(r - 2, q0), at(r - 1, j0)});
          sizes.append({size(r - 2, rows), size(r - 1, cols)});
          maskTile = tensor::ExtractSliceOp::create(
              lb, ll, mask, offsets, sizes,
              SmallVector<OpFoldResult>(r, oneAttr));
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
  SmallVector<Value> out = {
      buildNormalizeBySum(b, loc, loop.getResult(0), loop.getResult(2),
                          op.getOutputType().getElementType())};
  // The steps' state is in natural units.
  if (op.getLse())
    out.push_back(buildRowLogSumExp(b, loc, loop.getResult(1),
                                    loop.getResult(2), 1.0));
  return out;
}
