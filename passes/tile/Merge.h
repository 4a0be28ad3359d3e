//===- Merge.h - Merging the parts of a split key range ---------*- C++ -*-===//
#ifndef ATTN_PASSES_TILE_MERGE_H
#define ATTN_PASSES_TILE_MERGE_H

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::attn::tile {

/// Merges the parts of a split key range by their logsumexp (flash-decoding,
/// Dao et al. 2023): with M = max_s max_s, out = sum_s 2^(max_s - M) acc_s /
/// sum_s 2^(max_s - M) sum_s (0 where that is 0); the maxes are in base-2
/// units, as the vector bodies keep them. acc `[B, H, S, Lq, Dv]`, max and
/// sum `[B, H, S, Lq]` (f32); writes `[B, H, Lq, Dv]` of `dest`'s element
/// type into `dest` and returns it, then, with `lseDest` (`[B, H, Lq]`
/// f32), each row's logsumexp `ln 2 (M + log2 sum_s 2^(max_s - M) sum_s)`
/// (-inf for a row that sees no key) written into it.
SmallVector<Value> buildMerge(OpBuilder &b, Location loc, Value acc,
                              Value max, Value sum, Value dest,
                              Value lseDest = Value());

} // namespace mlir::attn::tile

#endif // ATTN_PASSES_TILE_MERGE_H
