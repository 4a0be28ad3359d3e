//===- ScoreEpilogue.h - Masks and score modifiers in registers -*- C++ -*-===//
//
// The score epilogue of attn-tile's kernels: what happens to a block of
// scores between Q Kᵀ and the online softmax, in registers. Each stage is a
// ScoreEpilogue; a kernel applies the stages of its op in order to every
// score vector it forms. A new mask or score modifier (a named mask, a
// user's mask_mod or score_mod region, ALiBi, soft-capping) is one more
// subclass, and needs no edit of the bodies:
//
// - `apply` rewrites one vector of scores (the vector body: lanes are query
//   rows, one key) or one scalar score (the decode body: one row, one key);
// - a mask (`isMask`) can bound the keys a task's rows may see
//   (`prepareTask`), and class each key step as empty (skipped), full (run
//   without the mask) or partial (`classifyStep`): FlexAttention's block
//   mask, computed from the mask's structure (BlockIteration.h);
// - `beginStep` prepares per-step state (the dense mask's transposed block);
// - `inRegisters` false moves a large stage (and the ones after it) out of
//   the register blocks into one loop over the step's scores, so that code
//   size does not grow with the register blocking.
//
// Scores are in the kernels' base-2 units: log2(e) is folded into the scale
// so that the softmax needs exp2; an additive term must be scaled by log2(e)
// too, and a masked score is -inf.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_PASSES_TILE_SCOREEPILOGUE_H
#define ATTN_PASSES_TILE_SCOREEPILOGUE_H

#include "passes/tile/KernelBuilder.h"

#include <memory>

namespace mlir::attn {
class SdpaOp;
} // namespace mlir::attn

namespace mlir::attn::tile {

/// Where a score is, for an epilogue stage.
struct ScoreCoords {
  /// The vector body: the vector of query rows `rowVec` of the task (lanes
  /// are local rows rowVec * width + lane), key `jLocal` of the step. -1 in
  /// the decode body.
  int64_t rowVec = -1;
  Value jLocal;
  /// The global key index.
  Value key;
  /// The decode body: the global query index and head of the row.
  Value query, head;
};

/// The key step a stage runs in: keys [j0, j0 + n) of the task.
struct StepInfo {
  Value j0, n;
};

/// Keys [start, end); a null Value is the start (0) or end (kv_len) of the
/// keys.
struct KeySpan {
  Value start, end;
};

/// A key step's class for a mask (i1s; null is false).
struct StepClass {
  Value empty, full;
};

/// The query rows a stage sees: the task's queries [q0, q0 + qRows) of the
/// heads [hi, hi + heads) it covers (a null `heads`: one head), in batch
/// `bi`. (For a task of one head, qRows is its row count; a decode task
/// covers its KV head's query group.)
struct RowInfo {
  Value bi, hi, q0, qRows, heads;
  /// The keys (index): set by KeyRange for prepareTask.
  Value kvLen;
};

class ScoreEpilogue {
public:
  virtual ~ScoreEpilogue() = default;
  /// True for a mask (scores become -inf or stay), false for a score
  /// modifier (every score may change; runs on every step).
  virtual bool isMask() const = 0;
  /// For a mask, once per kernel variant (prefill or decode), before its
  /// tasks and outside their parallel loop: per-call tables of the mask's
  /// run-time data (a document's per-block id ranges), for tasks of at most
  /// `qBlock` rows starting at multiples of it and key steps of at most
  /// `kvBlock` keys starting at multiples of it. The values kept are for
  /// the tasks built next.
  virtual void prepareCall(ImplicitLocOpBuilder &b, int64_t qBlock,
                           int64_t kvBlock) {}
  /// For a mask, once per task (outside its key loop): the keys its rows
  /// may see lie in [start, end) (a null Value: 0, kv_len). The stage may
  /// keep per-task values for `classifyStep`.
  virtual KeySpan prepareTask(ImplicitLocOpBuilder &b, const RowInfo &rows) {
    return {};
  }
  /// For a mask, per key step [j0, j1) of the task last prepared: whether
  /// it hides every score of the step (`empty`) or none (`full`), as i1s
  /// (null: not known to). Steps known full run without the mask; empty
  /// ones are skipped.
  virtual StepClass classifyStep(ImplicitLocOpBuilder &b, Value j0,
                                 Value j1) {
    return {};
  }
  /// For a mask whose visible keys for a row form a prefix: the end of that
  /// prefix for global query `query` (null: not a prefix mask). The decode
  /// body then bounds its key loops instead of masking.
  virtual Value rowKeyEnd(ImplicitLocOpBuilder &b, Value query) {
    return Value();
  }
  /// For a mask that lists each query row's visible keys, sorted (a graph's
  /// neighbours, #attn.csr): the positions [begin, end) in its list of the
  /// keys of global query `query` that lie in [kvStart, kvEnd), as index
  /// Values; {} for other masks. A body that visits only the listed keys
  /// (the gather body, DecodeBody.h) needs no code of this mask.
  virtual std::pair<Value, Value> listedKeys(ImplicitLocOpBuilder &b,
                                             Value query, Value kvStart,
                                             Value kvEnd) {
    return {};
  }
  /// For a mask with `listedKeys`: the key at position `p` of its list
  /// (index, as stored: invalid data may put it outside [0, kv_len)), and
  /// the number of listed keys of queries [q0, q1).
  virtual Value listedKey(ImplicitLocOpBuilder &b, Value p) { return Value(); }
  virtual Value listedCount(ImplicitLocOpBuilder &b, Value q0, Value q1) {
    return Value();
  }
  virtual bool listsKeys() const { return false; }
  /// False for a stage too large to clone into every score of a register
  /// block (a user's mod with per-lane reads, a long search): the vector
  /// body then applies it, and every stage after it, in one loop over the
  /// step's scores (in L1) instead, emitted once.
  virtual bool inRegisters() const { return true; }
  /// Per-step setup of the vector body, before the step's scores are formed.
  virtual void beginStep(KernelBuilder &kb, const Task &task,
                         const StepInfo &step) {}
  /// The score vector or scalar `score` at `at`, rewritten.
  virtual Value apply(KernelBuilder &kb, const Task &task, Value score,
                      const ScoreCoords &at) = 0;
};

/// `causal` and a top-level `#attn.causal`: key j is visible to query i iff
/// j <= i + diagonal (kv_len - q_len bottom-right aligned, as the op
/// documents; 0 top-left).
class CausalMask final : public ScoreEpilogue {
public:
  explicit CausalMask(Value diagonal) : diagonal(diagonal) {}
  bool isMask() const override { return true; }
  KeySpan prepareTask(ImplicitLocOpBuilder &b, const RowInfo &rows) override;
  StepClass classifyStep(ImplicitLocOpBuilder &b, Value j0, Value j1) override;
  Value rowKeyEnd(ImplicitLocOpBuilder &b, Value query) override;
  Value apply(KernelBuilder &kb, const Task &task, Value score,
              const ScoreCoords &at) override;

private:
  Value diagonal; // kv_len - q_len or 0 (index)
  Value end, fullEnd; // of the task prepared
};

/// The op's mask operand: an i1 keep-mask (0 or -inf) or an f32 bias
/// (times log2(e)), rank 2 `[q_len, kv_len]` or 4 `[batch, heads, q_len,
/// kv_len]`, any dim of which may be 1 and broadcast. The vector body gathers a step's terms into Mᵀ `[kv-block,
/// q-block]` once per step and adds its vectors.
class DenseMask final : public ScoreEpilogue {
public:
  explicit DenseMask(Value mask) : mask(mask) {}
  /// Applied on every step: its terms are data, known at run time only.
  bool isMask() const override { return false; }
  void beginStep(KernelBuilder &kb, const Task &task,
                 const StepInfo &step) override;
  Value apply(KernelBuilder &kb, const Task &task, Value score,
              const ScoreCoords &at) override;

private:
  /// The term for global query `row`, head `head`, key `key`.
  Value term(OpBuilder &b, Location loc, const Task &task, Value head,
             Value row, Value key);
  Value mask;
  Value stepTerms; // Mᵀ of the current step
};

/// The epilogue stages of `op`, in the order they apply. `diagonal` is
/// kv_len - q_len.
/// `qLen` and `kvLen` are the op's lengths, `zero` a 0 and `qHeads` its
/// query heads (index).
SmallVector<std::unique_ptr<ScoreEpilogue>>
buildEpilogue(SdpaOp op, Value diagonal, Value qLen, Value kvLen, Value zero,
              Value qHeads);

} // namespace mlir::attn::tile

#endif // ATTN_PASSES_TILE_SCOREEPILOGUE_H
