//===- PrefillBody.h - The register-blocked online-softmax body -*- C++ -*-===//
//
// One task of `q-block` query rows over its key steps, FlashAttention-2's
// loop order with BLIS-style register blocks; see attn-tile's description
// in passes/Passes.td for the layout.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_PASSES_TILE_PREFILLBODY_H
#define ATTN_PASSES_TILE_PREFILLBODY_H

#include "passes/tile/KernelBuilder.h"

namespace mlir::attn::tile {

/// Emits the body of task `t`. Returns its output block `[1, 1, rows,
/// v_head_dim]` (of t.outElem); or, with `normalize` false (one part of a
/// split key range), the unnormalized acc `[1, 1, rows, v_head_dim]`, max
/// and sum `[1, 1, rows]` (f32, base-2 units).
SmallVector<Value> buildPrefillBody(ImplicitLocOpBuilder &b, const Task &t,
                                    VectorTiling cfg, bool normalize);

} // namespace mlir::attn::tile

#endif // ATTN_PASSES_TILE_PREFILLBODY_H
