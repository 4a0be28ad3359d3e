//===- ModIntervals.h - Block classes of a mask_mod region ------*- C++ -*-===//
//
// FlexAttention's block mask (He et al. 2024) without running the mask on
// every (query, key) pair: the key steps a user's `mask_mod` hides whole
// (empty: skipped) or keeps whole (full: run without the mask) are found by
// abstract interpretation of the region (Cousot & Cousot 1977, intervals) on
// the box of coordinates a key step covers:
//
//   b = bi,  h in [hi, hi + heads - 1],  q_idx in [q0, q0 + rows - 1],
//   kv_idx in [j0, j1 - 1].
//
// The evaluation is emitted into the kernel per key step (inside the step
// loop, so that a step exists and every read it makes is one the region
// makes too; and per task on non-empty key ranges, to bound the task's
// keys: UserMods.h), and runs in O(ops of the region) scalar instructions
// per step, whatever the shapes: one kernel classes any q_len and kv_len, and nothing
// is recompiled. Each value of the region gets one of:
//
// - a point: the value is the same for every coordinate of the box (b, the
//   captures, constants, h for a task of one head, and anything computed
//   from points only: `lens[b]`, `tensor.dim`, floats). Its ops are cloned
//   as they are and give the exact value;
// - an interval [lo, hi] (integers and index, as i64), with a static bound
//   on its magnitude so that no bound can overflow: +, -, *, min, max, casts,
//   and division, remainder and shifts by a positive point; over-approximate
//   (every value the region can compute in the box lies in it);
// - for an i1: whether it may be true and whether it may be false over the
//   box (compares of intervals; and, or, xor, select);
// - a read at an index that varies over the step (`doc[b, kv_idx]`) is
//   bounded by the per-call block min/max table of its tensor (ModTables);
// - unknown (top) for anything else (a read with two varying indices or at
//   an index spanning more than two blocks, float math on a varying value):
//   an unknown i1 may be either.
//
// Where an interval's reasoning needs a fact that only run time knows (the
// indices below 2^31, a narrow cast that fits, the non-negative operands of
// an unsigned compare, a positive divisor), it adds a run-time guard; a
// step whose guards fail is partial, which is always correct.
//
// The step is empty iff the guards hold and the yield may not be true, full
// iff they hold and it may not be false. Causal, windows, dilation (a
// remainder), global tokens, per-batch lengths and their compositions,
// written as mask_mods, are classed exactly at block granularity; document
// ids read at q_idx and kv_idx by their blocks' id ranges.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_PASSES_TILE_MODINTERVALS_H
#define ATTN_PASSES_TILE_MODINTERVALS_H

#include "passes/tile/ScoreEpilogue.h"

namespace mlir::attn::tile {

/// The coordinates of a key step, for classifying a mask_mod region: one
/// batch `bi`, heads [hi, hi + heads) (a null `heads` is one head), queries
/// [q0, q0 + qRows), keys [j0, j1). All index values, non-empty ranges.
struct ModBox {
  Value bi, hi, heads, q0, qRows, j0, j1;
};

/// Per-call tables of a mask_mod's integer reads at an index that varies
/// with q_idx or kv_idx (`doc[b, kv_idx]`, `offsets[q_idx + 1]`): for a
/// `tensor.extract` of a captured tensor whose one index depends on q_idx
/// (or kv_idx) and whose others on neither, the min and max of the tensor
/// over each block of `block` entries along that dim (FlexAttention's block
/// mask, built from the data in O(size of the tensor) per call rather than
/// from the mask in O(q_len x kv_len)). A step then bounds the read by the
/// one or two blocks its index range covers.
struct ModTables {
  struct Table {
    Value values;  // [dims of the tensor, `dim` in blocks..., 2] x i64
    Value dimSize; // the tensor's size along `dim` (index)
    unsigned dim;
    int64_t block;
  };
  llvm::DenseMap<Operation *, Table> reads; // by the region's extract
};

/// Builds the tables of `block`'s reads (see ModTables) at `b`, for tasks of
/// at most `qBlock` rows and steps of at most `kvBlock` keys.
ModTables buildModTables(ImplicitLocOpBuilder &b, Block *block,
                         ValueRange captures, int64_t qBlock, int64_t kvBlock);

/// Emits the class of a box for the mask_mod block `block` (signature b, h,
/// q_idx, kv_idx, captures...), whose captures are `captures`: empty if the
/// region yields false on every coordinate of the box, full if it yields
/// true on every one (null: not known to be; the step is then partial).
/// With `tables`, reads it holds are bounded from them.
StepClass classifyModBox(ImplicitLocOpBuilder &b, Block *block,
                         ValueRange captures, const ModBox &box,
                         const ModTables *tables = nullptr);

/// Which classes classifyModBox can give `block`'s steps at all (known at
/// compile time, for a task of one head): with neither, every step of a
/// kernel with this mask_mod is partial. For reports.
struct ModClassKinds {
  bool empty = false, full = false;
};
ModClassKinds probeModClasses(Block *block);

} // namespace mlir::attn::tile

#endif // ATTN_PASSES_TILE_MODINTERVALS_H
