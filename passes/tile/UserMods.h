//===- UserMods.h - mask_mod and score_mod in the kernels -------*- C++ -*-===//
//
// The score epilogue stages of attn.sdpa's user-written regions (see the op's
// documentation): `mask_mod(b, h, q_idx, kv_idx, captures...) -> i1` and
// `score_mod(score, b, h, q_idx, kv_idx, captures...) -> f32`, as PyTorch
// FlexAttention's (He et al. 2024, "FlexAttention: The Flexibility of PyTorch
// with the Performance of FlashAttention").
//
// The region's ops are cloned into the kernel at each score it forms:
//
// - the decode body (one row, one key): as they are, on scalars;
// - the vector body (lanes are query rows, one key): values that depend on
//   q_idx or on the score vary along the lanes, and their ops are cloned on
//   vectors of `width` lanes (every arith and math op is elementwise); a
//   tensor.extract (or dim) at a varying index runs once per lane. Values
//   that depend on neither stay scalars. Values that do not depend on kv_idx
//   or the score (a row's document id, its length) are built once per key
//   step, not once per key.
// - A mod whose per-score part is large (per-lane reads, a long search) runs
//   in the body's loop over a step's scores rather than in every register
//   block (ScoreEpilogue::inRegisters): the same work, emitted once.
//
// A mask_mod's key steps are classed empty, full or partial by interval
// evaluation of the region (ModIntervals.h).
//
// Padding rows of a last query block (lanes past the task's rows) see the
// last row's q_idx, so that a mod's reads stay in bounds; their scores are
// never used.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_PASSES_TILE_USERMODS_H
#define ATTN_PASSES_TILE_USERMODS_H

#include "dialect/Attn/AttnAttrs.h"
#include "passes/tile/ModIntervals.h"
#include "passes/tile/ScoreEpilogue.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::attn::tile {

/// Clones one mod region's block into the kernel bodies.
class ModCloner {
public:
  /// `block` has the verified mod signature ([score,] b, h, q_idx, kv_idx,
  /// captures...); `captures` are the op's capture values.
  ModCloner(Block *block, bool hasScore, ValueRange captures);

  /// The vector body, per step: the values of the block that depend on
  /// neither kv_idx nor the score, for each of the task's `numRowVecs` row
  /// vectors.
  void beginStep(KernelBuilder &kb, const Task &task, int64_t numRowVecs);
  /// The vector body: the yielded value for row vector `rowVec` and key
  /// `key` (with `score`, a vector<width x f32>, for a score_mod); a scalar
  /// when it depends on neither q_idx nor the score.
  Value applyVector(KernelBuilder &kb, int64_t rowVec, Value key, Value score);
  /// A rough size of the code cloned per score vector: 1 per op, 8 per math
  /// op (a polynomial once expanded), 16 per op that runs once per lane.
  int64_t perScoreCost() const { return cost; }
  /// The decode body: the yielded value for one score, on scalars.
  Value applyScalar(KernelBuilder &kb, Value score, Value b, Value h,
                    Value query, Value key);

private:
  /// Clones `op` under `map`, on vectors when an operand is one.
  void cloneWidened(KernelBuilder &kb, Operation &op, IRMapping &map);

  Block *block;
  bool hasScore;
  SmallVector<Value> captures;
  /// Ops (by position in the block) that depend on kv_idx or the score.
  llvm::DenseSet<Operation *> keyDependent;
  int64_t cost = 0;
  /// Per row vector of the current step: the key-independent values.
  SmallVector<IRMapping> rowMaps;
};

/// Builds into `region` a block with a mod region's arguments ([score: f32,]
/// b, h, q_idx, kv_idx: index, then one per capture) followed by q_len,
/// kv_len and, when `qHeads` is given, q_heads as extra index captures, and
/// returns the cloner that applies it to the kernel's values of `captures`
/// and those lengths. `body` builds the value the block yields from the
/// score (null without `hasScore`) and the coordinates. The named masks'
/// and named score modifiers' stages generate their code this way, so that
/// it is applied exactly as a user's region is.
std::unique_ptr<ModCloner> buildModCloner(
    Region &region, bool hasScore, ValueRange captures, Value qLen,
    Value kvLen, Value qHeads,
    function_ref<Value(OpBuilder &, Value score, const MaskCoords &)> body);

/// What both mod stages share: the cloner, its per-step values, and where
/// the stage runs (registers unless its per-score code is large).
class ModStage : public ScoreEpilogue {
public:
  ModStage(Block *block, bool hasScore, ValueRange captures)
      : cloner(block, hasScore, captures) {}
  bool inRegisters() const override { return cloner.perScoreCost() <= 16; }
  void beginStep(KernelBuilder &kb, const Task &task,
                 const StepInfo &step) override {
    cloner.beginStep(kb, task, kb.cfg.rowVecs);
  }

protected:
  ModCloner cloner;
};

/// `mask_mod`: the score becomes -inf where the region yields false. Each
/// key step is classed by interval evaluation of the region over the step's
/// coordinates (ModIntervals.h): empty steps are skipped, full ones run
/// without the mask. When the region can class keys empty, a task's keys
/// are first bounded by bisection on the same evaluation: the longest
/// suffix [end, kv_len) and prefix [0, start) found empty for all its rows
/// (O(log kv_len) evaluations per task), so that a causal or window
/// mask_mod's last step ends at the diagonal, as the named masks' do.
class MaskModStage final : public ModStage {
public:
  MaskModStage(Block *block, ValueRange captures)
      : ModStage(block, /*hasScore=*/false, captures), block(block),
        captures(captures.begin(), captures.end()) {}
  bool isMask() const override { return true; }
  void prepareCall(ImplicitLocOpBuilder &b, int64_t qBlock,
                   int64_t kvBlock) override;
  KeySpan prepareTask(ImplicitLocOpBuilder &b, const RowInfo &rows) override;
  StepClass classifyStep(ImplicitLocOpBuilder &b, Value j0,
                         Value j1) override;
  Value apply(KernelBuilder &kb, const Task &task, Value score,
              const ScoreCoords &at) override;

private:
  Block *block;
  SmallVector<Value> captures;
  RowInfo rows; // of the task prepared
  /// The per-call tables of the region's varying reads (ModIntervals.h).
  std::unique_ptr<ModTables> tables;
};

/// `score_mod`: the score, in natural units (the kernels' base-2 score
/// times ln 2), replaced by the region's result (times log2(e)).
class ScoreModStage final : public ModStage {
public:
  ScoreModStage(Block *block, ValueRange captures)
      : ModStage(block, /*hasScore=*/true, captures) {}
  bool isMask() const override { return false; }
  Value apply(KernelBuilder &kb, const Task &task, Value score,
              const ScoreCoords &at) override;
};

} // namespace mlir::attn::tile

#endif // ATTN_PASSES_TILE_USERMODS_H
