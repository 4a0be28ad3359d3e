//===- AttnDialect.cpp - The attn dialect ---------------------------------===//
#include "dialect/Attn/AttnDialect.h"
#include "dialect/Attn/AttnAttrs.h"
#include "dialect/Attn/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "mlir/Transforms/InliningUtils.h"

using namespace mlir;
using namespace mlir::attn;

#include "dialect/Attn/AttnDialect.cpp.inc"

namespace {
/// attn ops are pure and carry no symbols or regions that could break when
/// moved, so any of them may be inlined.
struct AttnInlinerInterface : public DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void AttnDialect::initialize() {
  addInterfaces<AttnInlinerInterface>();
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "dialect/Attn/AttnOps.cpp.inc"
      >();
}
