//===- MaterializeScale.cpp - attn-materialize-scale ------------------------===//
#include "passes/Passes.h"
#include "dialect/Attn/AttnOps.h"

#include <cmath>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNMATERIALIZESCALE
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
struct AttnMaterializeScalePass final
    : public attn::impl::AttnMaterializeScaleBase<AttnMaterializeScalePass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation()->walk([&](attn::SdpaOp op) {
      int64_t headDim = op.getQueryType().getDimSize(3);
      if (op.getScale() || ShapedType::isDynamic(headDim) || headDim <= 0)
        return;
      float scale = static_cast<float>(1.0 / std::sqrt(double(headDim)));
      op.setScaleAttr(FloatAttr::get(Float32Type::get(op.getContext()), scale));
      ++numMaterialized;
    });
  }
};
} // namespace
