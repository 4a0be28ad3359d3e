//===- LowerDynamicExpandShape.cpp - attn-lower-dynamic-expand-shape --------===//
//
// A workaround for an upstream crash; see Passes.td.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLOWERDYNAMICEXPANDSHAPE
#include "codegen/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
struct DynamicExpandShapeToReinterpretCast
    : public OpRewritePattern<memref::ExpandShapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::ExpandShapeOp op,
                                PatternRewriter &rewriter) const override {
    MemRefType resultType = op.getResultType();
    SmallVector<ReassociationIndices> groups = op.getReassociationIndices();
    bool needed = llvm::any_of(groups, [&](const ReassociationIndices &g) {
      return llvm::count_if(g, [&](int64_t d) {
               return resultType.isDynamicDim(d);
             }) > 1;
    });
    if (!needed)
      return rewriter.notifyMatchFailure(op, "upstream handles this case");

    Location loc = op.getLoc();
    auto meta =
        memref::ExtractStridedMetadataOp::create(rewriter, loc, op.getSrc());
    SmallVector<OpFoldResult> srcStrides = meta.getConstifiedMixedStrides();
    SmallVector<OpFoldResult> sizes = op.getMixedOutputShape();
    SmallVector<OpFoldResult> strides(resultType.getRank());
    AffineExpr s0, s1;
    bindSymbols(rewriter.getContext(), s0, s1);
    for (auto [srcDim, group] : llvm::enumerate(groups)) {
      OpFoldResult stride = srcStrides[srcDim];
      for (int64_t r = group.size() - 1; r >= 0; --r) {
        strides[group[r]] = stride;
        stride = affine::makeComposedFoldedAffineApply(
            rewriter, loc, s0 * s1, {stride, sizes[group[r]]});
      }
    }
    rewriter.replaceOpWithNewOp<memref::ReinterpretCastOp>(
        op, resultType, meta.getBaseBuffer(), meta.getConstifiedMixedOffset(),
        sizes, strides);
    return success();
  }
};

struct AttnLowerDynamicExpandShapePass final
    : public attn::impl::AttnLowerDynamicExpandShapeBase<
          AttnLowerDynamicExpandShapePass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DynamicExpandShapeToReinterpretCast>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
