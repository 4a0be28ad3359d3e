//===- DecodeBody.h - The decode body, vectorized over head_dim -*- C++ -*-===//
//
// For tasks of few query rows (decode, speculative decoding) whose rows of
// Q, K and V are contiguous: vectors run along head_dim, so no lane is
// wasted on padding rows, and a task holds all the query rows of one KV
// head (GQA/MQA: the whole group), so each key step's K and V rows are read
// from memory once for all of them.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_PASSES_TILE_DECODEBODY_H
#define ATTN_PASSES_TILE_DECODEBODY_H

#include "passes/tile/KernelBuilder.h"
#include "passes/tile/ScoreEpilogue.h"

namespace mlir::attn::tile {

/// Emits the body of task `t` (rows = group x t.qRows, see Task; t.kvBlock
/// a multiple of the vector width and of 4). Returns its output block `[1,
/// group, qRows, v_head_dim]` (of t.outElem); or, with `normalize` false
/// (one part of a split key range), the unnormalized acc `[1, group, 1,
/// qRows, v_head_dim]`, max and sum `[1, group, 1, qRows]` (f32, base-2
/// units).
SmallVector<Value> buildDecodeBody(ImplicitLocOpBuilder &b, const Task &t,
                                   VectorTiling cfg, OpFoldResult group,
                                   bool normalize);

/// The gather body, for a task of one head (t.qRows null) with a mask that
/// lists each row's keys (`keys.listsKeys()`: a graph's CSR adjacency):
/// row by row, only the row's listed keys in [t.kvStart, t.kvEnd), their K
/// and V rows gathered by index, t.kvBlock of them per step, with no code
/// of that mask (the task's other masks apply per score). O(edges x head_dim), not O(rows x kv_len x head_dim): the body
/// for sparse rows, whose key blocks are rarely empty (a random graph's
/// edges touch every block). Results as buildDecodeBody's with a group of
/// 1.
SmallVector<Value> buildGatherBody(ImplicitLocOpBuilder &b, const Task &t,
                                   VectorTiling cfg, ScoreEpilogue &keys,
                                   bool normalize);

} // namespace mlir::attn::tile

#endif // ATTN_PASSES_TILE_DECODEBODY_H
