//===- LowerMemrefCopy.cpp - attn-lower-memref-copy -------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLOWERMEMREFCOPY
#include "codegen/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
struct AttnLowerMemrefCopyPass final
    : public attn::impl::AttnLowerMemrefCopyBase<AttnLowerMemrefCopyPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp op) { copies.push_back(op); });
    for (memref::CopyOp op : copies) {
      OpBuilder b(op);
      linalg::CopyOp::create(b, op.getLoc(), op.getSource(), op.getTarget());
      op.erase();
    }
  }
};
} // namespace
