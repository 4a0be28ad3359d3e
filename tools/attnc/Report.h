//===- Report.h - attnc --report: the masks of each kernel ------*- C++ -*-===//
#ifndef ATTN_TOOLS_ATTNC_REPORT_H
#define ATTN_TOOLS_ATTNC_REPORT_H

#include "passes/tile/KernelBlocks.h"

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
/// run time, or not at all: every block partial); with `shape`, when the
/// masks are known at compile time, the kernels' blocks for that shape
/// (attn-tile's choice under `blocks`, the options attnc gives it for the
/// target; decode blocks for q_len <= 4) that are skipped, partial and
/// full, and the FLOPs of the scores computed against dense. `tiled`
/// false: the reference lowering (every score). Text, or JSON when `json`.
void writeMaskReport(ModuleOp module, llvm::raw_ostream &os, bool json,
                     std::optional<ReportShape> shape,
                     const tile::BlockOptions &blocks, bool tiled);

} // namespace mlir::attn

#endif // ATTN_TOOLS_ATTNC_REPORT_H
