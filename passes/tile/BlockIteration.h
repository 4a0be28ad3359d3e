//===- BlockIteration.h - Which key steps a task visits ---------*- C++ -*-===//
//
// A task visits the keys [start, end) in steps of kv-block keys from start.
// The masks of the score epilogue bound it: steps that no row of the task
// can see are not visited (causal: those above the diagonal), and steps
// below `fullEnd` are visible to every row, so the bodies run them without
// the masks. With a split key range (flash-decoding), the task's part is a
// run of whole steps of the visited range, so the parts split the work, not
// the key range.
//
// Today the visited keys are one interval with a full prefix; a block-sparse
// schedule (lists of full and partial steps) replaces this file's result,
// not the bodies.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_PASSES_TILE_BLOCKITERATION_H
#define ATTN_PASSES_TILE_BLOCKITERATION_H

#include "passes/tile/ScoreEpilogue.h"

namespace mlir::attn::tile {

struct KeyRange {
  Value start, end; // keys visited
  Value fullEnd;    // steps [start, fullEnd) need no mask; start <= fullEnd <= end
                    // (fullEnd is `start` itself when no step is known full:
                    // the bodies then build no unmasked loop)
};

/// The key range of a task whose queries are `rows`, over `kvLen` keys, for
/// the masks among `stages`; with `splits` (non-null), part `part` of the
/// visited range, split into `splits` runs of whole kv-block steps.
KeyRange buildKeyRange(ImplicitLocOpBuilder &b,
                       ArrayRef<ScoreEpilogue *> stages, const RowInfo &rows,
                       Value kvLen, int64_t kvBlock, Value part, Value splits);

} // namespace mlir::attn::tile

#endif // ATTN_PASSES_TILE_BLOCKITERATION_H
