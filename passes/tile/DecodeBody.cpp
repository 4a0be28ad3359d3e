//===- DecodeBody.cpp - The decode body, vectorized over head_dim -----------===//
//
// Per key step of kv-block keys, with the state of each row (acc [rows,
// v_head_dim], max, sum, P [rows, kv-block]) in small buffers:
//
//   1. for each block of up to 4 rows: their scores, key by key, as dot
//      products along head_dim (each vector of a key row loaded once for the
//      block's rows, reduced horizontally), the score epilogue; then each
//      row's online softmax (P = 2^(S - max), alpha, the sum) and acc *=
//      alpha;
//   2. acc += P V, for each block of rows, keys outermost, each vector of a
//      V row loaded once for the block's rows.
//
// K and V rows are read one at a time, front to back: on Zen 4, reading
// four rows interleaved (4 keys per register block) sustains about half the
// bandwidth of reading them in order, and in these loops even two rows side
// by side (keys in pairs) measured 20-50% slower than one. A GQA group of up to 4 query
// heads reads each K and V row from memory once per step; larger groups
// once per 4 heads (from L2 after the first block).
//
// Both loops prefetch the row 8 keys ahead of the one they read (one
// prefetch per vector, clamped to the task's last key). The hardware
// prefetcher alone kept a GQA group (4 rows per K row, more work per byte)
// at about half the read bandwidth: on Zen 5, 32 query heads over 8 KV
// heads at kv_len 16384 went from 10.5 to 6.4 ms on 1 thread and MHA from
// 26.9 to 20.8 ms (bench/attn_bench, AttncGqa/32/8/16384/128/1 and
// Attnc/32/1/16384/128/0/1); 4 rows ahead was slower, 16 the same, 32
// slower.
//
// The state lives in memrefs, written in place: as tensors threaded through
// these loops as iter_args, one-shot bufferization's buffer-type queries
// grow exponentially with the loop nesting. Head_dim remainders (head_dim %
// width) are scalar loops, so the body needs no masked loads (bf16 ones
// would need avx512bf16 to legalize).
//
//===----------------------------------------------------------------------===//
#include "passes/tile/DecodeBody.h"
#include "passes/tile/BlockIteration.h"

#include "dialect/Attn/AttnOps.h"
#include "passes/tile/ScoreEpilogue.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::tile;

namespace {

/// How far ahead (in key rows) the K and V loops prefetch. See the file
/// comment.
/// Gathered K rows too (positions ahead in the key list): on the Xeon of
/// BENCHMARKS.md, graph rows of degree 64 over 4096 and 16384 nodes ran
/// 1.3-1.5x slower 4 or 16 positions ahead (bench/mask_bench Csr).
constexpr int64_t kPrefetchRows = 8;

class DecodeBuilder : public KernelBuilder {
public:
  DecodeBuilder(ImplicitLocOpBuilder &b, const Task &t, VectorTiling cfg,
                ScoreEpilogue *lister = nullptr)
      : KernelBuilder(b, cfg), t(t), lister(lister) {}

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
  /// The sum of v's lanes, as a tree of shuffles and adds (reassoc): an
  /// in-order sum of 16 lanes is a 48-cycle chain per key.
  Value reduce(Value v) {
    return vector::ReductionOp::create(b, vector::CombiningKind::ADD, v,
                                       arith::FastMathFlags::reassoc);
  }
  Value widen(Value x) { return buildWidenToF32(b, b.getLoc(), x); }
  /// Key `jl` of the step at j0: j0 + jl, or with a key list (the gather
  /// body) the key at position j0 + jl of the list, clamped to [0, kv_len)
  /// so that invalid lists read some key, never past the tensors.
  Value keyAt(Value j0, Value jl) {
    Value p = arith::AddIOp::create(b, j0, jl);
    if (!lister)
      return p;
    return arith::MinUIOp::create(b, lister->listedKey(b, p), lastKey);
  }
  /// The key row to prefetch while reading key `jl` of the step at j0:
  /// kPrefetchRows ahead, clamped to the task's last key, so that the
  /// address stays in bounds (gathered: positions ahead in the list, into
  /// the next rows' keys, up to the end of the task's last row).
  Value prefetchKey(Value j0, Value jl) {
    Value here = arith::AddIOp::create(b, j0, jl);
    Value ahead = arith::AddIOp::create(
        b, here, idx(kPrefetchRows));
    Value last = arith::SubIOp::create(b, lister ? listEnd : t.kvEnd, idx(1));
    Value p = arith::MinSIOp::create(b, ahead, last);
    if (!lister)
      return p;
    // (Never before the position read now: rows out of order, invalid
    // data, must not move it out of the list.)
    p = arith::MaxSIOp::create(b, p, here);
    return arith::MinUIOp::create(b, lister->listedKey(b, p), lastKey);
  }
  /// Prefetches row `key` of K or V (`size` elements), one prefetch per
  /// 64-byte line (and the last element: rows need not be aligned).
  void prefetchRow(Value tensor, Value key, Value size) {
    Value last = arith::SubIOp::create(b, size, idx(1));
    loop(idx(0), arith::AddIOp::create(b, size, idx(15)), idx(16),
         [&](Value c) {
           prefetch(tensor, ValueRange{t.bi, t.kvHead, key,
                                       arith::MinSIOp::create(b, c, last)});
         });
  }
  Value load(Value m, ValueRange at) { return memref::LoadOp::create(b, m, at); }
  void store(Value x, Value m, ValueRange at) {
    memref::StoreOp::create(b, x, m, at);
  }
  void storeVec(Value x, Value m, ValueRange at) {
    vector::TransferWriteOp::create(b, x, m, at, ArrayRef<bool>{true});
  }
  /// A loop without iter_args.
  template <typename Fn> void loop(Value lb, Value ub, Value step, Fn body) {
    buildFor(b, lb, ub, step, ValueRange{}, [&](Value iv, ValueRange) {
      body(iv);
      return SmallVector<Value>{};
    });
  }
  /// forBlocks without iter_args.
  template <typename Fn>
  void blocks(Value lb, Value ub, ArrayRef<int64_t> sizes, Fn body) {
    forBlocks(lb, ub, sizes, ValueRange{},
              [&](Value iv, int64_t size, ValueRange) {
                body(iv, size);
                return SmallVector<Value>{};
              });
  }

  /// Rows [r0, r0 + R) of a step of n keys at j0: their heads, queries,
  /// visible keys (prefix masks bound them; nMax = the most of any row),
  /// and the epilogue stages that run per score.
  struct RowBlock {
    SmallVector<Value> rows, heads, queries, visible;
    Value nMax;
    SmallVector<ScoreEpilogue *> perScore;
    bool prefixMasked = false;
  };
  RowBlock rowBlock(Value j0, Value n, Value r0, int64_t R, bool partial);
  /// Step 1 for a block of rows: scores, softmax, acc *= alpha.
  void scoreBlock(Value j0, Value n, Value r0, int64_t R, bool partial);
  /// Step 2 for a block of rows: acc += P V, acc in memory, keys outermost.
  void valueBlock(Value j0, Value n, Value r0, int64_t R, bool partial);
  /// The same with acc in registers (R rows x up to `maxVecs` vectors of
  /// v_head_dim), keys innermost: for rows of at most maxVecs vectors, each
  /// V row is still read whole per key.
  void valueBlockInRegisters(Value j0, Value n, Value r0, int64_t R,
                             int64_t maxVecs, bool partial);

  const Task &t;
  /// The gather body's key list (a mask with listsKeys()), the end of the
  /// task's last row in it, and kv_len - 1; else null.
  ScoreEpilogue *lister;
  Value listEnd, lastKey;
  /// The state: acc [rows, v_head_dim], max and sum [rows], P [rows,
  /// kv-block].
  Value acc, mbuf, lbuf, pbuf;
};

} // namespace

DecodeBuilder::RowBlock DecodeBuilder::rowBlock(Value j0, Value n, Value r0,
                                                int64_t R, bool partial) {
  RowBlock blk;
  if (lister) {
    // Gathered keys: the list is its own mask; the others (and the score
    // modifiers) apply per score.
    for (ScoreEpilogue *stage : t.epilogue)
      if (stage != lister)
        blk.perScore.push_back(stage);
    for (int64_t i = 0; i < R; ++i) {
      Value r = arith::AddIOp::create(b, r0, idx(i));
      auto [head, query] = rowAt(r);
      blk.rows.push_back(r);
      blk.heads.push_back(head);
      blk.queries.push_back(query);
      blk.visible.push_back(n);
    }
    blk.nMax = n;
    return blk;
  }
  for (ScoreEpilogue *stage : t.epilogue) {
    if (!stage->isMask())
      blk.perScore.push_back(stage);
    else if (partial && !stage->rowKeyEnd(b, t.q0))
      blk.perScore.push_back(stage);
  }
  Value zero = idx(0);
  for (int64_t i = 0; i < R; ++i) {
    Value r = arith::AddIOp::create(b, r0, idx(i));
    auto [head, query] = rowAt(r);
    Value nr = n;
    if (partial)
      for (ScoreEpilogue *stage : t.epilogue)
        if (stage->isMask())
          if (Value e = stage->rowKeyEnd(b, query)) {
            blk.prefixMasked = true;
            nr = arith::MaxSIOp::create(
                b, zero,
                arith::MinSIOp::create(b, nr, arith::SubIOp::create(b, e, j0)));
          }
    blk.rows.push_back(r);
    blk.heads.push_back(head);
    blk.queries.push_back(query);
    blk.visible.push_back(nr);
    blk.nMax = blk.nMax ? arith::MaxSIOp::create(b, blk.nMax, nr).getResult()
                        : nr;
  }
  return blk;
}

void DecodeBuilder::scoreBlock(Value j0, Value n, Value r0, int64_t R,
                               bool partial) {
  RowBlock blk = rowBlock(j0, n, r0, R, partial);
  Value zero = idx(0), one = idx(1), wV = idx(cfg.width);
  Value dFull = fullVectors(t.headDim);
  Value negInf = f32Const(-std::numeric_limits<float>::infinity());
  // The scores of `nk` keys from jl for the block's rows (nk = 1, see the
  // file comment): each vector of a key row is loaded once and multiplies
  // every row's query. Returns the block maxes.
  auto scoreKeys = [&](Value jl, int64_t nk, ValueRange maxesIn) {
    SmallVector<Value> keys, locals;
    for (int64_t k = 0; k < nk; ++k) {
      locals.push_back(k ? arith::AddIOp::create(b, jl, idx(k)).getResult()
                         : jl);
      keys.push_back(keyAt(j0, locals.back()));
    }
    // sums[i * nk + k]: row i, key k.
    SmallVector<Value> init(R * nk, splat(0.0f));
    // The K rows ahead: of the last key, one prefetch per vector read (a
    // stream); gathered, of each key, one per cache line of its row.
    SmallVector<Value> ahead;
    if (lister)
      for (Value jl : locals)
        prefetchRow(t.k, prefetchKey(j0, jl), t.headDim);
    else
      ahead.push_back(prefetchKey(j0, locals.back()));
    scf::ForOp full = buildFor(
        b, zero, dFull, wV, init, [&](Value c, ValueRange sums) {
          SmallVector<Value> kv;
          for (Value key : keys)
            kv.push_back(
                readRow(t.k, ValueRange{t.bi, t.kvHead, key, c}, true));
          for (Value a : ahead)
            prefetch(t.k, ValueRange{t.bi, t.kvHead, a, c});
          SmallVector<Value> next(sums);
          for (int64_t i = 0; i < R; ++i) {
            Value qv = readRow(
                t.q, ValueRange{t.bi, blk.heads[i], blk.queries[i], c}, true);
            for (int64_t k = 0; k < nk; ++k)
              next[i * nk + k] =
                  vector::FMAOp::create(b, qv, kv[k], sums[i * nk + k]);
          }
          return next;
        });
    SmallVector<Value> sums;
    for (Value v : full.getResults())
      sums.push_back(reduce(v));
    scf::ForOp tail = buildFor(
        b, dFull, t.headDim, one, sums, [&](Value c, ValueRange x) {
          SmallVector<Value> kc;
          for (Value key : keys)
            kc.push_back(widen(tensor::ExtractOp::create(
                b, t.k, ValueRange{t.bi, t.kvHead, key, c})));
          SmallVector<Value> next(x);
          for (int64_t i = 0; i < R; ++i) {
            Value qc = widen(tensor::ExtractOp::create(
                b, t.q, ValueRange{t.bi, blk.heads[i], blk.queries[i], c}));
            for (int64_t k = 0; k < nk; ++k)
              next[i * nk + k] =
                  math::FmaOp::create(b, qc, kc[k], x[i * nk + k]);
          }
          return next;
        });
    // Gathered keys: their V rows are fetched now, while the step's scores
    // are formed, so that the P V pass after them reads from L1 (a step's V
    // rows fit it) rather than waiting on rows no prefetcher predicts.
    if (lister)
      for (Value key : keys)
        prefetchRow(t.v, key, t.vHeadDim);
    SmallVector<Value> maxes(maxesIn);
    for (int64_t i = 0; i < R; ++i)
      for (int64_t k = 0; k < nk; ++k) {
        Value s =
            arith::MulFOp::create(b, tail.getResult(i * nk + k), t.scale);
        ScoreCoords at;
        at.key = keys[k];
        at.query = blk.queries[i];
        at.head = blk.heads[i];
        for (ScoreEpilogue *stage : blk.perScore)
          s = stage->apply(*this, t, s, at);
        if (blk.prefixMasked) {
          // Keys past this row's prefix (within another row's, or the
          // second of a pair).
          Value seen = arith::CmpIOp::create(b, arith::CmpIPredicate::slt,
                                             locals[k], blk.visible[i]);
          s = arith::SelectOp::create(b, seen, s, negInf);
        }
        store(s, pbuf, ValueRange{blk.rows[i], locals[k]});
        maxes[i] =
            arith::MaxNumFOp::create(b, maxes[i], s, arith::FastMathFlags::nnan);
      }
    return maxes;
  };
  SmallVector<Value> maxInit(R, f32Const(std::numeric_limits<float>::lowest()));
  // Keys one at a time (see the file comment); gathered ones 4 at a time:
  // a gathered row is not a stream, and one row's dot product alone is a
  // chain of dependent FMAs.
  SmallVector<int64_t> keyBlocks = {1};
  if (lister)
    keyBlocks = {4, 1};
  SmallVector<Value> bmax = forBlocks(zero, blk.nMax, keyBlocks, maxInit,
                                      [&](Value jl, int64_t nk, ValueRange a) {
                                        return scoreKeys(jl, nk, a);
                                      });
  // The online softmax of each row: P = 2^(S - new max) over the step,
  // `width` keys at a time, keys the row cannot see giving 0; alpha; the
  // sum; acc *= alpha.
  Value lanes = laneIds(0);
  Value dvFull = fullVectors(t.vHeadDim);
  for (int64_t i = 0; i < R; ++i) {
    Value r = blk.rows[i];
    Value m = load(mbuf, r), l = load(lbuf, r);
    Value newM = arith::MaxNumFOp::create(b, m, bmax[i],
                                          arith::FastMathFlags::nnan);
    Value alpha = softmaxExp2Scalar(arith::SubFOp::create(b, m, newM));
    Value newMV = vector::BroadcastOp::create(b, vecType, newM);
    scf::ForOp probs = buildFor(
        b, zero, n, wV, ValueRange{f32Const(0.0f)},
        [&](Value jc, ValueRange a) {
          Value sv = vector::TransferReadOp::create(
              b, vecType, pbuf, ValueRange{r, jc}, f32Const(0.0f),
              ArrayRef<bool>{true});
          Value p = softmaxExp2(arith::SubFOp::create(b, sv, newMV));
          Value left = arith::IndexCastOp::create(
              b, b.getI32Type(), arith::SubIOp::create(b, blk.visible[i], jc));
          Value live = arith::CmpIOp::create(
              b, arith::CmpIPredicate::slt, lanes,
              vector::BroadcastOp::create(b, maskType, left));
          p = arith::SelectOp::create(b, live, p, splat(0.0f));
          storeVec(p, pbuf, ValueRange{r, jc});
          return SmallVector<Value>{arith::AddFOp::create(b, a[0], reduce(p))};
        });
    store(newM, mbuf, r);
    store(arith::AddFOp::create(b, arith::MulFOp::create(b, alpha, l),
                                probs.getResult(0)),
          lbuf, r);
    Value alphaV = vector::BroadcastOp::create(b, vecType, alpha);
    loop(zero, dvFull, wV, [&](Value c) {
      Value x = readRow(acc, ValueRange{r, c}, true);
      storeVec(arith::MulFOp::create(b, x, alphaV), acc, ValueRange{r, c});
    });
    loop(dvFull, t.vHeadDim, one, [&](Value c) {
      store(arith::MulFOp::create(b, load(acc, {r, c}), alpha), acc, {r, c});
    });
  }
}

void DecodeBuilder::valueBlockInRegisters(Value j0, Value n, Value r0,
                                          int64_t R, int64_t maxVecs,
                                          bool partial) {
  RowBlock blk = rowBlock(j0, n, r0, R, partial);
  Value zero = idx(0), one = idx(1);
  int64_t w = cfg.width;
  Value dvFull = fullVectors(t.vHeadDim);
  SmallVector<int64_t> sizes;
  for (int64_t g = maxVecs; g >= 1; g /= 2)
    sizes.push_back(g * w);
  blocks(zero, dvFull, sizes, [&](Value c0, int64_t size) {
    int64_t G = size / w;
    SmallVector<Value> cols, init; // init[i * G + g]
    for (int64_t g = 0; g < G; ++g)
      cols.push_back(arith::AddIOp::create(b, c0, idx(g * w)));
    for (int64_t i = 0; i < R; ++i)
      for (Value c : cols)
        init.push_back(readRow(acc, ValueRange{blk.rows[i], c}, true));
    scf::ForOp keys = buildFor(
        b, zero, blk.nMax, one, init, [&](Value jl, ValueRange a) {
          Value key = keyAt(j0, jl);
          Value ahead = prefetchKey(j0, jl);
          SmallVector<Value> pv;
          for (int64_t i = 0; i < R; ++i)
            pv.push_back(vector::BroadcastOp::create(
                b, vecType, load(pbuf, {blk.rows[i], jl})));
          SmallVector<Value> next(a);
          for (auto [g, c] : llvm::enumerate(cols)) {
            Value v = readRow(t.v, ValueRange{t.bi, t.kvHead, key, c}, true);
            if (!lister) // (gathered rows: fetched with the scores)
              prefetch(t.v, ValueRange{t.bi, t.kvHead, ahead, c});
            for (int64_t i = 0; i < R; ++i)
              next[i * G + g] = vector::FMAOp::create(b, pv[i], v, a[i * G + g]);
          }
          return next;
        });
    for (int64_t i = 0; i < R; ++i)
      for (auto [g, c] : llvm::enumerate(cols))
        storeVec(keys.getResult(i * G + g), acc, ValueRange{blk.rows[i], c});
  });
  // The scalar remainder of v_head_dim, keys outermost.
  loop(zero, blk.nMax, one, [&](Value jl) {
    Value key = keyAt(j0, jl);
    loop(dvFull, t.vHeadDim, one, [&](Value c) {
      Value v = widen(tensor::ExtractOp::create(
          b, t.v, ValueRange{t.bi, t.kvHead, key, c}));
      for (int64_t i = 0; i < R; ++i) {
        Value p = load(pbuf, {blk.rows[i], jl});
        store(math::FmaOp::create(b, p, v, load(acc, {blk.rows[i], c})), acc,
              {blk.rows[i], c});
      }
    });
  });
}

void DecodeBuilder::valueBlock(Value j0, Value n, Value r0, int64_t R,
                               bool partial) {
  RowBlock blk = rowBlock(j0, n, r0, R, partial);
  Value zero = idx(0), one = idx(1), wV = idx(cfg.width);
  Value dvFull = fullVectors(t.vHeadDim);
  // Keys outermost, one at a time (see the file comment), each vector of a
  // V row loaded once for the block's rows; keys no row of the block sees
  // are skipped.
  blocks(zero, blk.nMax, {1}, [&](Value jl, int64_t nk) {
    SmallVector<Value> keys, locals;
    for (int64_t k = 0; k < nk; ++k) {
      locals.push_back(k ? arith::AddIOp::create(b, jl, idx(k)).getResult()
                         : jl);
      keys.push_back(keyAt(j0, locals.back()));
    }
    SmallVector<Value> p, pv; // p[i * nk + k]
    for (int64_t i = 0; i < R; ++i)
      for (int64_t k = 0; k < nk; ++k) {
        p.push_back(load(pbuf, {blk.rows[i], locals[k]}));
        pv.push_back(vector::BroadcastOp::create(b, vecType, p.back()));
      }
    Value ahead = prefetchKey(j0, locals.back());
    loop(zero, dvFull, wV, [&](Value c) {
      SmallVector<Value> v;
      for (Value key : keys)
        v.push_back(readRow(t.v, ValueRange{t.bi, t.kvHead, key, c}, true));
      if (!lister)
        prefetch(t.v, ValueRange{t.bi, t.kvHead, ahead, c});
      for (int64_t i = 0; i < R; ++i) {
        Value x = readRow(acc, ValueRange{blk.rows[i], c}, true);
        for (int64_t k = 0; k < nk; ++k)
          x = vector::FMAOp::create(b, pv[i * nk + k], v[k], x);
        storeVec(x, acc, ValueRange{blk.rows[i], c});
      }
    });
    loop(dvFull, t.vHeadDim, one, [&](Value c) {
      SmallVector<Value> v;
      for (Value key : keys)
        v.push_back(widen(tensor::ExtractOp::create(
            b, t.v, ValueRange{t.bi, t.kvHead, key, c})));
      for (int64_t i = 0; i < R; ++i) {
        Value x = load(acc, {blk.rows[i], c});
        for (int64_t k = 0; k < nk; ++k)
          x = math::FmaOp::create(b, p[i * nk + k], v[k], x);
        store(x, acc, {blk.rows[i], c});
      }
    });
  });
}

SmallVector<Value> DecodeBuilder::build(OpFoldResult group, bool normalize) {
  Value zero = idx(0), one = idx(1);
  auto alloc = [&](ArrayRef<Value> dynamic, ArrayRef<int64_t> shape) {
    return memref::AllocOp::create(b, MemRefType::get(shape, f32), dynamic,
                                   b.getI64IntegerAttr(64))
        .getResult();
  };
  int64_t dyn = ShapedType::kDynamic;
  acc = alloc({t.rows, t.vHeadDim}, {dyn, dyn});
  mbuf = alloc({t.rows}, {dyn});
  lbuf = alloc({t.rows}, {dyn});
  pbuf = alloc({t.rows}, {dyn, t.kvBlock});
  linalg::FillOp::create(b, ValueRange{f32Const(0.0f)}, ValueRange{acc});
  linalg::FillOp::create(
      b, ValueRange{f32Const(std::numeric_limits<float>::lowest())},
      ValueRange{mbuf});
  linalg::FillOp::create(b, ValueRange{f32Const(0.0f)}, ValueRange{lbuf});

  Value kvBlockV = idx(t.kvBlock);
  // Rows in blocks of up to 4 (a GQA group's rows share each K and V row).
  SmallVector<int64_t> rowBlocks = {4, 2, 1};
  // One step for the rows [rowLo, rowHi).
  auto stepBody = [&](Value j0, Value n, Value rowLo, Value rowHi,
                      bool partial) {
      blocks(rowLo, rowHi, rowBlocks, [&](Value r0, int64_t R) {
        scoreBlock(j0, n, r0, R, partial);
      });
      // acc += P V with acc in registers when a V row fits in 8 of them
      // (head_dim 128 with AVX-512; 2 rows at a time with 32 registers, 1
      // with 16), else in memory.
      int64_t maxVecs = 8, regRows = cfg.registers >= 32 ? 2 : 1;
      SmallVector<int64_t> regBlocks = {regRows};
      if (regRows > 1)
        regBlocks.push_back(1);
      Value fits = arith::CmpIOp::create(
          b, arith::CmpIPredicate::ule, t.vHeadDim, idx(maxVecs * cfg.width));
      scf::IfOp::create(
          b, fits,
          [&](OpBuilder &nb, Location) {
            OpBuilder::InsertionGuard guard(b);
            b.restoreInsertionPoint(nb.saveInsertionPoint());
            blocks(rowLo, rowHi, regBlocks, [&](Value r0, int64_t R) {
              valueBlockInRegisters(j0, n, r0, R, maxVecs, partial);
            });
            scf::YieldOp::create(b);
          },
          [&](OpBuilder &nb, Location) {
            OpBuilder::InsertionGuard guard(b);
            b.restoreInsertionPoint(nb.saveInsertionPoint());
            blocks(rowLo, rowHi, rowBlocks, [&](Value r0, int64_t R) {
              valueBlock(j0, n, r0, R, partial);
            });
            scf::YieldOp::create(b);
          });
  };
  if (lister) {
    // The gather body: row by row, the row's listed keys in [kvStart,
    // kvEnd), kv-block of them per step, with no mask code (the list is
    // the mask). Each step counts as a full block of its keys.
    lastKey = arith::SubIOp::create(
        b, tensor::DimOp::create(b, t.k, 2).getResult(), one);
    listEnd = lister
                  ->listedKeys(b,
                               arith::SubIOp::create(
                                   b, arith::AddIOp::create(b, t.q0, t.rows),
                                   one),
                               t.kvStart, t.kvEnd)
                  .second;
    loop(zero, t.rows, one, [&](Value r) {
      Value query = arith::AddIOp::create(b, t.q0, r);
      auto [p0, p1] = lister->listedKeys(b, query, t.kvStart, t.kvEnd);
      Value rowHi = arith::AddIOp::create(b, r, one);
      loop(p0, p1, kvBlockV, [&](Value j0) {
        Value n = arith::MinSIOp::create(b, kvBlockV,
                                         arith::SubIOp::create(b, p1, j0));
        // (Full: no mask code; partial when other masks apply per score.)
        t.keys->count(b, t.keys->masksOtherThan(lister) ? 2 : 3, n, one);
        stepBody(j0, n, r, rowHi, /*partial=*/false);
      });
    });
  } else {
    // One loop over the visited steps, each run with the masks or without
    // them as its class says (BlockIteration.h).
    loop(t.kvStart, t.kvEnd, kvBlockV, [&](Value j0) {
      Value n = arith::MinSIOp::create(b, kvBlockV,
                                       arith::SubIOp::create(b, t.kvEnd, j0));
      Value j1 = arith::AddIOp::create(b, j0, n);
      buildClassifiedStep(b, *t.keys, j0, j1, ValueRange(), [&](bool partial) {
        stepBody(j0, n, zero, t.rows, partial);
        return SmallVector<Value>();
      });
    });
  }

  // Rows r = g * qRows + i back to [1, group, (1,) qRows(, v_head_dim)],
  // read from the state (no write to it follows).
  auto asTensor = [&](Value m) -> Value {
    auto mt = cast<MemRefType>(m.getType());
    return bufferization::ToTensorOp::create(
        b, RankedTensorType::get(mt.getShape(), f32), m, /*restrict=*/true);
  };
  Value accT = asTensor(acc), mT = asTensor(mbuf), lT = asTensor(lbuf);
  Value qRows = t.qRows ? t.qRows : t.rows;
  OpFoldResult qRowsOfr = getAsOpFoldResult(qRows);
  OpFoldResult dv = getAsOpFoldResult(t.vHeadDim);
  auto rowOf = [&](OpBuilder &nb, Location nl, Value g, Value i) -> Value {
    return arith::AddIOp::create(nb, nl,
                                 arith::MulIOp::create(nb, nl, g, qRows), i);
  };
  OpFoldResult oneAttr = b.getIndexAttr(1);
  (void)one;
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
    return {buildGenerated(b, b.getLoc(),
                           {oneAttr, group, oneAttr, qRowsOfr, dv}, f32,
                           read(accT, true)),
            buildGenerated(b, b.getLoc(), {oneAttr, group, oneAttr, qRowsOfr},
                           f32, read(mT, false)),
            buildGenerated(b, b.getLoc(), {oneAttr, group, oneAttr, qRowsOfr},
                           f32, read(lT, false))};
  }
  Value zeroF = f32Const(0.0f);
  SmallVector<Value> out = {buildGenerated(
      b, b.getLoc(), {oneAttr, group, qRowsOfr, dv}, t.outElem,
      [&](OpBuilder &nb, Location nl, ValueRange ix) -> Value {
        Value r = rowOf(nb, nl, ix[1], ix[2]);
        Value a = tensor::ExtractOp::create(nb, nl, accT, ValueRange{r, ix[3]});
        Value l = tensor::ExtractOp::create(nb, nl, lT, ValueRange{r});
        Value isZero =
            arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, l, zeroF);
        Value quot = arith::DivFOp::create(nb, nl, a, l);
        Value o = arith::SelectOp::create(nb, nl, isZero, zeroF, quot);
        if (t.outElem != o.getType())
          o = buildTruncToBF16(nb, nl, o);
        return o;
      })};
  if (t.lse)
    out.push_back(buildGenerated(
        b, b.getLoc(), {oneAttr, group, qRowsOfr}, f32,
        [&](OpBuilder &nb, Location nl, ValueRange ix) -> Value {
          Value r = rowOf(nb, nl, ix[1], ix[2]);
          Value m = tensor::ExtractOp::create(nb, nl, mT, ValueRange{r});
          Value l = tensor::ExtractOp::create(nb, nl, lT, ValueRange{r});
          return buildLogSumExp(nb, nl, m, l, M_LN2);
        }));
  return out;
}

SmallVector<Value> tile::buildDecodeBody(ImplicitLocOpBuilder &b,
                                         const Task &t, VectorTiling cfg,
                                         OpFoldResult group, bool normalize) {
  return DecodeBuilder(b, t, cfg).build(group, normalize);
}

SmallVector<Value> tile::buildGatherBody(ImplicitLocOpBuilder &b,
                                         const Task &t, VectorTiling cfg,
                                         ScoreEpilogue &keys, bool normalize) {
  assert(keys.listsKeys() && !t.qRows && "one head, a key list");
  return DecodeBuilder(b, t, cfg, &keys).build(b.getIndexAttr(1), normalize);
}
