//===- BlockIteration.cpp - Which key steps a task visits -------------------===//
#include "passes/tile/BlockIteration.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::tile;

KeyRange::KeyRange(ImplicitLocOpBuilder &b, ArrayRef<ScoreEpilogue *> stages,
                   const RowInfo &rows, Value kvLen, int64_t kvBlock,
                   Value part, Value splits, FlatSymbolRefAttr counter)
    : counter(counter) {
  auto idx = [&](int64_t c) -> Value {
    return arith::ConstantIndexOp::create(b, c);
  };
  Value zero = idx(0), kvBlockV = idx(kvBlock);
  auto clamp = [&](Value x, Value lo, Value hi) -> Value {
    return arith::MaxSIOp::create(b, lo, arith::MinSIOp::create(b, hi, x));
  };
  // Keys no row can see are not visited.
  start = zero;
  end = kvLen;
  RowInfo taskRows = rows;
  taskRows.kvLen = kvLen;
  for (ScoreEpilogue *stage : stages) {
    if (!stage->isMask())
      continue;
    masks.push_back(stage);
    KeySpan span = stage->prepareTask(b, taskRows);
    if (span.end)
      end = clamp(span.end, zero, end);
    if (span.start)
      start = arith::MaxSIOp::create(b, start, span.start);
  }
  // Steps start at multiples of kv-block (aligned with a block layout's
  // blocks and with cache lines), and never past the end.
  if (start != zero)
    start = arith::MinSIOp::create(
        b, end,
        arith::MulIOp::create(b, arith::DivSIOp::create(b, start, kvBlockV),
                              kvBlockV));
  if (splits && !splitNonEmpty(b, kvBlock, part, splits)) {
    // Part `part` of `splits` equal runs of whole steps.
    Value visited = arith::SubIOp::create(b, end, start);
    Value chunk = arith::MulIOp::create(
        b,
        arith::CeilDivUIOp::create(
            b, arith::CeilDivUIOp::create(b, visited, splits), kvBlockV),
        kvBlockV);
    Value from = arith::MinSIOp::create(
        b, end, arith::AddIOp::create(b, start,
                                      arith::MulIOp::create(b, part, chunk)));
    end = arith::MinSIOp::create(b, end, arith::AddIOp::create(b, from, chunk));
    start = from;
  }
  if (counter) {
    rowCount = rows.heads ? arith::MulIOp::create(b, rows.qRows, rows.heads)
                                .getResult()
                          : rows.qRows;
    // The whole key range, once per task (part 0 of a split one).
    auto i64 = [&](Value v) {
      return arith::IndexCastOp::create(b, b.getI64Type(), v).getResult();
    };
    Value blocks = arith::CeilDivUIOp::create(b, kvLen, kvBlockV);
    Value scores = arith::MulIOp::create(b, rowCount, kvLen);
    Value kind = arith::ConstantIntOp::create(b, 0, 64);
    if (part) {
      Value first = arith::CmpIOp::create(b, arith::CmpIPredicate::eq, part,
                                          zero);
      kind = arith::SelectOp::create(
          b, first, kind, arith::ConstantIntOp::create(b, -1, 64));
    }
    func::CallOp::create(b, counter, TypeRange{},
                         ValueRange{kind, i64(blocks), i64(scores)});
  }
}

bool KeyRange::splitNonEmpty(ImplicitLocOpBuilder &b, int64_t kvBlock,
                             Value part, Value splits) {
  Value zero = arith::ConstantIndexOp::create(b, 0);
  Value one = arith::ConstantIndexOp::create(b, 1);
  Value kvBlockV = arith::ConstantIndexOp::create(b, kvBlock);
  Value steps = arith::CeilDivUIOp::create(
      b, arith::SubIOp::create(b, end, start), kvBlockV);
  // Whether step `s` may hold a kept score (not classed empty).
  bool anyEmpty = false;
  auto nonEmpty = [&](ImplicitLocOpBuilder &lb, Value s) {
    Value j0 = arith::AddIOp::create(lb, start,
                                     arith::MulIOp::create(lb, s, kvBlockV));
    Value j1 = arith::MinSIOp::create(lb, end,
                                      arith::AddIOp::create(lb, j0, kvBlockV));
    StepClass c = classify(lb, j0, j1);
    anyEmpty |= bool(c.empty);
    Value ne = c.empty ? arith::XOrIOp::create(
                             lb, c.empty,
                             arith::ConstantIntOp::create(lb, 1, 1))
                             .getResult()
                       : arith::ConstantIntOp::create(lb, 1, 1).getResult();
    return std::make_pair(j0, ne);
  };
  auto countLoop = scf::ForOp::create(
      b, zero, steps, one, ValueRange{zero},
      [&](OpBuilder &nb, Location nl, Value s, ValueRange acc) {
        ImplicitLocOpBuilder lb(nl, nb);
        Value ne = nonEmpty(lb, s).second;
        scf::YieldOp::create(
            lb, ValueRange{arith::AddIOp::create(
                    lb, acc[0],
                    arith::IndexCastUIOp::create(lb, lb.getIndexType(), ne))});
      });
  if (!anyEmpty) {
    // No mask can empty a step: the visited steps are the non-empty ones.
    countLoop.erase();
    return false;
  }
  // Part `part` takes the non-empty steps [lo, hi) of them, in order: it
  // starts at the lo-th one and stops at the hi-th (or the end).
  Value chunk = arith::CeilDivUIOp::create(b, countLoop.getResult(0), splits);
  Value lo = arith::MulIOp::create(b, part, chunk);
  Value hi = arith::AddIOp::create(b, lo, chunk);
  auto findLoop = scf::ForOp::create(
      b, zero, steps, one, ValueRange{zero, end, end},
      [&](OpBuilder &nb, Location nl, Value s, ValueRange acc) {
        ImplicitLocOpBuilder lb(nl, nb);
        auto [j0, ne] = nonEmpty(lb, s);
        auto at = [&](Value n) {
          return arith::AndIOp::create(
              lb, ne,
              arith::CmpIOp::create(lb, arith::CmpIPredicate::eq, acc[0], n));
        };
        Value from = arith::SelectOp::create(lb, at(lo), j0, acc[1]);
        Value to = arith::SelectOp::create(lb, at(hi), j0, acc[2]);
        Value n = arith::AddIOp::create(
            lb, acc[0], arith::IndexCastUIOp::create(lb, lb.getIndexType(), ne));
        scf::YieldOp::create(lb, ValueRange{n, from, to});
      });
  start = findLoop.getResult(1);
  end = findLoop.getResult(2);
  return true;
}

void KeyRange::count(ImplicitLocOpBuilder &b, int64_t kind, Value keys,
                     Value rows) const {
  if (!counter)
    return;
  Value scores =
      kind == 1 ? Value(arith::ConstantIntOp::create(b, 0, 64))
                : Value(arith::IndexCastOp::create(
                      b, b.getI64Type(),
                      arith::MulIOp::create(b, rows ? rows : rowCount, keys)));
  func::CallOp::create(b, counter, TypeRange{},
                       ValueRange{arith::ConstantIntOp::create(b, kind, 64),
                                  arith::ConstantIntOp::create(b, 1, 64),
                                  scores});
}

StepClass KeyRange::classify(ImplicitLocOpBuilder &b, Value j0,
                             Value j1) const {
  StepClass all;
  bool fullKnown = true;
  for (ScoreEpilogue *stage : masks) {
    StepClass c = stage->classifyStep(b, j0, j1);
    if (c.empty)
      all.empty = all.empty ? arith::OrIOp::create(b, all.empty, c.empty)
                                  .getResult()
                            : c.empty;
    if (!c.full)
      fullKnown = false;
    else if (fullKnown)
      all.full = all.full ? arith::AndIOp::create(b, all.full, c.full)
                                .getResult()
                          : c.full;
  }
  if (!fullKnown)
    all.full = Value();
  return all;
}

SmallVector<Value>
tile::buildClassifiedStep(ImplicitLocOpBuilder &b, const KeyRange &range,
                          Value j0, Value j1, ValueRange state,
                          function_ref<SmallVector<Value>(bool)> body) {
  // (Counted when the kernel counts blocks: kinds of attn_count_blocks.)
  // (The step's keys computed here, outside the branches that use them.)
  Value keys = range.counts() ? arith::SubIOp::create(b, j1, j0).getResult()
                              : Value();
  auto counted = [&](int64_t kind, auto fn) {
    return [&, kind, fn]() -> SmallVector<Value> {
      range.count(b, kind, keys);
      return fn();
    };
  };
  auto full = [&] { return body(/*partial=*/false); };
  auto partialBody = [&] { return body(/*partial=*/true); };
  if (!range.masked())
    return counted(3, full)();
  StepClass c = range.classify(b, j0, j1);
  auto branch = [&](function_ref<SmallVector<Value>()> fn) {
    return [&, fn](OpBuilder &nb, Location) {
      OpBuilder::InsertionGuard guard(b);
      b.restoreInsertionPoint(nb.saveInsertionPoint());
      scf::YieldOp::create(b, fn());
    };
  };
  auto nonEmpty = [&]() -> SmallVector<Value> {
    if (!c.full)
      return counted(2, partialBody)();
    auto ifOp = scf::IfOp::create(b, c.full, branch(counted(3, full)),
                                  branch(counted(2, partialBody)));
    return SmallVector<Value>(ifOp.getResults());
  };
  if (!c.empty)
    return nonEmpty();
  auto ifOp = scf::IfOp::create(
      b, c.empty, branch(counted(1, [&] {
        return SmallVector<Value>(state.begin(), state.end());
      })),
      branch(nonEmpty));
  return SmallVector<Value>(ifOp.getResults());
}
