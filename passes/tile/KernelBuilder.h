//===- KernelBuilder.h - Shared pieces of attn-tile's kernels ---*- C++ -*-===//
//
// What every body of attn-tile (the register-blocked prefill body, the
// decode body) is built from: the register-blocking plan, the task a body
// computes, and the vector emission helpers (loops, splats, the softmax's
// exp2, bf16 pairs, broadcast-FMA blocks).
//
// This is the project's own code: no upstream pass register-blocks a fused
// online softmax, so the bodies are emitted directly as vector-dialect ops.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_PASSES_TILE_KERNELBUILDER_H
#define ATTN_PASSES_TILE_KERNELBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <cstdint>

namespace mlir::attn::tile {

class ScoreEpilogue;

/// scf.for from lb to ub by step with iter_args `init`; `body(iv, args)`
/// returns the values to yield.
template <typename Fn>
scf::ForOp buildFor(ImplicitLocOpBuilder &b, Value lb, Value ub, Value step,
                    ValueRange init, Fn body) {
  return scf::ForOp::create(
      b, lb, ub, step, init,
      [&](OpBuilder &nb, Location, Value iv, ValueRange args) {
        OpBuilder::InsertionGuard guard(b);
        b.restoreInsertionPoint(nb.saveInsertionPoint());
        SmallVector<Value> yielded = body(iv, args);
        scf::YieldOp::create(b, yielded);
      });
}

/// A bisection: an scf.while over (lo, hi) (index) that runs while lo < hi,
/// `step(b, lo, hi)` giving the next pair; returns the final {lo, hi}.
std::pair<Value, Value> buildBisection(
    ImplicitLocOpBuilder &b, Value lo, Value hi,
    function_ref<std::pair<Value, Value>(ImplicitLocOpBuilder &, Value, Value)>
        step);

/// A tensor of `sizes` x `et` whose element at indices `idx` is `fn(idx)`:
/// an outs-only linalg.generic.
Value buildGenerated(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                     Type et,
                     function_ref<Value(OpBuilder &, Location, ValueRange)> fn);

/// A fresh f32 scratch tensor of `sizes` filled with `value`. Unlike
/// tensor.empty (which CSE merges with any other of the same shape, such
/// as the kernel's result), it always bufferizes to a buffer of its own.
Value buildScratch(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   std::optional<float> value);

/// The register blocking of the vector kernels, from the target model
/// (vector width and number of vector registers).
struct VectorTiling {
  int64_t width = 0;     // f32 lanes per vector register
  int64_t rowVecs = 1;   // query rows of a prefill task / width
  int64_t keyRows = 1;   // keys per Q Kᵀ register block
  int64_t valueCols = 1; // value columns per P V register block
  /// bf16 inputs: avx512_bf16 dot products (vdpbf16ps) on pairs along the
  /// reduction dims, with P rounded to bf16. Otherwise bf16 widens to f32.
  bool bf16Dot = false;
  int64_t registers = 32; // vector registers of the target
  int64_t qBlock() const { return width * rowVecs; }
  /// A task's query rows are `n` vectors. With R registers, a register
  /// block of r keys (or value columns) holds r * n accumulators, n loaded
  /// vectors and one broadcast, so r = (R - n - 1) / n, at most 8 (longer
  /// blocks only add code), as BLIS sizes its micro-tiles: 6 x 4 with 32
  /// registers, 6 x 2 with 16, 8 x 1 for one row vector.
  VectorTiling withRowVecs(int64_t n) const;
};

/// Everything the body of one task needs: the query rows [q0, q0 + rows)
/// of one (batch, head), or, for a GQA-packed decode task, `rows` =
/// group x qRows rows covering heads [hi, hi + group) and queries [q0, q0 +
/// qRows) of one KV head, row r being (head hi + r / qRows, query q0 + r %
/// qRows); its key range; and the op's operands.
class KeyRange;

struct Task {
  Value q, k, v;          // [batch, heads, seq_len, head_dim] tensors
  Value bi, hi, kvHead;   // batch, (first) query head, KV head
  Value q0, rows;         // first query, number of rows
  Value qRows;            // queries per head (GQA-packed tasks; else null)
  Value kvStart, kvEnd;   // the task's keys
  const KeyRange *keys;   // ... and their steps' classes
  Value headDim, vHeadDim; // index
  Value scale;             // f32, in base-2 units (log2(e) folded in)
  int64_t kvBlock;
  Type outElem; // f32 or bf16
  /// The score epilogue, in order: masks and score modifiers.
  ArrayRef<ScoreEpilogue *> epilogue;
  /// Whether a normalizing body also returns each row's logsumexp (f32,
  /// natural units, -inf for a row that sees no key).
  bool lse = false;
};

/// Emission helpers shared by the vector bodies.
class KernelBuilder {
public:
  KernelBuilder(ImplicitLocOpBuilder &b, VectorTiling cfg);

  ImplicitLocOpBuilder &b;
  VectorTiling cfg;
  Type f32;
  VectorType vecType;  // vector<width x f32>
  VectorType maskType; // vector<width x i32>

  Value idx(int64_t c);
  Value splat(float x);
  Value f32Const(float x);
  /// The lane numbers `offset + 0 .. offset + width - 1` as vector<width x
  /// i32>.
  Value laneIds(int64_t offset);
  /// Vector `vec` (elements vec * width ..) of row `row` of a 2-D f32
  /// tensor, in bounds.
  Value readVec(Value tensor, Value row, int64_t vec);
  Value writeVec(Value value, Value tensor, Value row, int64_t vec);
  /// A contiguous vector of `width` elements of `tensor`'s last dim at
  /// `indices`, widened to f32; with `inBounds` false, lanes past the dim's
  /// end read 0.
  Value readRow(Value tensor, ValueRange indices, bool inBounds);
  /// A software prefetch (for reading, into all cache levels) of the
  /// element of `tensor` at `indices`, which must be in bounds. A no-op
  /// unless `tensor` is a view of a buffer (bufferization.to_tensor, as a
  /// kernel's arguments are): prefetching needs an address.
  void prefetch(Value tensor, ValueRange indices);
  /// max without NaN handling (vmaxps). NaN inputs still reach the output
  /// through exp and the sums.
  Value maxNoNaN(Value x, Value y);
  /// 2^x for the online softmax, lanewise: x = s - max <= 0 in base-2
  /// units, or -inf for a masked score. See the definition.
  Value softmaxExp2(Value x);
  /// The same for a scalar.
  Value softmaxExp2Scalar(Value x);

  /// Loops over [lb, ub) in blocks: blocks of `sizes[0]` while they fit,
  /// then at most one block of each smaller size (`sizes` decreasing, the
  /// last 1), so that a remainder runs in a few wide blocks instead of
  /// one-at-a-time. `body(iv, size, args)` returns the values to yield.
  template <typename Fn>
  SmallVector<Value> forBlocks(Value lb, Value ub, ArrayRef<int64_t> sizes,
                               ValueRange init, Fn body) {
    SmallVector<Value> state(init);
    Value start = lb;
    for (int64_t size : sizes) {
      // [start, end): the whole blocks of `size` left.
      Value len = arith::SubIOp::create(b, ub, start);
      Value end = arith::SubIOp::create(
          b, ub, arith::RemUIOp::create(b, len, idx(size)));
      scf::ForOp loop = buildFor(b, start, end, idx(size), state,
                                 [&](Value iv, ValueRange args) {
                                   return body(iv, size, args);
                                 });
      state.assign(loop.getResults().begin(), loop.getResults().end());
      start = end;
    }
    return state;
  }
  /// Loops `body(iv, args)` over [lb, ub) step 1, unrolled by `unroll`:
  /// a loop of step `unroll` whose body runs `body` at iv, iv + 1, ...,
  /// then the remainder one at a time. Fewer loop and address instructions
  /// per FMA: a 4-wide front end (Zen 2) cannot otherwise issue the FMAs
  /// of a 16-register block at full rate.
  template <typename Fn>
  SmallVector<Value> unrolledFor(Value lb, Value ub, int64_t unroll,
                                 ValueRange init, Fn body) {
    Value len = arith::SubIOp::create(b, ub, lb);
    Value end = arith::SubIOp::create(
        b, ub, arith::RemUIOp::create(b, len, idx(unroll)));
    scf::ForOp main = buildFor(b, lb, end, idx(unroll), init,
                               [&](Value iv, ValueRange args) {
                                 SmallVector<Value> state(args);
                                 for (int64_t u = 0; u < unroll; ++u) {
                                   Value at = u ? arith::AddIOp::create(
                                                      b, iv, idx(u))
                                                      .getResult()
                                                : iv;
                                   state = body(at, ValueRange(state));
                                 }
                                 return state;
                               });
    scf::ForOp rest =
        buildFor(b, end, ub, idx(1), main.getResults(),
                 [&](Value iv, ValueRange args) { return body(iv, args); });
    return SmallVector<Value>(rest.getResults());
  }
  /// The block sizes of forBlocks for a register block of `n`: n, then the
  /// powers of two below it.
  static SmallVector<int64_t> blockSizes(int64_t n);

  /// acc[r * nv + v] += scalars[r] * vecs[v] (scalars widened and
  /// broadcast): one FMA each.
  SmallVector<Value> fmaBroadcasts(ValueRange acc, ArrayRef<Value> vecs,
                                   ArrayRef<Value> scalars);
  /// acc[r * nv + v] += dot(vecs[v], pairs[r]): one vdpbf16ps each.
  SmallVector<Value> dotPairs(ValueRange acc, ArrayRef<Value> vecs,
                              ArrayRef<Value> pairs);
  Value bf16Zero();
  VectorType pairType();
  /// The bf16 pair (lo, hi) in every 32-bit lane: vector<2W x bf16>.
  Value pairBroadcast(Value lo, Value hi);
  /// The bf16 pair (tensor[lo], tensor[hi]) broadcast to every lane; with
  /// `hi` empty, (tensor[lo], 0).
  Value pairAt(Value tensor, ValueRange lo, ValueRange hi);
  /// The `nv` pair vectors of row `row` of a pair-packed tensor.
  SmallVector<Value> readPairRow(Value tensor, Value row, int64_t nv);
  /// Loops `step(k2, acc, lastOdd)` over the pairs of [0, count): the full
  /// pairs, then a (last, 0) pair when count is odd. Returns the results.
  template <typename Fn>
  SmallVector<Value> forPairs(Value count, ValueRange init, Fn step) {
    Value pairs = arith::DivUIOp::create(b, count, idx(2));
    Value all = arith::CeilDivUIOp::create(b, count, idx(2));
    auto body = [&](bool lastOdd) {
      return [&, lastOdd](Value k2, ValueRange acc) {
        return step(k2, acc, lastOdd);
      };
    };
    scf::ForOp full = buildFor(b, idx(0), pairs, idx(1), init, body(false));
    scf::ForOp odd =
        buildFor(b, pairs, all, idx(1), full.getResults(), body(true));
    return SmallVector<Value>(odd.getResults());
  }
};

} // namespace mlir::attn::tile

#endif // ATTN_PASSES_TILE_KERNELBUILDER_H
