//===- NamedScoreMods.h - attn.sdpa's score_mods in the kernels -*- C++ -*-===//
//
// The score epilogue stage of attn.sdpa's named score modifiers (the
// `score_mods` list: #attn.alibi, ...). Each modifier's semantics is its
// ScoreModAttrInterface::buildScore (dialect/Attn/AttnAttrs.td); the stage
// builds them, in order, into one score_mod-like block and clones it into
// the kernels as a user's score_mod region is cloned (UserMods.h): on
// scalars in the decode body, on vectors of query rows in the vector body,
// with the parts that do not depend on the key (ALiBi's slope, a row's
// position) formed once per key step. A new named score modifier needs only
// its buildScore.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_PASSES_TILE_NAMEDSCOREMODS_H
#define ATTN_PASSES_TILE_NAMEDSCOREMODS_H

#include "passes/tile/UserMods.h"

#include <memory>

namespace mlir::attn::tile {

/// attn.sdpa's `score_mods`: the score, in natural units (the kernels'
/// base-2 score times ln 2), rewritten by each modifier in order (times
/// log2(e) after).
class NamedScoreModStage final : public ScoreEpilogue {
public:
  /// `qLen`, `kvLen` and `qHeads` are the op's (index values).
  NamedScoreModStage(ArrayRef<Attribute> mods, ValueRange captures,
                     Value qLen, Value kvLen, Value qHeads);
  ~NamedScoreModStage() override;
  bool isMask() const override { return false; }
  bool inRegisters() const override { return cloner->perScoreCost() <= 16; }
  void beginStep(KernelBuilder &kb, const Task &task,
                 const StepInfo &step) override {
    cloner->beginStep(kb, task, kb.cfg.rowVecs);
  }
  Value apply(KernelBuilder &kb, const Task &task, Value score,
              const ScoreCoords &at) override;

private:
  /// The modifiers as a score_mod-like block: (score, b, h, q_idx, kv_idx,
  /// captures..., q_len, kv_len, q_heads) -> f32.
  std::unique_ptr<Region> region;
  std::unique_ptr<ModCloner> cloner;
};

} // namespace mlir::attn::tile

#endif // ATTN_PASSES_TILE_NAMEDSCOREMODS_H
