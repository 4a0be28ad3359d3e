//===- ExpandVariants.cpp - attn-expand-variants --------------------------===//
//
// Rewrites the attention variants that are attn.sdpa with other operands
// (Luong's dot and general scores) as attn.sdpa. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "dialect/Attn/AttnOps.h"
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNEXPANDVARIANTS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// attn.luong as [attn.project +] attn.sdpa {scale = 1}.
void expandLuong(LuongOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value query = op.getQuery();
  // General: h_t W_a, [batch, q_heads, q_len, source_dim].
  if (Value weight = op.getWeight())
    query = ProjectOp::create(b, loc, op.getFoldedQueryType(), query, weight,
                              /*bias=*/Value());
  auto sdpa = SdpaOp::create(
      b, loc, op.getOutput().getType(), /*lse=*/Type(), /*probs=*/Type(),
      query, op.getSource(), op.getSource(), op.getMask(),
      /*captures=*/ValueRange(), b.getF32FloatAttr(1.0f),
      /*causal=*/UnitAttr(), /*masks=*/nullptr, /*score_mods=*/nullptr);
  sdpa->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  op.getOutput().replaceAllUsesWith(sdpa.getOutput());
  op.erase();
}

struct AttnExpandVariantsPass final
    : public attn::impl::AttnExpandVariantsBase<AttnExpandVariantsPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<LuongOp> luong;
    getOperation()->walk([&](LuongOp op) { luong.push_back(op); });
    for (LuongOp op : luong) {
      expandLuong(op);
      ++numExpanded;
    }
  }
};

} // namespace
