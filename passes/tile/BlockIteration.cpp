//===- BlockIteration.cpp - Which key steps a task visits -------------------===//
#include "passes/tile/BlockIteration.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::tile;

KeyRange tile::buildKeyRange(ImplicitLocOpBuilder &b,
                             ArrayRef<ScoreEpilogue *> stages,
                             const RowInfo &rows, Value kvLen, int64_t kvBlock,
                             Value part, Value splits) {
  auto idx = [&](int64_t c) -> Value {
    return arith::ConstantIndexOp::create(b, c);
  };
  Value zero = idx(0), kvBlockV = idx(kvBlock);
  auto clamp = [&](Value x, Value lo, Value hi) -> Value {
    return arith::MaxSIOp::create(b, lo, arith::MinSIOp::create(b, hi, x));
  };
  // Keys no row can see are not visited.
  Value start = zero, end = kvLen;
  bool masked = false, noFull = false;
  Value full; // min over the masks of their full bounds
  for (ScoreEpilogue *stage : stages) {
    if (!stage->isMask())
      continue;
    masked = true;
    if (Value e = stage->keyEnd(b, rows))
      end = clamp(e, zero, end);
    Value f = stage->fullEnd(b, rows);
    if (!f) {
      noFull = true;
      continue;
    }
    full = full ? arith::MinSIOp::create(b, full, f).getResult() : f;
  }
  if (splits) {
    // Part `part` of `splits` equal runs of whole steps.
    Value chunk = arith::MulIOp::create(
        b,
        arith::CeilDivUIOp::create(
            b, arith::CeilDivUIOp::create(b, end, splits), kvBlockV),
        kvBlockV);
    start = arith::MinSIOp::create(b, end,
                                   arith::MulIOp::create(b, part, chunk));
    end = arith::MinSIOp::create(b, end,
                                 arith::AddIOp::create(b, start, chunk));
  }
  if (!masked)
    return {start, end, end};
  if (noFull) // every step may need a mask
    return {start, end, start};
  // The whole steps from start that lie below the full bound; all of the
  // range when the bound reaches its end (the last step may be short).
  Value below = arith::MaxSIOp::create(
      b, zero, arith::SubIOp::create(b, full, start));
  Value aligned = arith::AddIOp::create(
      b, start,
      arith::MulIOp::create(b, arith::DivUIOp::create(b, below, kvBlockV),
                            kvBlockV));
  Value reaches =
      arith::CmpIOp::create(b, arith::CmpIPredicate::sge, full, end);
  Value fullEnd = arith::SelectOp::create(
      b, reaches, end, arith::MinSIOp::create(b, aligned, end));
  return {start, end, fullEnd};
}
