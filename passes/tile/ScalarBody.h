//===- ScalarBody.h - The attn.online_sdpa body (no vectors) ----*- C++ -*-===//
#ifndef ATTN_PASSES_TILE_SCALARBODY_H
#define ATTN_PASSES_TILE_SCALARBODY_H

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::attn {
class SdpaOp;
} // namespace mlir::attn

namespace mlir::attn::tile {

/// The scalar body of one task of `op` (vector-width 0): a loop of
/// attn.online_sdpa steps of `kvBlock` keys over [0, kvEnd), the causal mask
/// by the step's shift. Returns the task's output block `[1, 1, rows,
/// v_head_dim]`, then, when `op` has an lse result, the rows' logsumexp
/// `[1, 1, rows]`.
SmallVector<Value> buildScalarBody(OpBuilder &b, Location loc, SdpaOp op,
                                   Value bi, Value hi, Value kvHead, Value q0,
                                   Value rows, Value kvEnd, Value diagonal,
                                   int64_t kvBlock);

} // namespace mlir::attn::tile

#endif // ATTN_PASSES_TILE_SCALARBODY_H
