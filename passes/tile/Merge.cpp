//===- Merge.cpp - Merging the parts of a split key range -------------------===//
#include "passes/tile/Merge.h"

#include "dialect/Attn/AttnOps.h"
#include "passes/tile/KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::tile;

SmallVector<Value> tile::buildMerge(OpBuilder &b, Location loc, Value acc,
                                    Value max, Value sum, Value dest,
                                    Value lseDest) {
  MLIRContext *ctx = b.getContext();
  auto dims = [&](ArrayRef<unsigned> d) {
    SmallVector<AffineExpr> e;
    for (unsigned x : d)
      e.push_back(getAffineDimExpr(x, ctx));
    return e;
  };
  auto map5 = [&](ArrayRef<unsigned> d) {
    return AffineMap::get(5, 0, dims(d), ctx);
  };
  auto map4 = [&](ArrayRef<unsigned> d) {
    return AffineMap::get(4, 0, dims(d), ctx);
  };
  using IT = utils::IteratorType;
  SmallVector<OpFoldResult> accSizes = tensor::getMixedSizes(b, loc, acc);
  SmallVector<OpFoldResult> outSizes = {accSizes[0], accSizes[1], accSizes[3],
                                        accSizes[4]};
  SmallVector<OpFoldResult> rowSizes = {accSizes[0], accSizes[1],
                                        accSizes[3]};
  // The scratch tensors are buffers of their own (buildScratch), so that
  // the result is written straight into `dest`.
  // (b, h, i, s) for the rows.
  Value gmaxInit =
      buildScratch(b, loc, rowSizes, std::numeric_limits<float>::lowest());
  Value gmax =
      linalg::GenericOp::create(
          b, loc, TypeRange{gmaxInit.getType()}, ValueRange{max},
          ValueRange{gmaxInit},
          ArrayRef<AffineMap>{map4({0, 1, 3, 2}), map4({0, 1, 2})},
          ArrayRef<IT>{IT::parallel, IT::parallel, IT::parallel,
                       IT::reduction},
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            linalg::YieldOp::create(
                nb, nl,
                arith::MaximumFOp::create(nb, nl, a[0], a[1]).getResult());
          })
          .getResult(0);
  // The weight of each part, once per (b, h, s, i): 2^(max_s - M) =
  // e^((max_s - M) ln 2), the maxes being in base-2 units.
  SmallVector<OpFoldResult> partSizes = tensor::getMixedSizes(b, loc, max);
  Value wInit = buildScratch(b, loc, partSizes, std::nullopt);
  AffineMap id4 = AffineMap::getMultiDimIdentityMap(4, ctx);
  Value weights =
      linalg::GenericOp::create(
          b, loc, TypeRange{wInit.getType()}, ValueRange{max, gmax},
          ValueRange{wInit}, ArrayRef<AffineMap>{id4, map4({0, 1, 3}), id4},
          SmallVector<IT>(4, IT::parallel),
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value ln2 =
                arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(M_LN2));
            Value d = arith::MulFOp::create(
                nb, nl, arith::SubFOp::create(nb, nl, a[0], a[1]), ln2);
            linalg::YieldOp::create(nb, nl, buildGuardedExp(nb, nl, d));
          })
          .getResult(0);
  // sum_s w_s part_s, the parts' dim s (2) reduced last.
  auto weighted = [&](Value part, ArrayRef<OpFoldResult> sizes,
                      AffineMap partMap, AffineMap wMap, AffineMap outMap,
                      unsigned rank) {
    Value init = buildScratch(b, loc, sizes, 0.0f);
    SmallVector<IT> iters(rank - 1, IT::parallel);
    iters.push_back(IT::reduction);
    return linalg::GenericOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{part, weights},
               ValueRange{init}, ArrayRef<AffineMap>{partMap, wMap, outMap},
               iters,
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 Value r = arith::AddFOp::create(
                     nb, nl, a[2], arith::MulFOp::create(nb, nl, a[1], a[0]));
                 linalg::YieldOp::create(nb, nl, r);
               })
        .getResult(0);
  };
  // Iteration (b, h, i, c, s) for the accumulators, (b, h, i, s) for sums.
  Value accSum = weighted(acc, outSizes, map5({0, 1, 4, 2, 3}),
                          map5({0, 1, 4, 2}), map5({0, 1, 2, 3}), 5);
  Value sumSum = weighted(sum, rowSizes, map4({0, 1, 3, 2}),
                          map4({0, 1, 3, 2}), map4({0, 1, 2}), 4);
  // out = acc / sum, 0 where the sum is 0, into dest.
  Type outElem = cast<RankedTensorType>(dest.getType()).getElementType();
  SmallVector<Value> results = {linalg::GenericOp::create(
             b, loc, TypeRange{dest.getType()}, ValueRange{accSum, sumSum},
             ValueRange{dest},
             ArrayRef<AffineMap>{id4, map4({0, 1, 2}), id4},
             SmallVector<IT>(4, IT::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value zero =
                   arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(0));
               Value isZero = arith::CmpFOp::create(
                   nb, nl, arith::CmpFPredicate::OEQ, a[1], zero);
               Value quot = arith::DivFOp::create(nb, nl, a[0], a[1]);
               Value r = arith::SelectOp::create(nb, nl, isZero, zero, quot);
               if (outElem != r.getType())
                 r = buildTruncToBF16(nb, nl, r);
               linalg::YieldOp::create(nb, nl, r);
             })
      .getResult(0)};
  if (lseDest)
    results.push_back(
        buildRowLogSumExp(b, loc, gmax, sumSum, M_LN2, lseDest));
  return results;
}
