//===- Pipelines.h - Named pass pipelines -----------------------*- C++ -*-===//
#ifndef ATTN_CODEGEN_PIPELINES_H
#define ATTN_CODEGEN_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Support/LLVM.h"

namespace mlir::attn {

/// The textual form of `attn-lower-to-llvm`, for docs and attn-opt users.
llvm::StringRef getLowerToLLVMPipelineText();

/// attn dialect (+ func/tensor) module -> LLVM dialect module with exported
/// C entry points. Runs: attn-export-functions, attn-decompose, fusion,
/// one-shot bufferization, buffer deallocation, loops, attn-expand-math and
/// the conversions to LLVM, then attn-emit-entry-points.
LogicalResult buildLowerToLLVMPipeline(OpPassManager &pm);

/// Registers every attn pass and the named pipelines with the global
/// registry (for attn-opt and attnc's pass-manager options).
void registerAttnPassesAndPipelines();

} // namespace mlir::attn

#endif // ATTN_CODEGEN_PIPELINES_H
