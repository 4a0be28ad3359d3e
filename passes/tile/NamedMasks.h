//===- NamedMasks.h - attn.sdpa's named masks in the kernels ----*- C++ -*-===//
//
// The score epilogue stage of attn.sdpa's `masks` list (#attn.causal,
// #attn.window, #attn.key_padding, ...; see AttnAttrs.td):
//
// - its element mask is the masks' keep-predicate (MaskAttrInterface::
//   buildKeep), built once as a scalar block and cloned into the kernels as
//   a mask_mod is (UserMods.h): widened to vectors of query rows, with its
//   key-independent part once per step;
// - its block classes come from each mask's structure (a MaskClassifier
//   per mask kind, in NamedMasks.cpp): spans of keys a task's rows may see
//   and, per step, whether the step is empty or full. Affine masks (causal,
//   windows, global tokens, block layouts) are classed by interval
//   arithmetic on the task's rows and the step's keys; data-dependent ones
//   (key padding, documents) from their run-time data: O(1) per step, from
//   the batch's length or a per-call table of each key block's id range
//   (O(kv_len) once per call), never O(q_len x kv_len).
//
// A new named mask adds its classifier in NamedMasks.cpp (or none: every
// step is then partial, which is correct).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_PASSES_TILE_NAMEDMASKS_H
#define ATTN_PASSES_TILE_NAMEDMASKS_H

#include "passes/tile/UserMods.h"

#include "dialect/Attn/AttnAttrs.h"

#include <memory>

namespace mlir::attn::tile {

/// How one named mask classes a task's keys (see the file comment).
class MaskClassifier {
public:
  virtual ~MaskClassifier() = default;
  /// Once per kernel variant, before its tasks (ScoreEpilogue::prepareCall).
  virtual void prepareCall(ImplicitLocOpBuilder &b, int64_t qBlock,
                           int64_t kvBlock) {}
  /// Once per task: the keys its rows may see (null: unbounded).
  virtual KeySpan prepare(ImplicitLocOpBuilder &b, const RowInfo &rows) = 0;
  /// Per step [j0, j1) of the task prepared.
  virtual StepClass classify(ImplicitLocOpBuilder &b, Value j0, Value j1) = 0;
  /// For a mask whose visible keys are a prefix of every row: its end for
  /// `query` of the task prepared (null: not a prefix mask).
  virtual Value rowKeyEnd(ImplicitLocOpBuilder &b, Value query) {
    return Value();
  }
};

/// The classifier of `mask` (a MaskAttrInterface), for an op with
/// `captures` and lengths `qLen`, `kvLen`.
std::unique_ptr<MaskClassifier> buildClassifier(Attribute mask,
                                                ValueRange captures,
                                                Value qLen, Value kvLen);

/// The stage of all of an op's named masks (their intersection).
class NamedMaskStage final : public ScoreEpilogue {
public:
  NamedMaskStage(ArrayRef<Attribute> masks, ValueRange captures, Value qLen,
                 Value kvLen);
  ~NamedMaskStage() override;
  bool isMask() const override { return true; }
  bool inRegisters() const override { return cloner->perScoreCost() <= 16; }
  void prepareCall(ImplicitLocOpBuilder &b, int64_t qBlock,
                           int64_t kvBlock) override {
    classifier->prepareCall(b, qBlock, kvBlock);
  }
  KeySpan prepareTask(ImplicitLocOpBuilder &b, const RowInfo &rows) override {
    return classifier->prepare(b, rows);
  }
  StepClass classifyStep(ImplicitLocOpBuilder &b, Value j0,
                         Value j1) override {
    return classifier->classify(b, j0, j1);
  }
  Value rowKeyEnd(ImplicitLocOpBuilder &b, Value query) override {
    return classifier->rowKeyEnd(b, query);
  }
  void beginStep(KernelBuilder &kb, const Task &task,
                 const StepInfo &step) override {
    cloner->beginStep(kb, task, kb.cfg.rowVecs);
  }
  Value apply(KernelBuilder &kb, const Task &task, Value score,
              const ScoreCoords &at) override;

private:
  /// The keep-predicate as a mask_mod-like block: (b, h, q_idx, kv_idx,
  /// captures..., q_len, kv_len) -> i1.
  std::unique_ptr<Region> region;
  std::unique_ptr<ModCloner> cloner;
  std::unique_ptr<MaskClassifier> classifier;
};

/// A top-level #attn.csr: per partial step, the keep terms of the step's
/// keys for the task's rows as a tile Mᵀ [kv-block, q-block] (0 or -inf),
/// scattered from each row's columns in the step (one binary search per
/// row, then its columns in the step), added to the scores as a dense
/// mask's terms are. O(q-block log(degree) + edges) per step, not a search
/// per score. A step no row has an edge in is empty.
class CsrStage final : public ScoreEpilogue {
public:
  CsrStage(CsrAttr attr, ValueRange captures)
      : attr(attr), offsets(captures[attr.getOffsets()]),
        columns(captures[attr.getColumns()]) {}
  bool isMask() const override { return true; }
  KeySpan prepareTask(ImplicitLocOpBuilder &b, const RowInfo &rows) override;
  StepClass classifyStep(ImplicitLocOpBuilder &b, Value j0,
                         Value j1) override;
  void beginStep(KernelBuilder &kb, const Task &task,
                 const StepInfo &step) override;
  Value apply(KernelBuilder &kb, const Task &task, Value score,
              const ScoreCoords &at) override;
  bool listsKeys() const override { return true; }
  std::pair<Value, Value> listedKeys(ImplicitLocOpBuilder &b, Value query,
                                     Value kvStart, Value kvEnd) override;
  Value listedKey(ImplicitLocOpBuilder &b, Value p) override;
  Value listedCount(ImplicitLocOpBuilder &b, Value q0, Value q1) override;

private:
  CsrAttr attr;
  Value offsets, columns;
  Value rowQ0, rowQ1; // the task's queries
  Value stepTerms;
};

} // namespace mlir::attn::tile

#endif // ATTN_PASSES_TILE_NAMEDMASKS_H
