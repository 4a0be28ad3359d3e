//===- DecodeBody.cpp - The decode body, vectorized over head_dim -----------===//
//
// Per key step of kv-block keys, with the state of each row (acc [rows,
// v_head_dim], max, sum) in small buffers:
//
//   1. for each row: its scores as dot products of rows along head_dim,
//      4 keys at a time (reduced horizontally), the score epilogue, then the
//      online softmax of the row (P = 2^(S - max) in a [rows, kv-block]
//      buffer, alpha, the sum) and acc *= alpha;
//   2. acc += P V, keys outermost, 4 at a time: each vector of a V row is
//      loaded once per key and row from the step's rows (L1/L2), and the
//      rows of V stream from memory once per step for the whole group.
//
// Head_dim remainders (head_dim % width) are scalar loops, so the body needs
// no masked loads (bf16 ones would need avx512bf16 to legalize).
//
//===----------------------------------------------------------------------===//
#include "passes/tile/DecodeBody.h"

#include "dialect/Attn/AttnOps.h"
#include "passes/tile/ScoreEpilogue.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::tile;

namespace {

class DecodeBuilder : public KernelBuilder {
public:
  DecodeBuilder(ImplicitLocOpBuilder &b, const Task &t, VectorTiling cfg)
      : KernelBuilder(b, cfg), t(t) {}

  SmallVector<Value> build(OpFoldResult group, bool normalize);

private:
  /// The query head and global query index of row r.
  std::pair<Value, Value> rowAt(Value r) {
    if (!t.qRows)
      return {t.hi, arith::AddIOp::create(b, t.q0, r)};
    Value head =
        arith::AddIOp::create(b, t.hi, arith::DivUIOp::create(b, r, t.qRows));
    Value query =
        arith::AddIOp::create(b, t.q0, arith::RemUIOp::create(b, r, t.qRows));
    return {head, query};
  }
  /// End of the full vectors of a dim of `size` elements.
  Value fullVectors(Value size) {
    return arith::SubIOp::create(
        b, size, arith::RemUIOp::create(b, size, idx(cfg.width)));
  }
  Value reduce(Value v) {
    return vector::ReductionOp::create(b, vector::CombiningKind::ADD, v);
  }
  Value widen(Value x) { return buildWidenToF32(b, b.getLoc(), x); }
  /// One key step at j0: the state (acc, max, sum, P) after it.
  SmallVector<Value> step(Value j0, ValueRange state, bool partial);
  /// Step 1 for row r: (acc, max, sum, P) after its scores and softmax.
  SmallVector<Value> rowSoftmax(Value j0, Value n, Value r, ValueRange state,
                                bool partial);

  const Task &t;
};

} // namespace

SmallVector<Value> DecodeBuilder::rowSoftmax(Value j0, Value n, Value r,
                                             ValueRange state, bool partial) {
  Value acc = state[0], mbuf = state[1], lbuf = state[2], pbuf = state[3];
  auto [head, query] = rowAt(r);
  Value zero = idx(0), one = idx(1), wV = idx(cfg.width);
  // Keys of the step this row can see: prefix masks bound the loops; other
  // masks run per score.
  Value nr = n;
  SmallVector<ScoreEpilogue *> perScore;
  for (ScoreEpilogue *stage : t.epilogue) {
    if (!stage->isMask()) {
      perScore.push_back(stage);
      continue;
    }
    if (!partial)
      continue;
    if (Value e = stage->rowKeyEnd(b, query)) {
      nr = arith::MaxSIOp::create(
          b, zero,
          arith::MinSIOp::create(b, nr, arith::SubIOp::create(b, e, j0)));
      continue;
    }
    perScore.push_back(stage);
  }
  Value dFull = fullVectors(t.headDim);
  // Scores of `keys` keys from local key jl: dot products along head_dim,
  // full vectors then a scalar remainder.
  auto scoreGroup = [&](Value jl, int64_t keys, ValueRange a) {
    SmallVector<Value> rows;
    for (int64_t k = 0; k < keys; ++k)
      rows.push_back(arith::AddIOp::create(
          b, j0, arith::AddIOp::create(b, jl, idx(k))));
    SmallVector<Value> vInit(keys, splat(0.0f));
    scf::ForOp full = buildFor(
        b, zero, dFull, wV, vInit, [&](Value c, ValueRange acc) {
          Value qv = readRow(t.q, ValueRange{t.bi, head, query, c}, true);
          SmallVector<Value> next;
          for (int64_t k = 0; k < keys; ++k)
            next.push_back(vector::FMAOp::create(
                b, qv,
                readRow(t.k, ValueRange{t.bi, t.kvHead, rows[k], c}, true),
                acc[k]));
          return next;
        });
    SmallVector<Value> sInit;
    for (int64_t k = 0; k < keys; ++k)
      sInit.push_back(reduce(full.getResult(k)));
    scf::ForOp tail = buildFor(
        b, dFull, t.headDim, one, sInit, [&](Value c, ValueRange acc) {
          Value qc = widen(tensor::ExtractOp::create(
              b, t.q, ValueRange{t.bi, head, query, c}));
          SmallVector<Value> next;
          for (int64_t k = 0; k < keys; ++k)
            next.push_back(math::FmaOp::create(
                b, qc,
                widen(tensor::ExtractOp::create(
                    b, t.k, ValueRange{t.bi, t.kvHead, rows[k], c})),
                acc[k]));
          return next;
        });
    Value pb = a[0], bmax = a[1];
    for (int64_t k = 0; k < keys; ++k) {
      Value s = arith::MulFOp::create(b, tail.getResult(k), t.scale);
      ScoreCoords at;
      at.key = rows[k];
      at.query = query;
      at.head = head;
      for (ScoreEpilogue *stage : perScore)
        s = stage->apply(*this, t, s, at);
      pb = tensor::InsertOp::create(
          b, s, pb, ValueRange{r, arith::AddIOp::create(b, jl, idx(k))});
      bmax = arith::MaxNumFOp::create(b, bmax, s, arith::FastMathFlags::nnan);
    }
    return SmallVector<Value>{pb, bmax};
  };
  Value lowest = f32Const(std::numeric_limits<float>::lowest());
  SmallVector<Value> scored =
      forBlocks(zero, nr, blockSizes(4), ValueRange{pbuf, lowest},
                [&](Value jl, int64_t keys, ValueRange a) {
                  return scoreGroup(jl, keys, a);
                });
  pbuf = scored[0];
  Value m = tensor::ExtractOp::create(b, mbuf, ValueRange{r});
  Value l = tensor::ExtractOp::create(b, lbuf, ValueRange{r});
  Value newM = arith::MaxNumFOp::create(b, m, scored[1],
                                        arith::FastMathFlags::nnan);
  Value alpha = softmaxExp2Scalar(arith::SubFOp::create(b, m, newM));
  // P = 2^(S - new max) over the step, `width` at a time; keys the row
  // cannot see (from nr on) give 0.
  Value newMV = vector::BroadcastOp::create(b, vecType, newM);
  Value lanes = laneIds(0);
  scf::ForOp probs = buildFor(
      b, zero, n, wV, ValueRange{pbuf, f32Const(0.0f)},
      [&](Value jc, ValueRange a) {
        Value sv = vector::TransferReadOp::create(
            b, vecType, a[0], ValueRange{r, jc}, f32Const(0.0f),
            ArrayRef<bool>{true});
        Value p = softmaxExp2(arith::SubFOp::create(b, sv, newMV));
        Value left = arith::IndexCastOp::create(
            b, b.getI32Type(), arith::SubIOp::create(b, nr, jc));
        Value live =
            arith::CmpIOp::create(b, arith::CmpIPredicate::slt, lanes,
                                  vector::BroadcastOp::create(b, maskType,
                                                              left));
        p = arith::SelectOp::create(b, live, p, splat(0.0f));
        Value pb = vector::TransferWriteOp::create(b, p, a[0],
                                                   ValueRange{r, jc},
                                                   ArrayRef<bool>{true})
                       .getResult();
        return SmallVector<Value>{pb, arith::AddFOp::create(b, a[1],
                                                            reduce(p))};
      });
  pbuf = probs.getResult(0);
  Value newL = arith::AddFOp::create(b, arith::MulFOp::create(b, alpha, l),
                                     probs.getResult(1));
  mbuf = tensor::InsertOp::create(b, newM, mbuf, ValueRange{r});
  lbuf = tensor::InsertOp::create(b, newL, lbuf, ValueRange{r});
  // acc *= alpha.
  Value dvFull = fullVectors(t.vHeadDim);
  Value alphaV = vector::BroadcastOp::create(b, vecType, alpha);
  acc = buildFor(b, zero, dvFull, wV, ValueRange{acc},
                 [&](Value c, ValueRange a) {
                   Value x = readRow(a[0], ValueRange{r, c}, true);
                   return SmallVector<Value>{vector::TransferWriteOp::create(
                                                 b,
                                                 arith::MulFOp::create(
                                                     b, x, alphaV),
                                                 a[0], ValueRange{r, c},
                                                 ArrayRef<bool>{true})
                                                 .getResult()};
                 })
            .getResult(0);
  acc = buildFor(b, dvFull, t.vHeadDim, one, ValueRange{acc},
                 [&](Value c, ValueRange a) {
                   Value x = tensor::ExtractOp::create(b, a[0],
                                                       ValueRange{r, c});
                   return SmallVector<Value>{tensor::InsertOp::create(
                       b, arith::MulFOp::create(b, x, alpha), a[0],
                       ValueRange{r, c})};
                 })
            .getResult(0);
  return {acc, mbuf, lbuf, pbuf};
}

SmallVector<Value> DecodeBuilder::step(Value j0, ValueRange state,
                                       bool partial) {
  Value zero = idx(0), one = idx(1), wV = idx(cfg.width);
  Value n = arith::MinSIOp::create(b, idx(t.kvBlock),
                                   arith::SubIOp::create(b, t.kvEnd, j0));
  // 1. Scores and softmax, row by row (K rows of the step from cache after
  // the first row).
  scf::ForOp rows = buildFor(b, zero, t.rows, one, state,
                             [&](Value r, ValueRange s) {
                               return rowSoftmax(j0, n, r, s, partial);
                             });
  Value acc = rows.getResult(0), pbuf = rows.getResult(3);
  // 2. acc += P V: keys outermost in groups, then rows, then head_dim.
  Value dvFull = fullVectors(t.vHeadDim);
  auto keyGroup = [&](Value jl, int64_t keys, ValueRange a) {
    SmallVector<Value> keyRows;
    for (int64_t k = 0; k < keys; ++k)
      keyRows.push_back(arith::AddIOp::create(
          b, j0, arith::AddIOp::create(b, jl, idx(k))));
    scf::ForOp perRow = buildFor(
        b, zero, t.rows, one, a, [&](Value r, ValueRange ra) {
          SmallVector<Value> p, pv;
          for (int64_t k = 0; k < keys; ++k) {
            p.push_back(tensor::ExtractOp::create(
                b, pbuf, ValueRange{r, arith::AddIOp::create(b, jl, idx(k))}));
            pv.push_back(vector::BroadcastOp::create(b, vecType, p.back()));
          }
          scf::ForOp full = buildFor(
              b, zero, dvFull, wV, ra, [&](Value c, ValueRange ca) {
                Value x = readRow(ca[0], ValueRange{r, c}, true);
                for (int64_t k = 0; k < keys; ++k)
                  x = vector::FMAOp::create(
                      b, pv[k],
                      readRow(t.v, ValueRange{t.bi, t.kvHead, keyRows[k], c},
                              true),
                      x);
                return SmallVector<Value>{
                    vector::TransferWriteOp::create(b, x, ca[0],
                                                    ValueRange{r, c},
                                                    ArrayRef<bool>{true})
                        .getResult()};
              });
          scf::ForOp tail = buildFor(
              b, dvFull, t.vHeadDim, one, full.getResults(),
              [&](Value c, ValueRange ca) {
                Value x = tensor::ExtractOp::create(b, ca[0], ValueRange{r, c});
                for (int64_t k = 0; k < keys; ++k)
                  x = math::FmaOp::create(
                      b, p[k],
                      widen(tensor::ExtractOp::create(
                          b, t.v, ValueRange{t.bi, t.kvHead, keyRows[k], c})),
                      x);
                return SmallVector<Value>{
                    tensor::InsertOp::create(b, x, ca[0], ValueRange{r, c})};
              });
          return SmallVector<Value>(tail.getResults());
        });
    return SmallVector<Value>(perRow.getResults());
  };
  acc = forBlocks(zero, n, blockSizes(4), ValueRange{acc},
                  [&](Value jl, int64_t keys, ValueRange a) {
                    return keyGroup(jl, keys, a);
                  })[0];
  return {acc, rows.getResult(1), rows.getResult(2), pbuf};
}

SmallVector<Value> DecodeBuilder::build(OpFoldResult group, bool normalize) {
  OpFoldResult rowsOfr = getAsOpFoldResult(t.rows);
  OpFoldResult dv = getAsOpFoldResult(t.vHeadDim);
  SmallVector<Value> init = {
      buildScratch(b, b.getLoc(), {rowsOfr, dv}, 0.0f),
      buildScratch(b, b.getLoc(), {rowsOfr},
                   std::numeric_limits<float>::lowest()),
      buildScratch(b, b.getLoc(), {rowsOfr}, 0.0f),
      buildScratch(b, b.getLoc(), {rowsOfr, b.getIndexAttr(t.kvBlock)},
                   std::nullopt)};
  bool masked = llvm::any_of(t.epilogue,
                             [](ScoreEpilogue *s) { return s->isMask(); });
  Value kvBlockV = idx(t.kvBlock);
  auto steps = [&](Value from, Value to, ValueRange state, bool partial) {
    return buildFor(b, from, to, kvBlockV, state,
                    [&](Value j0, ValueRange s) {
                      return step(j0, s, partial);
                    });
  };
  scf::ForOp loop = steps(t.kvStart, masked ? t.fullEnd : t.kvEnd, init,
                          /*partial=*/false);
  if (masked)
    loop = steps(t.fullEnd, t.kvEnd, loop.getResults(), /*partial=*/true);
  Value acc = loop.getResult(0), mbuf = loop.getResult(1),
        lbuf = loop.getResult(2);

  // Rows r = g * qRows + i back to [1, group, (1,) qRows(, v_head_dim)].
  Value qRows = t.qRows ? t.qRows : t.rows;
  OpFoldResult qRowsOfr = getAsOpFoldResult(qRows);
  auto rowOf = [&](OpBuilder &nb, Location nl, Value g, Value i) -> Value {
    return arith::AddIOp::create(nb, nl,
                                 arith::MulIOp::create(nb, nl, g, qRows), i);
  };
  OpFoldResult oneAttr = b.getIndexAttr(1);
  if (!normalize) {
    auto read = [&](Value tensor, bool hasCol) {
      return [&, tensor, hasCol](OpBuilder &nb, Location nl,
                                 ValueRange ix) -> Value {
        Value r = rowOf(nb, nl, ix[1], ix[3]);
        return hasCol
                   ? tensor::ExtractOp::create(nb, nl, tensor,
                                               ValueRange{r, ix[4]})
                   : tensor::ExtractOp::create(nb, nl, tensor, ValueRange{r});
      };
    };
    return {buildGenerated(b, b.getLoc(), {oneAttr, group, oneAttr, qRowsOfr, dv},
                           f32, read(acc, true)),
            buildGenerated(b, b.getLoc(), {oneAttr, group, oneAttr, qRowsOfr},
                           f32, read(mbuf, false)),
            buildGenerated(b, b.getLoc(), {oneAttr, group, oneAttr, qRowsOfr},
                           f32, read(lbuf, false))};
  }
  Value zero = f32Const(0.0f);
  return {buildGenerated(
      b, b.getLoc(), {oneAttr, group, qRowsOfr, dv}, t.outElem,
      [&](OpBuilder &nb, Location nl, ValueRange ix) -> Value {
        Value r = rowOf(nb, nl, ix[1], ix[2]);
        Value a = tensor::ExtractOp::create(nb, nl, acc, ValueRange{r, ix[3]});
        Value l = tensor::ExtractOp::create(nb, nl, lbuf, ValueRange{r});
        Value isZero =
            arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, l, zero);
        Value quot = arith::DivFOp::create(nb, nl, a, l);
        Value o = arith::SelectOp::create(nb, nl, isZero, zero, quot);
        if (t.outElem != o.getType())
          o = buildTruncToBF16(nb, nl, o);
        return o;
      })};
}

SmallVector<Value> tile::buildDecodeBody(ImplicitLocOpBuilder &b,
                                         const Task &t, VectorTiling cfg,
                                         OpFoldResult group, bool normalize) {
  return DecodeBuilder(b, t, cfg).build(group, normalize);
}
