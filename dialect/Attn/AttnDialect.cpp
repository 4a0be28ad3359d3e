//===- AttnDialect.cpp - The attn dialect ---------------------------------===//
#include "dialect/Attn/AttnDialect.h"
#include "dialect/Attn/AttnOps.h"

using namespace mlir;
using namespace mlir::attn;

#include "dialect/Attn/AttnDialect.cpp.inc"

void AttnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialect/Attn/AttnOps.cpp.inc"
      >();
}
