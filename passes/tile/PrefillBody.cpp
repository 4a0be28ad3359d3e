//===- PrefillBody.cpp - The register-blocked online-softmax body -----------===//
//
// Scores are held as Sᵀ [kv-block, q-block] and the accumulator as Oᵀ
// [v_head_dim, q-block], vectorized over query rows, so that Q Kᵀ and P V
// read K and V only as broadcast scalars (any strides) and the row max and
// sum are elementwise across key rows. Per key step:
//
//   1. Sᵀ = K Qᵀ in register blocks of keyRows keys x rowVecs vectors over
//      head_dim, the score epilogue and the block max on the accumulators;
//   2. the new max, alpha = 2^(old - new), P = 2^(S - new) in place (or as
//      bf16 pairs of keys), the row sums;
//   3. Oᵀ = alpha Oᵀ + Vᵀ Pᵀ in register blocks of valueCols columns x
//      rowVecs vectors over the step's keys.
//
// Remainders of keys and of value columns run in narrower register blocks
// (KernelBuilder::forBlocks), never one at a time.
//
//===----------------------------------------------------------------------===//
#include "passes/tile/PrefillBody.h"
#include "passes/tile/BlockIteration.h"

#include "dialect/Attn/AttnOps.h"
#include "passes/tile/ScoreEpilogue.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::tile;

namespace {

class PrefillBuilder : public KernelBuilder {
public:
  PrefillBuilder(ImplicitLocOpBuilder &b, const Task &t, VectorTiling cfg)
      : KernelBuilder(b, cfg), t(t), nv(cfg.rowVecs) {}

  SmallVector<Value> build(bool normalize);

private:
  /// Qᵀ [head_dim, q_block], scaled, rows past `rows` zero (their scores
  /// are then 0, finite, and never stored).
  Value packQuery();
  /// bf16 Q as pairs along head_dim: [ceil(head_dim / 2), 2 * q_block],
  /// element (c2, 2 i + e) = Q[i, 2 c2 + e], zero past rows or head_dim.
  Value packQueryPairs();
  /// Whether epilogue stage `s` runs on a step: masks only on partial ones.
  static bool runs(const ScoreEpilogue *s, bool partial) {
    return partial || !s->isMask();
  }
  /// The stages that run on a step, split where the first one that is not
  /// `inRegisters` is: those before it run in the register blocks, it and
  /// the rest in a loop over the step's scores (keeping their order).
  SmallVector<ScoreEpilogue *> inRegisterStages(bool partial) const {
    SmallVector<ScoreEpilogue *> out;
    for (ScoreEpilogue *s : t.epilogue) {
      if (!s->inRegisters())
        break;
      if (runs(s, partial))
        out.push_back(s);
    }
    return out;
  }
  SmallVector<ScoreEpilogue *> tileStages(bool partial) const {
    SmallVector<ScoreEpilogue *> out;
    bool late = false;
    for (ScoreEpilogue *s : t.epilogue) {
      late = late || !s->inRegisters();
      if (late && runs(s, partial))
        out.push_back(s);
    }
    return out;
  }
  /// One key step at `j0`: the online-softmax state (Oᵀ, Sᵀ, max x nv, sum
  /// x nv[, P pairs]) after it.
  SmallVector<Value> step(Value j0, ValueRange state, Value qt, bool partial);
  /// Scores of `numKeys` keys from local key `jLocal` of the step at `j0`
  /// into rows of `st`; folds them into the block max `bmax`.
  SmallVector<Value> scoreKeys(Value j0, Value jLocal, int64_t numKeys,
                               Value qt, Value st, ValueRange bmax,
                               bool partial);
  /// Rows [c0, c0 + numCols) of `ot` = alpha * acc + Pᵀ V over the step's
  /// `n` keys.
  Value accumulateValues(Value j0, Value n, Value c0, int64_t numCols,
                         Value pv, Value ot, ValueRange alpha);

  const Task &t;
  int64_t nv;
};

} // namespace

Value PrefillBuilder::packQuery() {
  int64_t m = cfg.qBlock();
  Value last = arith::SubIOp::create(b, t.rows, idx(1));
  Value zero = f32Const(0.0f);
  return buildGenerated(
      b, b.getLoc(), {getAsOpFoldResult(t.headDim), b.getIndexAttr(m)}, f32,
      [&](OpBuilder &nb, Location nl, ValueRange ix) -> Value {
        Value c = ix[0], i = ix[1];
        Value live =
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ult, i, t.rows);
        Value row = arith::AddIOp::create(
            nb, nl, t.q0, arith::MinUIOp::create(nb, nl, i, last));
        Value x = buildWidenToF32(
            nb, nl,
            tensor::ExtractOp::create(nb, nl, t.q,
                                      ValueRange{t.bi, t.hi, row, c}));
        Value y = arith::MulFOp::create(nb, nl, x, t.scale);
        return arith::SelectOp::create(nb, nl, live, y, zero);
      });
}

Value PrefillBuilder::packQueryPairs() {
  int64_t m = cfg.qBlock();
  Type bf16 = b.getBF16Type();
  Value pairs = arith::CeilDivUIOp::create(b, t.headDim, idx(2));
  Value lastRow = arith::SubIOp::create(b, t.rows, idx(1));
  Value lastCol = arith::SubIOp::create(b, t.headDim, idx(1));
  Value zero = bf16Zero();
  return buildGenerated(
      b, b.getLoc(), {getAsOpFoldResult(pairs), b.getIndexAttr(2 * m)}, bf16,
      [&](OpBuilder &nb, Location nl, ValueRange ix) -> Value {
        Value c2 = ix[0], x = ix[1];
        Value two = arith::ConstantIndexOp::create(nb, nl, 2);
        Value i = arith::DivUIOp::create(nb, nl, x, two);
        Value c = arith::AddIOp::create(
            nb, nl, arith::MulIOp::create(nb, nl, c2, two),
            arith::RemUIOp::create(nb, nl, x, two));
        Value live = arith::AndIOp::create(
            nb, nl,
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ult, i,
                                  t.rows),
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ult, c,
                                  t.headDim));
        Value row = arith::AddIOp::create(
            nb, nl, t.q0, arith::MinUIOp::create(nb, nl, i, lastRow));
        Value col = arith::MinUIOp::create(nb, nl, c, lastCol);
        Value q = tensor::ExtractOp::create(nb, nl, t.q,
                                            ValueRange{t.bi, t.hi, row, col});
        return arith::SelectOp::create(nb, nl, live, q, zero);
      });
}

SmallVector<Value> PrefillBuilder::scoreKeys(Value j0, Value jLocal,
                                             int64_t numKeys, Value qt,
                                             Value st, ValueRange bmax,
                                             bool partial) {
  SmallVector<Value> init(numKeys * nv, splat(0.0f));
  SmallVector<Value> keys;
  for (int64_t r = 0; r < numKeys; ++r)
    keys.push_back(arith::AddIOp::create(
        b, j0, arith::AddIOp::create(b, jLocal, idx(r))));
  SmallVector<Value> scores;
  if (!cfg.bf16Dot) {
    // The register block: numKeys x nv vectors of scores, over head_dim
    // (unrolled by 4).
    scores = unrolledFor(
        idx(0), t.headDim, 4, init, [&](Value c, ValueRange acc) {
          SmallVector<Value> qv;
          for (int64_t v = 0; v < nv; ++v)
            qv.push_back(readVec(qt, c, v));
          SmallVector<Value> ks;
          for (Value key : keys)
            ks.push_back(tensor::ExtractOp::create(
                b, t.k, ValueRange{t.bi, t.kvHead, key, c}));
          return fmaBroadcasts(acc, qv, ks);
        });
  } else {
    // The same block with bf16 pairs along head_dim: one vdpbf16ps per
    // (key, row vector) and pair; an odd head_dim ends with a pair (K, 0).
    SmallVector<Value> accs = forPairs(
        t.headDim, init, [&](Value c2, ValueRange acc, bool lastOdd) {
          Value c = arith::MulIOp::create(b, c2, idx(2));
          Value c1 = arith::AddIOp::create(b, c, idx(1));
          SmallVector<Value> pairs;
          for (Value key : keys) {
            SmallVector<Value> hi;
            if (!lastOdd)
              hi = {t.bi, t.kvHead, key, c1};
            pairs.push_back(pairAt(t.k, {t.bi, t.kvHead, key, c}, hi));
          }
          return dotPairs(acc, readPairRow(qt, c2, nv), pairs);
        });
    Value scale = vector::BroadcastOp::create(b, vecType, t.scale);
    for (Value acc : accs)
      scores.push_back(arith::MulFOp::create(b, acc, scale));
  }
  // The epilogue on the accumulators, then the block max.
  SmallVector<Value> maxes(bmax);
  SmallVector<ScoreEpilogue *> late = tileStages(partial);
  for (int64_t r = 0; r < numKeys; ++r) {
    Value j = arith::AddIOp::create(b, jLocal, idx(r));
    for (int64_t v = 0; v < nv; ++v) {
      Value s = scores[r * nv + v];
      ScoreCoords at;
      at.rowVec = v;
      at.jLocal = j;
      at.key = keys[r];
      for (ScoreEpilogue *stage : inRegisterStages(partial))
        s = stage->apply(*this, t, s, at);
      if (late.empty()) // else the loop over the step's scores takes it
        maxes[v] = maxNoNaN(maxes[v], s);
      st = writeVec(s, st, j, v);
    }
  }
  SmallVector<Value> out = {st};
  out.append(maxes);
  return out;
}

Value PrefillBuilder::accumulateValues(Value j0, Value n, Value c0,
                                       int64_t numCols, Value pv, Value ot,
                                       ValueRange alpha) {
  SmallVector<Value> cols;
  for (int64_t r = 0; r < numCols; ++r)
    cols.push_back(arith::AddIOp::create(b, c0, idx(r)));
  SmallVector<Value> init;
  for (Value col : cols)
    for (int64_t v = 0; v < nv; ++v)
      init.push_back(arith::MulFOp::create(b, readVec(ot, col, v), alpha[v]));
  SmallVector<Value> accs;
  if (!cfg.bf16Dot) {
    // The register block: numCols x nv vectors of acc, over the step's keys
    // (unrolled by 2).
    accs = unrolledFor(
        idx(0), n, 2, init, [&](Value j, ValueRange acc) {
          SmallVector<Value> pvec;
          for (int64_t v = 0; v < nv; ++v)
            pvec.push_back(readVec(pv, j, v));
          Value key = arith::AddIOp::create(b, j0, j);
          SmallVector<Value> vs;
          for (Value col : cols)
            vs.push_back(tensor::ExtractOp::create(
                b, t.v, ValueRange{t.bi, t.kvHead, key, col}));
          return fmaBroadcasts(acc, pvec, vs);
        });
  } else {
    // bf16 pairs of keys: `pv` holds P as pairs [kv_block / 2, 2 q_block];
    // an odd count ends with a pair (V, 0).
    accs = forPairs(n, init, [&](Value j2, ValueRange acc, bool lastOdd) {
      Value key =
          arith::AddIOp::create(b, j0, arith::MulIOp::create(b, j2, idx(2)));
      Value key1 = arith::AddIOp::create(b, key, idx(1));
      SmallVector<Value> pairs;
      for (Value col : cols) {
        SmallVector<Value> hi;
        if (!lastOdd)
          hi = {t.bi, t.kvHead, key1, col};
        pairs.push_back(pairAt(t.v, {t.bi, t.kvHead, key, col}, hi));
      }
      return dotPairs(acc, readPairRow(pv, j2, nv), pairs);
    });
  }
  for (auto [r, col] : llvm::enumerate(cols))
    for (int64_t v = 0; v < nv; ++v)
      ot = writeVec(accs[r * nv + v], ot, col, v);
  return ot;
}

SmallVector<Value> PrefillBuilder::step(Value j0, ValueRange state, Value qt,
                                        bool partial) {
  Value ot = state[0], st = state[1];
  ValueRange max = state.slice(2, nv), sum = state.slice(2 + nv, nv);
  Value n = arith::MinSIOp::create(b, idx(t.kvBlock),
                                   arith::SubIOp::create(b, t.kvEnd, j0));
  StepInfo info{j0, n};
  for (ScoreEpilogue *stage : t.epilogue)
    if (runs(stage, partial))
      stage->beginStep(*this, t, info);
  // 1. Scores Sᵀ = K Qᵀ in register blocks of keys.
  SmallVector<Value> sInit = {st};
  sInit.append(nv, splat(std::numeric_limits<float>::lowest()));
  SmallVector<Value> scored = forBlocks(
      idx(0), n, blockSizes(cfg.keyRows), sInit,
      [&](Value jl, int64_t size, ValueRange a) {
        return scoreKeys(j0, jl, size, qt, a[0], a.drop_front(), partial);
      });
  st = scored[0];
  SmallVector<Value> blockMax(scored.begin() + 1, scored.end());
  // 1b. The stages after the register blocks, once per score vector.
  if (SmallVector<ScoreEpilogue *> late = tileStages(partial); !late.empty()) {
    SmallVector<Value> init = {st};
    init.append(nv, splat(std::numeric_limits<float>::lowest()));
    scf::ForOp loop =
        buildFor(b, idx(0), n, idx(1), init, [&](Value j, ValueRange a) {
          Value tile = a[0];
          SmallVector<Value> maxes(a.drop_front());
          Value key = arith::AddIOp::create(b, j0, j);
          for (int64_t v = 0; v < nv; ++v) {
            Value s = readVec(tile, j, v);
            ScoreCoords at;
            at.rowVec = v;
            at.jLocal = j;
            at.key = key;
            for (ScoreEpilogue *stage : late)
              s = stage->apply(*this, t, s, at);
            maxes[v] = maxNoNaN(maxes[v], s);
            tile = writeVec(s, tile, j, v);
          }
          SmallVector<Value> next = {tile};
          next.append(maxes);
          return next;
        });
    st = loop.getResult(0);
    blockMax.assign(loop.getResults().begin() + 1, loop.getResults().end());
  }
  // 2. The online softmax.
  SmallVector<Value> newMax, alpha;
  for (int64_t v = 0; v < nv; ++v) {
    newMax.push_back(maxNoNaN(max[v], blockMax[v]));
    alpha.push_back(softmaxExp2(arith::SubFOp::create(b, max[v], newMax[v])));
  }
  // P = 2^(S - new_max) in place of S (f32), or into bf16 pairs of keys;
  // its row sums (of the f32 values).
  SmallVector<Value> rowSums;
  Value pv; // what the P V blocks read
  if (!cfg.bf16Dot) {
    SmallVector<Value> pInit = {st};
    pInit.append(nv, splat(0.0f));
    scf::ForOp probs =
        buildFor(b, idx(0), n, idx(1), pInit, [&](Value j, ValueRange a) {
          Value s = a[0];
          SmallVector<Value> next = {};
          SmallVector<Value> sums;
          for (int64_t v = 0; v < nv; ++v) {
            Value p = softmaxExp2(
                arith::SubFOp::create(b, readVec(s, j, v), newMax[v]));
            s = writeVec(p, s, j, v);
            sums.push_back(arith::AddFOp::create(b, a[1 + v], p));
          }
          next.push_back(s);
          next.append(sums);
          return next;
        });
    st = pv = probs.getResult(0);
    rowSums.assign(probs.getResults().begin() + 1, probs.getResults().end());
  } else {
    Type bf16Vec = VectorType::get({cfg.width}, b.getBF16Type());
    SmallVector<Value> pInit = {state.back()};
    pInit.append(nv, splat(0.0f));
    SmallVector<Value> done =
        forPairs(n, pInit, [&](Value j2, ValueRange a, bool lastOdd) {
          Value pp = a[0];
          Value j = arith::MulIOp::create(b, j2, idx(2));
          Value j1 = arith::AddIOp::create(b, j, idx(1));
          SmallVector<Value> next = {};
          SmallVector<Value> sums;
          for (int64_t v = 0; v < nv; ++v) {
            Value p0 = softmaxExp2(
                arith::SubFOp::create(b, readVec(st, j, v), newMax[v]));
            Value p1 = lastOdd ? splat(0.0f)
                               : softmaxExp2(arith::SubFOp::create(
                                     b, readVec(st, j1, v), newMax[v]));
            sums.push_back(arith::AddFOp::create(
                b, a[1 + v], arith::AddFOp::create(b, p0, p1)));
            Value pair = vector::InterleaveOp::create(
                b, arith::TruncFOp::create(b, bf16Vec, p0),
                arith::TruncFOp::create(b, bf16Vec, p1));
            pp = vector::TransferWriteOp::create(
                     b, pair, pp, ValueRange{j2, idx(v * 2 * cfg.width)},
                     ArrayRef<bool>{true})
                     .getResult();
          }
          next.push_back(pp);
          next.append(sums);
          return next;
        });
    pv = done[0];
    rowSums.assign(done.begin() + 1, done.end());
  }
  SmallVector<Value> newSum;
  for (int64_t v = 0; v < nv; ++v)
    newSum.push_back(vector::FMAOp::create(b, alpha[v], sum[v], rowSums[v]));
  // 3. acc = alpha * acc + Pᵀ V in register blocks of value columns.
  ot = forBlocks(idx(0), t.vHeadDim, blockSizes(cfg.valueCols), ValueRange{ot},
                 [&](Value c0, int64_t size, ValueRange a) {
                   return SmallVector<Value>{
                       accumulateValues(j0, n, c0, size, pv, a[0], alpha)};
                 })[0];
  SmallVector<Value> next = {ot, st};
  next.append(newMax);
  next.append(newSum);
  if (cfg.bf16Dot)
    next.push_back(pv);
  return next;
}

SmallVector<Value> PrefillBuilder::build(bool normalize) {
  int64_t m = cfg.qBlock(), kvBlock = t.kvBlock;
  Value qt = cfg.bf16Dot ? packQueryPairs() : packQuery();
  Value st0 = tensor::EmptyOp::create(b, ArrayRef<int64_t>{kvBlock, m}, f32);
  Value ot0 = buildFilledTensor(
      b, b.getLoc(),
      ArrayRef<OpFoldResult>{getAsOpFoldResult(t.vHeadDim), b.getIndexAttr(m)},
      0.0f);
  SmallVector<Value> init = {ot0, st0};
  init.append(nv, splat(std::numeric_limits<float>::lowest())); // max
  init.append(nv, splat(0.0f));                                 // sum
  if (cfg.bf16Dot) // bf16 P as pairs of keys, for the P V dot products
    init.push_back(tensor::EmptyOp::create(
        b, ArrayRef<int64_t>{(kvBlock + 1) / 2, 2 * m}, b.getBF16Type()));
  // One loop over the visited steps, each run with the masks or without
  // them as its class says (BlockIteration.h).
  scf::ForOp loop = buildFor(
      b, t.kvStart, t.kvEnd, idx(kvBlock), init, [&](Value j0, ValueRange s) {
        Value j1 = arith::MinSIOp::create(
            b, t.kvEnd, arith::AddIOp::create(b, j0, idx(kvBlock)));
        return buildClassifiedStep(b, *t.keys, j0, j1, s, [&](bool partial) {
          return step(j0, s, qt, partial);
        });
      });
  SmallVector<Value> state(loop.getResults());
  ValueRange results(state);

  // Back to [rows, v_head_dim]: out[i, c] = acc[c, i] / sum[i], 0 where
  // the sum is 0; or, for a split, acc[c, i] with max[i] and sum[i].
  Value ot = results[0];
  auto rowVector = [&](ValueRange parts) {
    Value row = tensor::EmptyOp::create(b, ArrayRef<int64_t>{m}, f32);
    for (int64_t v = 0; v < nv; ++v)
      row = vector::TransferWriteOp::create(b, parts[v], row,
                                            ValueRange{idx(v * cfg.width)},
                                            ArrayRef<bool>{true})
                .getResult();
    return row;
  };
  Value sums = rowVector(results.slice(2 + nv, nv));
  SmallVector<OpFoldResult> outSizes = {b.getIndexAttr(1), b.getIndexAttr(1),
                                        t.rows, getAsOpFoldResult(t.vHeadDim)};
  auto gather = [&](ArrayRef<OpFoldResult> sizes,
                    function_ref<Value(OpBuilder &, Location, Value, Value)> fn,
                    Type et) {
    int64_t rank = sizes.size();
    return buildGenerated(b, b.getLoc(), sizes, et,
                          [&](OpBuilder &nb, Location nl, ValueRange ix) {
                            return fn(nb, nl, ix[2],
                                      rank > 3 ? ix[3] : Value());
                          });
  };
  SmallVector<OpFoldResult> rowSizes = {b.getIndexAttr(1), b.getIndexAttr(1),
                                        t.rows};
  if (!normalize) {
    Value maxes = rowVector(results.slice(2, nv));
    auto read = [](Value tensor) {
      return [tensor](OpBuilder &nb, Location nl, Value i, Value c) -> Value {
        return c ? tensor::ExtractOp::create(nb, nl, tensor, ValueRange{c, i})
                 : tensor::ExtractOp::create(nb, nl, tensor, ValueRange{i});
      };
    };
    return {gather(outSizes, read(ot), f32), gather(rowSizes, read(maxes), f32),
            gather(rowSizes, read(sums), f32)};
  }
  Value zero = f32Const(0.0f);
  SmallVector<Value> out = {gather(
      outSizes,
      [&](OpBuilder &nb, Location nl, Value i, Value c) -> Value {
        Value acc = tensor::ExtractOp::create(nb, nl, ot, ValueRange{c, i});
        Value sum = tensor::ExtractOp::create(nb, nl, sums, ValueRange{i});
        Value isZero =
            arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, sum, zero);
        Value quot = arith::DivFOp::create(nb, nl, acc, sum);
        Value r = arith::SelectOp::create(nb, nl, isZero, zero, quot);
        if (t.outElem != r.getType())
          r = buildTruncToBF16(nb, nl, r);
        return r;
      },
      t.outElem)};
  if (t.lse) {
    Value maxes = rowVector(results.slice(2, nv));
    out.push_back(gather(
        rowSizes,
        [&](OpBuilder &nb, Location nl, Value i, Value) -> Value {
          Value max = tensor::ExtractOp::create(nb, nl, maxes, ValueRange{i});
          Value sum = tensor::ExtractOp::create(nb, nl, sums, ValueRange{i});
          return buildLogSumExp(nb, nl, max, sum, M_LN2);
        },
        f32));
  }
  return out;
}

SmallVector<Value> tile::buildPrefillBody(ImplicitLocOpBuilder &b,
                                          const Task &t, VectorTiling cfg,
                                          bool normalize) {
  return PrefillBuilder(b, t, cfg).build(normalize);
}
