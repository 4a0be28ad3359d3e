//===- Report.h - attnc --report: the masks of each kernel ------*- C++ -*-===//
#ifndef ATTN_TOOLS_ATTNC_REPORT_H
#define ATTN_TOOLS_ATTNC_REPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

namespace mlir::attn {

/// A shape to count blocks for (--report-shape).
struct ReportShape {
  int64_t batch, qHeads, qLen, kvLen, headDim;
};

/// Writes, for each public function of `module` and each attn.sdpa in it,
/// its masks and how the tiled kernels class their blocks (compile time,
/// run time, or not at all: every block partial); with `shape`, the blocks
/// of `qBlock` x `kvBlock` that are empty, partial and full for that shape
/// when the masks are known at compile time, and the FLOPs of the non-empty
/// blocks against dense. Text, or JSON when `json`.
void writeMaskReport(ModuleOp module, llvm::raw_ostream &os, bool json,
                     std::optional<ReportShape> shape, int64_t qBlock,
                     int64_t kvBlock);

} // namespace mlir::attn

#endif // ATTN_TOOLS_ATTNC_REPORT_H
