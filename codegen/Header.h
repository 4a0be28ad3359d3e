//===- Header.h - C header for compiled kernels -----------------*- C++ -*-===//
#ifndef ATTN_CODEGEN_HEADER_H
#define ATTN_CODEGEN_HEADER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::attn {

/// Writes the C header declaring every exported kernel of `module` (the
/// functions that carry attn.export_name, after attn-export-functions).
/// `guard` names the include guard; `source` is mentioned in comments.
/// Fails with a diagnostic on a malformed signature.
LogicalResult writeCHeader(ModuleOp module, llvm::raw_ostream &os,
                           llvm::StringRef guard, llvm::StringRef source);

} // namespace mlir::attn

#endif // ATTN_CODEGEN_HEADER_H
