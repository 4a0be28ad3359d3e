//===- Verify.h - Verifier helpers shared by the attn ops ------*- C++ -*-===//
//
// Private to dialect/Attn: the checks and messages every op's verifier
// uses, so that all ops name dims the same way ("query dim 1 (q_heads)").
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_DIALECT_ATTN_VERIFY_H
#define ATTN_DIALECT_ATTN_VERIFY_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace mlir::attn::detail {

/// One operand seen by a verifier: its role name, type and dim names.
struct Operand {
  llvm::StringRef role;
  RankedTensorType type;
  llvm::ArrayRef<llvm::StringLiteral> dims;
};

/// "<role> dim <d> (<name>)".
std::string dimString(const Operand &o, unsigned d);

/// Emits "<a> is X but <b> is Y" when both dims are static and differ.
LogicalResult checkSameDim(Operation *op, const Operand &a, unsigned ad,
                           const Operand &b, unsigned bd);

/// Checks the shape relations of attention operands (attn.sdpa's: query
/// `[batch, q_heads, q_len, head_dim]`, key, value, mask); `out` is the
/// result or accumulator `[batch, q_heads, q_len, v_head_dim]`. Ops whose
/// key and value are one tensor name them with `keyRole`, `valueRole`.
LogicalResult verifyAttention(Operation *op, RankedTensorType qType,
                              RankedTensorType kType, RankedTensorType vType,
                              RankedTensorType maskType,
                              llvm::StringRef outRole,
                              RankedTensorType outType,
                              std::optional<llvm::APFloat> scale,
                              llvm::StringRef keyRole = "key",
                              llvm::StringRef valueRole = "value");

} // namespace mlir::attn::detail

#endif // ATTN_DIALECT_ATTN_VERIFY_H
