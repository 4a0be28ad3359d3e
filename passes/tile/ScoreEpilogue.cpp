//===- ScoreEpilogue.cpp - Masks and score modifiers in registers -----------===//
#include "passes/tile/ScoreEpilogue.h"
#include "passes/tile/NamedMasks.h"
#include "passes/tile/NamedScoreMods.h"
#include "passes/tile/UserMods.h"

#include "dialect/Attn/AttnOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::tile;

//===----------------------------------------------------------------------===//
// CausalMask
//===----------------------------------------------------------------------===//

KeySpan CausalMask::prepareTask(ImplicitLocOpBuilder &b,
                                const RowInfo &rows) {
  // The last query q0 + qRows - 1 sees keys up to q0 + qRows - 1 + diagonal,
  // the first (q0) up to q0 + diagonal.
  end = arith::AddIOp::create(b, arith::AddIOp::create(b, rows.q0, rows.qRows),
                              diagonal);
  fullEnd = arith::AddIOp::create(
      b, arith::AddIOp::create(b, rows.q0, diagonal),
      arith::ConstantIndexOp::create(b, 1));
  return {Value(), end};
}

StepClass CausalMask::classifyStep(ImplicitLocOpBuilder &b, Value j0,
                                   Value j1) {
  // No step is empty: the span ends at the last row's diagonal.
  return {Value(),
          arith::CmpIOp::create(b, arith::CmpIPredicate::sle, j1, fullEnd)};
}

Value CausalMask::rowKeyEnd(ImplicitLocOpBuilder &b, Value query) {
  return arith::AddIOp::create(b, arith::AddIOp::create(b, query, diagonal),
                               arith::ConstantIndexOp::create(b, 1));
}

Value CausalMask::apply(KernelBuilder &kb, const Task &task, Value score,
                        const ScoreCoords &at) {
  ImplicitLocOpBuilder &b = kb.b;
  if (at.rowVec < 0) {
    Value keep = arith::CmpIOp::create(
        b, arith::CmpIPredicate::sle, at.key,
        arith::AddIOp::create(b, at.query, diagonal));
    Value negInf = kb.f32Const(-std::numeric_limits<float>::infinity());
    return arith::SelectOp::create(b, keep, score, negInf);
  }
  // Lane l holds local row r = rowVec * width + l, global query q0 + r: the
  // key is visible iff r >= key - diagonal - q0.
  Value th = arith::IndexCastOp::create(
      b, b.getI32Type(),
      arith::SubIOp::create(b, at.key,
                            arith::AddIOp::create(b, diagonal, task.q0)));
  Value threshold = vector::BroadcastOp::create(b, kb.maskType, th);
  Value keep =
      arith::CmpIOp::create(b, arith::CmpIPredicate::sge,
                            kb.laneIds(at.rowVec * kb.cfg.width), threshold);
  return arith::SelectOp::create(
      b, keep, score, kb.splat(-std::numeric_limits<float>::infinity()));
}

//===----------------------------------------------------------------------===//
// DenseMask
//===----------------------------------------------------------------------===//

Value DenseMask::term(OpBuilder &b, Location loc, const Task &task, Value head,
                      Value row, Value key) {
  // A static 1 dim broadcasts (index 0). A dynamic dim that is 1 at run
  // time arrives from the entry point with its partner's size and stride 0,
  // so it needs nothing here.
  auto mt = cast<RankedTensorType>(mask.getType());
  int64_t r = mt.getRank();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  auto dimOr0 = [&](int64_t d, Value i) {
    return mt.getDimSize(d) == 1 ? zero : i;
  };
  SmallVector<Value> at;
  if (r == 4)
    at.append({dimOr0(0, task.bi), dimOr0(1, head)});
  at.append({dimOr0(r - 2, row), dimOr0(r - 1, key)});
  Value m = tensor::ExtractOp::create(b, loc, mask, at);
  if (mt.getElementType().isInteger(1))
    return arith::SelectOp::create(
        b, loc, m, arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0)),
        arith::ConstantOp::create(
            b, loc,
            b.getF32FloatAttr(-std::numeric_limits<float>::infinity())));
  return arith::MulFOp::create(
      b, loc, buildWidenToF32(b, loc, m),
      arith::ConstantOp::create(b, loc, b.getF32FloatAttr(M_LOG2E)));
}

void DenseMask::beginStep(KernelBuilder &kb, const Task &task,
                          const StepInfo &step) {
  // Mᵀ [kv_block, q_block], transposed like the scores; rows and keys past
  // the ends read the last ones (their scores are never used).
  ImplicitLocOpBuilder &b = kb.b;
  Value lastRow = arith::SubIOp::create(b, task.rows, kb.idx(1));
  Value lastKey = arith::SubIOp::create(b, step.n, kb.idx(1));
  stepTerms = buildGenerated(
      b, b.getLoc(),
      {b.getIndexAttr(task.kvBlock), b.getIndexAttr(kb.cfg.qBlock())},
      kb.f32, [&](OpBuilder &nb, Location nl, ValueRange ix) {
        Value key = arith::AddIOp::create(
            nb, nl, step.j0, arith::MinUIOp::create(nb, nl, ix[0], lastKey));
        Value row = arith::AddIOp::create(
            nb, nl, task.q0, arith::MinUIOp::create(nb, nl, ix[1], lastRow));
        return term(nb, nl, task, task.hi, row, key);
      });
}

Value DenseMask::apply(KernelBuilder &kb, const Task &task, Value score,
                       const ScoreCoords &at) {
  if (at.rowVec < 0)
    return arith::AddFOp::create(
        kb.b, score,
        term(kb.b, kb.b.getLoc(), task, at.head, at.query, at.key));
  return arith::AddFOp::create(kb.b, score,
                               kb.readVec(stepTerms, at.jLocal, at.rowVec));
}

//===----------------------------------------------------------------------===//

SmallVector<std::unique_ptr<ScoreEpilogue>>
tile::buildEpilogue(SdpaOp op, Value diagonal, Value qLen, Value kvLen,
                    Value zero, Value qHeads) {
  // The op's order: score_mod, score_mods, the bias (or keep-mask),
  // mask_mod, causal.
  SmallVector<std::unique_ptr<ScoreEpilogue>> stages;
  if (Block *mod = op.getScoreModBlock())
    stages.push_back(std::make_unique<ScoreModStage>(mod, op.getCaptures()));
  if (!op.getNamedScoreMods().empty())
    stages.push_back(std::make_unique<NamedScoreModStage>(
        op.getNamedScoreMods(), op.getCaptures(), qLen, kvLen, qHeads));
  if (Value mask = op.getMask())
    stages.push_back(std::make_unique<DenseMask>(mask));
  if (Block *mod = op.getMaskModBlock())
    stages.push_back(std::make_unique<MaskModStage>(mod, op.getCaptures()));
  // Named masks: a top-level #attn.csr as its own stage (a per-step tile
  // scattered from the edges), the others as one stage.
  SmallVector<Attribute> named;
  // A top-level #attn.causal is the causal flag's stage, with its diagonal.
  for (Attribute m : op.getNamedMasks()) {
    if (auto causal = dyn_cast<CausalAttr>(m))
      stages.push_back(std::make_unique<CausalMask>(
          causal.getAlignment() == Alignment::top_left ? zero : diagonal));
    else if (auto csr = dyn_cast<CsrAttr>(m))
      stages.push_back(std::make_unique<CsrStage>(csr, op.getCaptures()));
    else
      named.push_back(m);
  }
  if (!named.empty())
    stages.push_back(std::make_unique<NamedMaskStage>(named, op.getCaptures(),
                                                      qLen, kvLen));
  if (op.getCausal())
    stages.push_back(std::make_unique<CausalMask>(diagonal));
  return stages;
}
