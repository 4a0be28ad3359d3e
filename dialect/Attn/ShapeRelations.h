//===- ShapeRelations.h - Dim relations an op states -----------*- C++ -*-===//
#ifndef ATTN_DIALECT_ATTN_SHAPERELATIONS_H
#define ATTN_DIALECT_ATTN_SHAPERELATIONS_H

#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::attn {

/// Dim `dim` of the ranked tensor `value`.
struct DimRef {
  Value value;
  int64_t dim;
};

/// What ShapeRelationsOpInterface::getShapeRelations reports: pairs of
/// dims that are equal at run time, and the dims whose product sizes a
/// workspace tensor of the op's reference lowering (the runtime checks
/// that such a product fits in 64 bits before a call).
struct ShapeRelations {
  llvm::SmallVector<std::pair<DimRef, DimRef>> equal;
  llvm::SmallVector<llvm::SmallVector<DimRef>> workspace;

  /// Records dim `da` of `a` == dim `db` of `b`.
  void tie(Value a, int64_t da, Value b, int64_t db) {
    equal.push_back({{a, da}, {b, db}});
  }
};

} // namespace mlir::attn

#endif // ATTN_DIALECT_ATTN_SHAPERELATIONS_H
