//===- NamedScoreMods.cpp - attn.sdpa's score_mods in the kernels -----------===//
#include "passes/tile/NamedScoreMods.h"

#include "dialect/Attn/AttnAttrs.h"
#include "dialect/Attn/AttnOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::tile;

NamedScoreModStage::NamedScoreModStage(ArrayRef<Attribute> mods,
                                       ValueRange captures, Value qLen,
                                       Value kvLen, Value qHeads)
    : region(std::make_unique<Region>()) {
  // The block arguments a score_mod has, then the lengths and q_heads as
  // three more captures.
  Location loc = qLen.getLoc();
  cloner = buildModCloner(
      *region, /*hasScore=*/true, captures, qLen, kvLen, qHeads,
      [&](OpBuilder &b, Value score, const MaskCoords &at) {
        return buildScoreMods(b, loc, mods, score, at);
      });
}

NamedScoreModStage::~NamedScoreModStage() = default;

Value NamedScoreModStage::apply(KernelBuilder &kb, const Task &task,
                                Value score, const ScoreCoords &at) {
  ImplicitLocOpBuilder &b = kb.b;
  if (at.rowVec < 0) {
    Value natural = arith::MulFOp::create(b, score, kb.f32Const(M_LN2));
    Value r = cloner->applyScalar(kb, natural, task.bi, at.head, at.query,
                                  at.key);
    return arith::MulFOp::create(b, r, kb.f32Const(M_LOG2E));
  }
  Value natural = arith::MulFOp::create(b, score, kb.splat(M_LN2));
  Value r = cloner->applyVector(kb, at.rowVec, at.key, natural);
  if (!isa<VectorType>(r.getType())) // ignores the score and q_idx
    r = vector::BroadcastOp::create(b, kb.vecType, r);
  return arith::MulFOp::create(b, r, kb.splat(M_LOG2E));
}
