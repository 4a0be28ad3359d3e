//===- BlockIteration.h - Which key steps a task visits ---------*- C++ -*-===//
//
// A task visits the keys [start, end) in steps of kv-block keys from start,
// and classes each step for the masks of its score epilogue, as
// FlexAttention's block mask does (He et al. 2024), but from the masks'
// structure, per task and per step, with no q_len x kv_len metadata:
//
// - [start, end) is the intersection of the masks' spans (causal: the keys
//   up to the task's last diagonal; a window: its band), so hidden steps
//   outside it cost nothing, not even a test;
// - inside it, a step that some mask hides whole (`empty`) is skipped, one
//   that every mask keeps whole (`full`) runs without the masks, and the
//   others (partial) run with them.
//
// With a split key range (flash-decoding), the task's part is a run of
// whole steps of the visited range: of its non-empty steps when a mask can
// class steps empty (documents, layouts, CSR, mask_mods), so that the parts
// split the attended blocks, not the key range.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_PASSES_TILE_BLOCKITERATION_H
#define ATTN_PASSES_TILE_BLOCKITERATION_H

#include "passes/tile/ScoreEpilogue.h"

namespace mlir::attn::tile {

class KeyRange {
public:
  /// The key range of a task whose queries are `rows`, over `kvLen` keys,
  /// for the masks among `stages` (each prepared for `rows`, here); with
  /// `splits` (non-null), part `part` of the visited range, split into
  /// `splits` runs of whole kv-block steps.
  /// With `counter` (a function (i64 kind, i64 blocks, i64 scores), the
  /// runtime's attn_count_blocks), the task's whole key range is counted
  /// here (once per task: by part 0 when split), and each step by
  /// buildClassifiedStep.
  KeyRange(ImplicitLocOpBuilder &b, ArrayRef<ScoreEpilogue *> stages,
           const RowInfo &rows, Value kvLen, int64_t kvBlock, Value part,
           Value splits, FlatSymbolRefAttr counter = {});

  Value start, end; // the keys visited

  /// Emits counter(kind, blocks, scores) when counting (kinds as
  /// attn_count_blocks'); `keys` of the task's rows (or of `rows` rows)
  /// give the scores.
  void count(ImplicitLocOpBuilder &b, int64_t kind, Value keys,
             Value rows = Value()) const;
  bool counts() const { return bool(counter); }

  /// True if any stage is a mask (else every step is full).
  bool masked() const { return !masks.empty(); }
  /// True if a mask other than `stage` applies.
  bool masksOtherThan(const ScoreEpilogue *stage) const {
    return llvm::any_of(masks,
                        [&](ScoreEpilogue *m) { return m != stage; });
  }
  /// The class of the step [j0, j1) for all the masks: empty if one of
  /// them hides it whole, full if all of them keep it whole (null: not
  /// known to be). Built at `b`, inside the task's key loop.
  StepClass classify(ImplicitLocOpBuilder &b, Value j0, Value j1) const;

private:
  /// With a split key range: part `part` of `splits` runs of the non-empty
  /// steps of [start, end) (two scans of the steps' classes), so that the
  /// parts share the work, not the keys. False (nothing built) when no
  /// mask can class a step empty.
  bool splitNonEmpty(ImplicitLocOpBuilder &b, int64_t kvBlock, Value part,
                     Value splits);

  SmallVector<ScoreEpilogue *> masks;
  FlatSymbolRefAttr counter;
  Value rowCount; // the task's rows (when counting)
};

/// A key step of a task's loop, as the bodies emit it: `body(partial)`
/// builds the step with (`partial`) or without the masks and returns the
/// loop state after it; `state` is the state before it. Full steps run the
/// unmasked body, partial ones the masked one, empty ones return `state`.
/// Emits only the bodies the classes can need (one when the masks are
/// never full, or when there are none).
SmallVector<Value>
buildClassifiedStep(ImplicitLocOpBuilder &b, const KeyRange &range, Value j0,
                    Value j1, ValueRange state,
                    function_ref<SmallVector<Value>(bool partial)> body);

} // namespace mlir::attn::tile

#endif // ATTN_PASSES_TILE_BLOCKITERATION_H
