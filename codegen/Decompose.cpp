//===- Decompose.cpp - attn-decompose ---------------------------------------===//
#include "codegen/Passes.h"
#include "dialect/Attn/AttnDialect.h"
#include "dialect/Attn/AttnOps.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNDECOMPOSE
#include "codegen/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
struct AttnDecomposePass final
    : public attn::impl::AttnDecomposeBase<AttnDecomposePass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<linalg::AggregatedOpInterface> ops;
    getOperation()->walk([&](linalg::AggregatedOpInterface op) {
      if (isa<attn::AttnDialect>(op->getDialect()))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::AggregatedOpInterface op : ops) {
      rewriter.setInsertionPoint(op);
      FailureOr<SmallVector<Value>> repl = op.decomposeOperation(rewriter);
      if (failed(repl)) {
        op->emitOpError("could not be decomposed");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, *repl);
      ++numDecomposed;
    }
  }
};
} // namespace
