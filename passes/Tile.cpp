//===- Tile.cpp - attn-tile -------------------------------------------------===//
//
// attn.sdpa -> scf.forall over (batch, q_heads, query blocks) of scf.for over
// key blocks of attn.online_sdpa. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "dialect/Attn/AttnOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNTILE
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

/// scf.for from lb to ub by step with iter_args `init`; `body(iv, args)`
/// returns the values to yield.
template <typename Fn>
static scf::ForOp buildFor(ImplicitLocOpBuilder &b, Value lb, Value ub,
                           Value step, ValueRange init, Fn body) {
  return scf::ForOp::create(
      b, lb, ub, step, init,
      [&](OpBuilder &nb, Location, Value iv, ValueRange args) {
        OpBuilder::InsertionGuard guard(b);
        b.restoreInsertionPoint(nb.saveInsertionPoint());
        SmallVector<Value> yielded = body(iv, args);
        scf::YieldOp::create(b, yielded);
      });
}

/// A tensor of `sizes` x `et` whose element at indices `idx` is
/// `fn(idx)`: an outs-only linalg.generic.
static Value
buildGenerated(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
               Type et,
               function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
  Value empty = tensor::EmptyOp::create(b, loc, sizes, et);
  int64_t rank = sizes.size();
  AffineMap id = b.getMultiDimIdentityMap(rank);
  return linalg::GenericOp::create(
             b, loc, empty.getType(), ValueRange{}, ValueRange{empty},
             ArrayRef<AffineMap>{id},
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange) {
               SmallVector<Value> idx;
               for (int64_t d = 0; d < rank; ++d)
                 idx.push_back(linalg::IndexOp::create(nb, nl, d));
               linalg::YieldOp::create(nb, nl, fn(nb, nl, idx));
             })
      .getResult(0);
}

namespace {

/// The register blocking of the vector kernel, from the target model
/// (vector width and number of vector registers).
struct VectorTiling {
  int64_t width;    // f32 lanes per vector register
  int64_t rowVecs;  // query rows of a task / width
  int64_t keyRows;  // keys per Q Kᵀ register block
  int64_t valueCols; // value columns per P V register block
  /// bf16 inputs: avx512_bf16 dot products (vdpbf16ps) on pairs along the
  /// reduction dims, with P rounded to bf16. Otherwise bf16 widens to f32.
  bool bf16Dot = false;
  int64_t registers = 32; // vector registers of the target
  int64_t qBlock() const { return width * rowVecs; }
  /// A task's query rows are rowVecs vectors. With R registers, a register
  /// block of r keys (or value columns) holds r * rowVecs accumulators,
  /// rowVecs loaded vectors and one broadcast: r = (R - rowVecs - 1) /
  /// rowVecs, at most 8 (longer blocks only add code), as BLIS sizes its
  /// micro-tiles.
  VectorTiling withRowVecs(int64_t n) const {
    VectorTiling t = *this;
    t.rowVecs = n;
    t.keyRows = t.valueCols =
        std::clamp<int64_t>((registers - n - 1) / n, 1, 8);
    return t;
  }
};

struct AttnTilePass final : public attn::impl::AttnTileBase<AttnTilePass> {
  using Base::Base;

  void runOnOperation() override {
    if (qBlock < 0 || kvBlock < 0 || vectorWidth < 0 || vectorRegisters < 0) {
      getOperation()->emitError("attn-tile: q-block, kv-block, vector-width "
                                "and vector-registers must not be negative");
      return signalPassFailure();
    }
    SmallVector<SdpaOp> ops;
    getOperation()->walk([&](SdpaOp op) { ops.push_back(op); });
    for (SdpaOp op : ops) {
      tile(op);
      ++numTiled;
    }
  }

  void tile(SdpaOp op);

  /// The register blocking for an op, or none for the scalar body (no
  /// vector width, or a q-block that is not a multiple of it).
  std::optional<VectorTiling> vectorTiling(SdpaOp op) const;
};

/// Everything the body of one (batch, head, query block) task needs.
struct Task {
  Value q, k, v;
  Value bi, hi, kvHead, q0, rows, kvStart, kvEnd, diagonal;
  bool causal;
  Value headDim, vHeadDim; // index
  Value scale;             // f32
  int64_t kvBlock;
  Type outElem; // f32 or bf16
  Value mask;   // optional: i1 keep-mask or f32 bias, rank 2 or 4
};

/// Emits the register-blocked vector body of one task. See `attn-tile`'s
/// description for the layout; this is the project's own code (no upstream
/// pass register-blocks a fused online softmax).
class VectorTaskBuilder {
public:
  VectorTaskBuilder(ImplicitLocOpBuilder &b, const Task &t, VectorTiling cfg)
      : b(b), t(t), cfg(cfg), f32(b.getF32Type()),
        vecType(VectorType::get({cfg.width}, f32)),
        maskType(VectorType::get({cfg.width}, b.getI32Type())) {}

  /// Returns the task's output block `[1, 1, rows, v_head_dim]`; or, with
  /// `normalize` false (one part of a split key range), the unnormalized
  /// acc `[1, 1, rows, v_head_dim]`, max and sum `[1, 1, rows]`.
  SmallVector<Value> build(bool normalize);

  /// The same results for a task of few query rows (decode) whose query,
  /// key and value rows are contiguous: each row on its own, vectorized
  /// over head_dim (dot products of rows, reduced horizontally; P V as
  /// broadcast weights times rows of V), so that no lane is wasted on
  /// padding rows. Needs kv-block % width == 0.
  SmallVector<Value> buildDecode(bool normalize);

private:
  /// A contiguous vector of `width` elements of `t`'s last dim at
  /// `indices`, widened to f32; lanes past the dim's end read 0.
  Value readRow(Value tensor, ValueRange indices, bool inBounds) {
    Type et = cast<RankedTensorType>(tensor.getType()).getElementType();
    Value pad = arith::ConstantOp::create(b, et, b.getZeroAttr(et));
    Value v = vector::TransferReadOp::create(
        b, VectorType::get({cfg.width}, et), tensor, indices, pad,
        ArrayRef<bool>{inBounds});
    if (!et.isF32())
      v = arith::ExtFOp::create(b, vecType, v);
    return v;
  }
  Value idx(int64_t c) { return arith::ConstantIndexOp::create(b, c); }
  Value splat(float x) {
    return arith::ConstantOp::create(
        b, DenseElementsAttr::get(vecType, b.getF32FloatAttr(x)));
  }
  Value readVec(Value tensor, Value row, int64_t vec) {
    return vector::TransferReadOp::create(
        b, vecType, tensor, ValueRange{row, idx(vec * cfg.width)},
        /*padding=*/std::nullopt, ArrayRef<bool>{true});
  }
  Value writeVec(Value value, Value tensor, Value row, int64_t vec) {
    return vector::TransferWriteOp::create(
               b, value, tensor, ValueRange{row, idx(vec * cfg.width)},
               ArrayRef<bool>{true})
        .getResult();
  }
  /// x without NaN handling in the max: vmaxps. NaN inputs still reach the
  /// output through exp and the sums.
  Value maxNoNaN(Value x, Value y) {
    return arith::MaxNumFOp::create(b, x, y, arith::FastMathFlags::nnan);
  }
  /// 2^x for the online softmax: x = s - max <= 0 in base-2 units (the
  /// scale carries log2(e)), or -inf for a masked score. Written here, not
  /// taken from upstream's math approximations (exp only, with overflow
  /// handling that cannot occur here), because it is the softmax's inner
  /// loop: about 15 vector ops instead of 25. x = n + f with n = round(x)
  /// (the 1.5 * 2^23 trick, which also gives n's bits), |f| <= 1/2; 2^f by
  /// Cephes' exp2f polynomial (degree 6, about 2e-7 relative error); 2^n
  /// added to the exponent bits. x < -126 (2^x below the normal range,
  /// under 1.2e-38 against a row sum >= 1) and -inf give 0. NaN inputs
  /// give unspecified outputs.
  Value softmaxExp2(Value x) {
    Value floor = splat(-126.0f);
    Value tiny = arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, x, floor);
    Value xc = arith::SelectOp::create(b, tiny, floor, x);
    Value magic = splat(12582912.0f); // 1.5 * 2^23
    Value shifted = arith::AddFOp::create(b, xc, magic);
    Value n = arith::SubFOp::create(b, shifted, magic);
    Value f = arith::SubFOp::create(b, xc, n);
    static constexpr float c[] = {1.535336188319500e-4f, 1.339887440266574e-3f,
                                  9.618437357674640e-3f, 5.550332471162809e-2f,
                                  2.402264791363012e-1f, 6.931472028550421e-1f,
                                  1.0f};
    Value p = splat(c[0]);
    for (int k = 1; k < 7; ++k)
      p = vector::FMAOp::create(b, p, f, splat(c[k]));
    VectorType i32Vec = VectorType::get({cfg.width}, b.getI32Type());
    Value ni = arith::SubIOp::create(
        b, arith::BitcastOp::create(b, i32Vec, shifted),
        arith::BitcastOp::create(b, i32Vec, magic));
    Value exponent = arith::ShLIOp::create(
        b, ni,
        arith::ConstantOp::create(
            b, DenseElementsAttr::get(i32Vec, b.getI32IntegerAttr(23))));
    Value bits =
        arith::AddIOp::create(b, arith::BitcastOp::create(b, i32Vec, p),
                              exponent);
    Value r = arith::BitcastOp::create(b, vecType, bits);
    return arith::SelectOp::create(b, tiny, splat(0.0f), r);
  }
  Value packQuery();
  /// bf16 Q as pairs along head_dim: [ceil(head_dim / 2), 2 * q_block],
  /// element (c2, 2 i + e) = Q[i, 2 c2 + e], zero past rows or head_dim.
  Value packQueryPairs();
  /// The bf16 pair (lo, hi) in every 32-bit lane: vector<2W x bf16>.
  Value pairBroadcast(Value lo, Value hi);
  /// The mask's term for query `row` and key `key` (global indices), in
  /// the body's base-2 units: bias * log2(e), or 0 / -inf for a keep-mask.
  Value maskTerm(OpBuilder &nb, Location nl, Value row, Value key) {
    auto mt = cast<RankedTensorType>(t.mask.getType());
    SmallVector<Value> at;
    if (mt.getRank() == 4) {
      Value zero = arith::ConstantIndexOp::create(nb, nl, 0);
      at.push_back(mt.getDimSize(0) == 1 ? zero : t.bi);
      at.push_back(mt.getDimSize(1) == 1 ? zero : t.hi);
    }
    at.append({row, key});
    Value m = tensor::ExtractOp::create(nb, nl, t.mask, at);
    if (mt.getElementType().isInteger(1))
      return arith::SelectOp::create(
          nb, nl, m, arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(0)),
          arith::ConstantOp::create(
              nb, nl,
              nb.getF32FloatAttr(-std::numeric_limits<float>::infinity())));
    return arith::MulFOp::create(
        nb, nl, m,
        arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(M_LOG2E)));
  }
  /// The bf16 pair (tensor[lo], tensor[hi]) broadcast to every lane; with
  /// `hi` empty, (tensor[lo], 0).
  Value pairAt(Value tensor, ValueRange lo, ValueRange hi) {
    Value a = tensor::ExtractOp::create(b, tensor, lo);
    Value c = hi.empty() ? bf16Zero()
                         : tensor::ExtractOp::create(b, tensor, hi).getResult();
    return pairBroadcast(a, c);
  }
  /// The `rowVecs` pair vectors of row `row` of a pair-packed tensor.
  SmallVector<Value> readPairRow(Value tensor, Value row) {
    SmallVector<Value> vecs;
    for (int64_t v = 0; v < cfg.rowVecs; ++v)
      vecs.push_back(vector::TransferReadOp::create(
          b, pairType(), tensor, ValueRange{row, idx(v * 2 * cfg.width)},
          /*padding=*/std::nullopt, ArrayRef<bool>{true}));
    return vecs;
  }
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
  /// acc[r * rowVecs + v] += scalars[r] * vecs[v] (scalars widened and
  /// broadcast): one FMA each.
  SmallVector<Value> fmaBroadcasts(ValueRange acc, ArrayRef<Value> vecs,
                                   ArrayRef<Value> scalars) {
    SmallVector<Value> next(acc);
    int64_t nv = cfg.rowVecs;
    for (auto [r, x] : llvm::enumerate(scalars)) {
      Value xb = vector::BroadcastOp::create(b, vecType,
                                             buildWidenToF32(b, b.getLoc(), x));
      for (int64_t v = 0; v < nv; ++v)
        next[r * nv + v] =
            vector::FMAOp::create(b, xb, vecs[v], acc[r * nv + v]);
    }
    return next;
  }
  /// acc[r * rowVecs + v] += dot(vecs[v], pairs[r]): one vdpbf16ps each.
  SmallVector<Value> dotPairs(ValueRange acc, ArrayRef<Value> vecs,
                              ArrayRef<Value> pairs) {
    SmallVector<Value> next(acc);
    int64_t nv = cfg.rowVecs;
    for (auto [r, pair] : llvm::enumerate(pairs))
      for (int64_t v = 0; v < nv; ++v)
        next[r * nv + v] = x86vector::DotBF16Op::create(
            b, vecType, acc[r * nv + v], vecs[v], pair);
    return next;
  }
  Value bf16Zero() {
    return arith::ConstantOp::create(b, b.getBF16Type(),
                                     b.getFloatAttr(b.getBF16Type(), 0.0));
  }
  VectorType pairType() {
    return VectorType::get({2 * cfg.width}, b.getBF16Type());
  }
  /// Scores of `numKeys` keys from local key `jLocal` of the step at `j0`
  /// into rows of `st`; folds them into the block max `bmax`.
  SmallVector<Value> scoreKeys(Value j0, Value shift, Value jLocal,
                               int64_t numKeys, Value qt, Value st,
                               ValueRange bmax, Value maskT);
  /// acc rows [c0, c0 + numCols) of `ot` = alpha * acc + Pᵀ V.
  Value accumulateValues(Value j0, Value n, Value c0, int64_t numCols,
                         Value st, Value ot, ValueRange alpha);

  ImplicitLocOpBuilder &b;
  const Task &t;
  VectorTiling cfg;
  Type f32;
  VectorType vecType, maskType;
};

} // namespace


Value VectorTaskBuilder::packQuery() {
  // Qᵀ [head_dim, q_block], scaled, rows past `rows` zero (their scores are
  // then 0, finite, and never stored).
  int64_t m = cfg.qBlock();
  Value last = arith::SubIOp::create(b, t.rows, idx(1));
  Value zero = arith::ConstantOp::create(b, b.getF32FloatAttr(0.0f));
  return buildGenerated(
      b, b.getLoc(),
      {getAsOpFoldResult(t.headDim), b.getIndexAttr(m)}, f32,
      [&](OpBuilder &nb, Location nl, ValueRange ix) -> Value {
        Value c = ix[0], i = ix[1];
        Value live =
            arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ult, i, t.rows);
        Value row = arith::AddIOp::create(
            nb, nl, t.q0, arith::MinUIOp::create(nb, nl, i, last));
        Value x = buildWidenToF32(nb, nl,
                        tensor::ExtractOp::create(
                            nb, nl, t.q, ValueRange{t.bi, t.hi, row, c}));
        Value y = arith::MulFOp::create(nb, nl, x, t.scale);
        return arith::SelectOp::create(nb, nl, live, y, zero);
      });
}



SmallVector<Value> VectorTaskBuilder::buildDecode(bool normalize) {
  int64_t w = cfg.width, kvBlock = t.kvBlock;
  Value wV = idx(w), zero = idx(0), one = idx(1);
  Value lowest = arith::ConstantOp::create(
      b, b.getF32FloatAttr(std::numeric_limits<float>::lowest()));
  Value zeroF = arith::ConstantOp::create(b, b.getF32FloatAttr(0.0f));
  auto reduce = [&](Value v) -> Value {
    return vector::ReductionOp::create(b, vector::CombiningKind::ADD, v);
  };
  auto exp2Scalar = [&](Value x) -> Value {
    Value v = softmaxExp2(vector::BroadcastOp::create(b, vecType, x));
    return vector::ExtractOp::create(b, v, ArrayRef<int64_t>{0});
  };
  Value dFull = arith::SubIOp::create(
      b, t.headDim, arith::RemUIOp::create(b, t.headDim, wV));
  Value dvFull = arith::SubIOp::create(
      b, t.vHeadDim, arith::RemUIOp::create(b, t.vHeadDim, wV));
  Value dvFull4 = arith::SubIOp::create(
      b, t.vHeadDim, arith::RemUIOp::create(b, t.vHeadDim, idx(4 * w)));
  OpFoldResult dv = getAsOpFoldResult(t.vHeadDim);
  Type outElem = normalize ? t.outElem : f32;
  SmallVector<OpFoldResult> outSizes = {b.getIndexAttr(1), b.getIndexAttr(1),
                                        t.rows, dv};
  SmallVector<OpFoldResult> rowSizes = {b.getIndexAttr(1), b.getIndexAttr(1),
                                        t.rows};
  SmallVector<Value> init = {tensor::EmptyOp::create(b, outSizes, outElem)};
  if (!normalize) {
    init.push_back(tensor::EmptyOp::create(b, rowSizes, f32));
    init.push_back(tensor::EmptyOp::create(b, rowSizes, f32));
  }
  Value sbuf0 = tensor::EmptyOp::create(b, ArrayRef<int64_t>{kvBlock}, f32);
  Value obufInit = buildFilledTensor(b, b.getLoc(), ArrayRef<OpFoldResult>{dv},
                                     0.0f);
  Value kvBlockV = idx(kvBlock);

  scf::ForOp rowLoop = buildFor(b, zero, t.rows, one, init, [&](Value i,
                                                                ValueRange outs) {
    Value qRow = arith::AddIOp::create(b, t.q0, i);
    auto qAt = [&](Value c) {
      return readRow(t.q, ValueRange{t.bi, t.hi, qRow, c}, true);
    };
    scf::ForOp steps = buildFor(
        b, t.kvStart, t.kvEnd, kvBlockV,
        ValueRange{obufInit, sbuf0, lowest, zeroF},
        [&](Value j0, ValueRange st) {
          Value obuf = st[0], sbuf = st[1], m = st[2], l = st[3];
          Value n = arith::MinSIOp::create(
              b, kvBlockV, arith::SubIOp::create(b, t.kvEnd, j0));
          if (t.causal) {
            // Keys j <= i + shift of the block are visible: a prefix.
            Value shift = arith::SubIOp::create(
                b, arith::AddIOp::create(b, t.diagonal, t.q0), j0);
            Value vis = arith::AddIOp::create(
                b, arith::AddIOp::create(b, i, shift), one);
            n = arith::MaxSIOp::create(b, zero,
                                       arith::MinSIOp::create(b, n, vis));
          }
          // Scores of 4 keys at a time: dot products along head_dim.
          auto scoreGroup = [&](int64_t keys) {
            return [&, keys](Value jl, ValueRange a) {
              SmallVector<Value> accInit(keys, splat(0.0f));
              SmallVector<Value> rows;
              for (int64_t r = 0; r < keys; ++r)
                rows.push_back(arith::AddIOp::create(
                    b, j0, arith::AddIOp::create(b, jl, idx(r))));
              auto chunk = [&](bool inBounds) {
                return [&, inBounds](Value c, ValueRange acc) {
                  Value qv = inBounds ? qAt(c)
                                      : readRow(t.q,
                                                ValueRange{t.bi, t.hi, qRow, c},
                                                false);
                  SmallVector<Value> next;
                  for (int64_t r = 0; r < keys; ++r)
                    next.push_back(vector::FMAOp::create(
                        b, qv,
                        readRow(t.k, ValueRange{t.bi, t.kvHead, rows[r], c},
                                inBounds),
                        acc[r]));
                  return next;
                };
              };
              scf::ForOp full =
                  buildFor(b, zero, dFull, wV, accInit, chunk(true));
              scf::ForOp tail = buildFor(b, dFull, t.headDim, wV,
                                         full.getResults(), chunk(false));
              Value sb = a[0], bmax = a[1];
              for (int64_t r = 0; r < keys; ++r) {
                Value sc = arith::MulFOp::create(
                    b, reduce(tail.getResult(r)), t.scale);
                if (t.mask)
                  sc = arith::AddFOp::create(
                      b, sc, maskTerm(b, b.getLoc(), qRow, rows[r]));
                sb = tensor::InsertOp::create(
                    b, sc, sb,
                    ValueRange{arith::AddIOp::create(b, jl, idx(r))});
                bmax = arith::MaxNumFOp::create(b, bmax, sc,
                                                arith::FastMathFlags::nnan);
              }
              return SmallVector<Value>{sb, bmax};
            };
          };
          Value n4 = arith::SubIOp::create(
              b, n, arith::RemUIOp::create(b, n, idx(4)));
          scf::ForOp groups = buildFor(b, zero, n4, idx(4),
                                       ValueRange{sbuf, lowest}, scoreGroup(4));
          scf::ForOp singles = buildFor(b, n4, n, one, groups.getResults(),
                                        scoreGroup(1));
          sbuf = singles.getResult(0);
          Value newM = arith::MaxNumFOp::create(b, m, singles.getResult(1),
                                                arith::FastMathFlags::nnan);
          Value alpha = exp2Scalar(arith::SubFOp::create(b, m, newM));
          // P = 2^(S - new max) over the visible keys, `width` at a time;
          // lanes past n give 0.
          Value newMV = vector::BroadcastOp::create(b, vecType, newM);
          SmallVector<int32_t> lanes;
          for (int64_t x = 0; x < w; ++x)
            lanes.push_back((int32_t)x);
          Value laneIds = arith::ConstantOp::create(
              b, DenseElementsAttr::get(maskType, ArrayRef<int32_t>(lanes)));
          scf::ForOp probs = buildFor(
              b, zero, n, wV, ValueRange{sbuf, zeroF},
              [&](Value jc, ValueRange a) {
                Value sv = vector::TransferReadOp::create(
                    b, vecType, a[0], ValueRange{jc}, zeroF,
                    ArrayRef<bool>{true});
                Value p = softmaxExp2(arith::SubFOp::create(b, sv, newMV));
                Value left = arith::IndexCastOp::create(
                    b, b.getI32Type(), arith::SubIOp::create(b, n, jc));
                Value live = arith::CmpIOp::create(
                    b, arith::CmpIPredicate::slt, laneIds,
                    vector::BroadcastOp::create(b, maskType, left));
                p = arith::SelectOp::create(b, live, p, splat(0.0f));
                Value sb = vector::TransferWriteOp::create(
                               b, p, a[0], ValueRange{jc},
                               ArrayRef<bool>{true})
                               .getResult();
                return SmallVector<Value>{
                    sb, arith::AddFOp::create(b, a[1], reduce(p))};
              });
          sbuf = probs.getResult(0);
          Value newL = arith::AddFOp::create(
              b, arith::MulFOp::create(b, alpha, l), probs.getResult(1));
          // acc = alpha acc + sum_j p_j V[j]: 4 vectors of head_dim at a
          // time, then one, then a partial one.
          Value alphaV = vector::BroadcastOp::create(b, vecType, alpha);
          auto pvGroup = [&](int64_t vecs, bool inBounds) {
            return [&, vecs, inBounds](Value c0, ValueRange a) {
              SmallVector<Value> cols, accInit;
              Value ob = a[0];
              for (int64_t r = 0; r < vecs; ++r) {
                cols.push_back(arith::AddIOp::create(b, c0, idx(r * w)));
                accInit.push_back(arith::MulFOp::create(
                    b, readRow(ob, ValueRange{cols[r]}, inBounds), alphaV));
              }
              scf::ForOp keys = buildFor(
                  b, zero, n, one, accInit, [&](Value j, ValueRange acc) {
                    Value key = arith::AddIOp::create(b, j0, j);
                    Value pj = vector::BroadcastOp::create(
                        b, vecType,
                        tensor::ExtractOp::create(b, sbuf, ValueRange{j}));
                    SmallVector<Value> next;
                    for (int64_t r = 0; r < vecs; ++r)
                      next.push_back(vector::FMAOp::create(
                          b, pj,
                          readRow(t.v,
                                  ValueRange{t.bi, t.kvHead, key, cols[r]},
                                  inBounds),
                          acc[r]));
                    return next;
                  });
              for (int64_t r = 0; r < vecs; ++r)
                ob = vector::TransferWriteOp::create(
                         b, keys.getResult(r), ob, ValueRange{cols[r]},
                         ArrayRef<bool>{inBounds})
                         .getResult();
              return SmallVector<Value>{ob};
            };
          };
          scf::ForOp g4 = buildFor(b, zero, dvFull4, idx(4 * w),
                                   ValueRange{obuf}, pvGroup(4, true));
          scf::ForOp g1 = buildFor(b, dvFull4, dvFull, wV, g4.getResults(),
                                   pvGroup(1, true));
          scf::ForOp gt = buildFor(b, dvFull, t.vHeadDim, wV, g1.getResults(),
                                   pvGroup(1, false));
          return SmallVector<Value>{gt.getResult(0), sbuf, newM, newL};
        });
    Value obuf = steps.getResult(0), m = steps.getResult(2),
          l = steps.getResult(3);
    SmallVector<OpFoldResult> rowOffsets = {b.getIndexAttr(0),
                                            b.getIndexAttr(0), i,
                                            b.getIndexAttr(0)};
    SmallVector<OpFoldResult> rowOne = {b.getIndexAttr(1), b.getIndexAttr(1),
                                        b.getIndexAttr(1), dv};
    SmallVector<OpFoldResult> unit(4, b.getIndexAttr(1));
    SmallVector<Value> next;
    if (normalize) {
      // out = acc / sum, 0 where the sum is 0.
      Value isZero =
          arith::CmpFOp::create(b, arith::CmpFPredicate::OEQ, l, zeroF);
      Value inv = arith::SelectOp::create(
          b, isZero, zeroF,
          arith::DivFOp::create(
              b, arith::ConstantOp::create(b, b.getF32FloatAttr(1.0f)), l));
      Value row = tensor::EmptyOp::create(b, ArrayRef<OpFoldResult>{dv},
                                          outElem);
      AffineMap id = b.getMultiDimIdentityMap(1);
      row = linalg::GenericOp::create(
                b, row.getType(), ValueRange{obuf}, ValueRange{row},
                ArrayRef<AffineMap>{id, id},
                ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
                [&](OpBuilder &nb, Location nl, ValueRange a) {
                  Value r = arith::MulFOp::create(nb, nl, a[0], inv);
                  if (r.getType() != outElem)
                    r = buildTruncToBF16(nb, nl, r);
                  linalg::YieldOp::create(nb, nl, r);
                })
                .getResult(0);
      next.push_back(tensor::InsertSliceOp::create(b, row, outs[0], rowOffsets,
                                                   rowOne, unit));
    } else {
      next.push_back(tensor::InsertSliceOp::create(b, obuf, outs[0],
                                                   rowOffsets, rowOne, unit));
      Value at[] = {zero, zero, i};
      next.push_back(tensor::InsertOp::create(b, m, outs[1], at));
      next.push_back(tensor::InsertOp::create(b, l, outs[2], at));
    }
    return next;
  });
  return SmallVector<Value>(rowLoop.getResults());
}

Value VectorTaskBuilder::packQueryPairs() {
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

Value VectorTaskBuilder::pairBroadcast(Value lo, Value hi) {
  Type i16 = b.getI16Type(), i32 = b.getI32Type();
  auto widen = [&](Value x) -> Value {
    return arith::ExtUIOp::create(b, i32, arith::BitcastOp::create(b, i16, x));
  };
  Value hi32 = arith::ShLIOp::create(
      b, widen(hi),
      arith::ConstantOp::create(b, b.getI32IntegerAttr(16)).getResult());
  Value pair = arith::OrIOp::create(b, widen(lo), hi32);
  Value lanes = vector::BroadcastOp::create(
      b, VectorType::get({cfg.width}, i32), pair);
  return vector::BitCastOp::create(b, pairType(), lanes);
}

SmallVector<Value> VectorTaskBuilder::scoreKeys(Value j0, Value shift,
                                                Value jLocal, int64_t numKeys,
                                                Value qt, Value st,
                                                ValueRange bmax, Value maskT) {
  int64_t nv = cfg.rowVecs;
  SmallVector<Value> init(numKeys * nv, splat(0.0f));
  SmallVector<Value> scores;
  if (!cfg.bf16Dot) {
    // The register block: numKeys x nv vectors of scores, over head_dim.
    scf::ForOp dots = buildFor(
        b, idx(0), t.headDim, idx(1), init, [&](Value c, ValueRange acc) {
          SmallVector<Value> qv;
          for (int64_t v = 0; v < nv; ++v)
            qv.push_back(readVec(qt, c, v));
          SmallVector<Value> ks;
          for (int64_t r = 0; r < numKeys; ++r) {
            Value key = arith::AddIOp::create(
                b, j0, arith::AddIOp::create(b, jLocal, idx(r)));
            ks.push_back(tensor::ExtractOp::create(
                b, t.k, ValueRange{t.bi, t.kvHead, key, c}));
          }
          return fmaBroadcasts(acc, qv, ks);
        });
    scores.assign(dots.getResults().begin(), dots.getResults().end());
  } else {
    // The same block with bf16 pairs along head_dim: one vdpbf16ps per
    // (key, row vector) and pair; an odd head_dim ends with a pair (K, 0).
    SmallVector<Value> accs = forPairs(
        t.headDim, init, [&](Value c2, ValueRange acc, bool lastOdd) {
          Value c = arith::MulIOp::create(b, c2, idx(2));
          Value c1 = arith::AddIOp::create(b, c, idx(1));
          SmallVector<Value> pairs;
          for (int64_t r = 0; r < numKeys; ++r) {
            Value key = arith::AddIOp::create(
                b, j0, arith::AddIOp::create(b, jLocal, idx(r)));
            SmallVector<Value> hi;
            if (!lastOdd)
              hi = {t.bi, t.kvHead, key, c1};
            pairs.push_back(pairAt(t.k, {t.bi, t.kvHead, key, c}, hi));
          }
          return dotPairs(acc, readPairRow(qt, c2), pairs);
        });
    Value scale = vector::BroadcastOp::create(b, vecType, t.scale);
    for (Value acc : accs)
      scores.push_back(arith::MulFOp::create(b, acc, scale));
  }
  SmallVector<Value> maxes(bmax);
  Value negInf = splat(-std::numeric_limits<float>::infinity());
  for (int64_t r = 0; r < numKeys; ++r) {
    Value j = arith::AddIOp::create(b, jLocal, idx(r));
    Value threshold;
    if (t.causal) {
      // Key j is visible to query i iff i >= j - shift.
      Value th = arith::IndexCastOp::create(
          b, b.getI32Type(), arith::SubIOp::create(b, j, shift));
      threshold = vector::BroadcastOp::create(b, maskType, th);
    }
    for (int64_t v = 0; v < nv; ++v) {
      Value s = scores[r * nv + v];
      if (maskT)
        s = arith::AddFOp::create(b, s, readVec(maskT, j, v));
      if (t.causal) {
        SmallVector<int32_t> lanes;
        for (int64_t l = 0; l < cfg.width; ++l)
          lanes.push_back(static_cast<int32_t>(v * cfg.width + l));
        Value rowIds = arith::ConstantOp::create(
            b, DenseElementsAttr::get(maskType, ArrayRef<int32_t>(lanes)));
        Value keep = arith::CmpIOp::create(b, arith::CmpIPredicate::sge,
                                           rowIds, threshold);
        s = arith::SelectOp::create(b, keep, s, negInf);
      }
      maxes[v] = maxNoNaN(maxes[v], s);
      st = writeVec(s, st, j, v);
    }
  }
  SmallVector<Value> out = {st};
  out.append(maxes);
  return out;
}

Value VectorTaskBuilder::accumulateValues(Value j0, Value n, Value c0,
                                          int64_t numCols, Value st, Value ot,
                                          ValueRange alpha) {
  int64_t nv = cfg.rowVecs;
  SmallVector<Value> init;
  for (int64_t r = 0; r < numCols; ++r) {
    Value row = arith::AddIOp::create(b, c0, idx(r));
    for (int64_t v = 0; v < nv; ++v)
      init.push_back(
          arith::MulFOp::create(b, readVec(ot, row, v), alpha[v]));
  }
  SmallVector<Value> accs;
  if (!cfg.bf16Dot) {
    // The register block: numCols x nv vectors of acc, over the step's keys.
    scf::ForOp pv = buildFor(
        b, idx(0), n, idx(1), init, [&](Value j, ValueRange acc) {
          SmallVector<Value> pvec;
          for (int64_t v = 0; v < nv; ++v)
            pvec.push_back(readVec(st, j, v));
          Value key = arith::AddIOp::create(b, j0, j);
          SmallVector<Value> vs;
          for (int64_t r = 0; r < numCols; ++r) {
            Value col = arith::AddIOp::create(b, c0, idx(r));
            vs.push_back(tensor::ExtractOp::create(
                b, t.v, ValueRange{t.bi, t.kvHead, key, col}));
          }
          return fmaBroadcasts(acc, pvec, vs);
        });
    accs.assign(pv.getResults().begin(), pv.getResults().end());
  } else {
    // bf16 pairs of keys: `st` holds P as pairs [kv_block / 2, 2 q_block];
    // an odd count ends with a pair (V, 0).
    accs = forPairs(n, init, [&](Value j2, ValueRange acc, bool lastOdd) {
      Value key = arith::AddIOp::create(
          b, j0, arith::MulIOp::create(b, j2, idx(2)));
      Value key1 = arith::AddIOp::create(b, key, idx(1));
      SmallVector<Value> pairs;
      for (int64_t r = 0; r < numCols; ++r) {
        Value col = arith::AddIOp::create(b, c0, idx(r));
        SmallVector<Value> hi;
        if (!lastOdd)
          hi = {t.bi, t.kvHead, key1, col};
        pairs.push_back(pairAt(t.v, {t.bi, t.kvHead, key, col}, hi));
      }
      return dotPairs(acc, readPairRow(st, j2), pairs);
    });
  }
  for (int64_t r = 0; r < numCols; ++r) {
    Value row = arith::AddIOp::create(b, c0, idx(r));
    for (int64_t v = 0; v < nv; ++v)
      ot = writeVec(accs[r * nv + v], ot, row, v);
  }
  return ot;
}

SmallVector<Value> VectorTaskBuilder::build(bool normalize) {
  int64_t nv = cfg.rowVecs, m = cfg.qBlock(), kvBlock = t.kvBlock;
  Value qt = cfg.bf16Dot ? packQueryPairs() : packQuery();
  Value st0 = tensor::EmptyOp::create(b, ArrayRef<int64_t>{kvBlock, m}, f32);
  // bf16 P as pairs of keys, for the P V dot products.
  Value pp0 = cfg.bf16Dot ? tensor::EmptyOp::create(
                                b,
                                ArrayRef<int64_t>{(kvBlock + 1) / 2, 2 * m},
                                b.getBF16Type())
                                .getResult()
                          : Value();
  Value ot0 = buildFilledTensor(
      b, b.getLoc(), ArrayRef<OpFoldResult>{getAsOpFoldResult(t.vHeadDim),
                                            b.getIndexAttr(m)},
      0.0f);
  SmallVector<Value> init = {ot0, st0};
  init.append(nv, splat(std::numeric_limits<float>::lowest())); // max
  init.append(nv, splat(0.0f));                                 // sum
  if (pp0)
    init.push_back(pp0);
  Value kvBlockV = idx(kvBlock);
  scf::ForOp steps = buildFor(
      b, t.kvStart, t.kvEnd, kvBlockV, init, [&](Value j0, ValueRange state) {
        Value ot = state[0], st = state[1];
        ValueRange max = state.slice(2, nv), sum = state.slice(2 + nv, nv);
        Value n = arith::MinSIOp::create(
            b, kvBlockV, arith::SubIOp::create(b, t.kvEnd, j0));
        Value shift;
        if (t.causal)
          shift = arith::SubIOp::create(
              b, arith::AddIOp::create(b, t.diagonal, t.q0), j0);
        // The step's mask terms, transposed like the scores: Mᵀ [kv_block,
        // q_block] (rows and keys past the ends read the last ones).
        Value maskT;
        if (t.mask) {
          Value lastRow = arith::SubIOp::create(b, t.rows, idx(1));
          Value lastKey = arith::SubIOp::create(b, n, idx(1));
          maskT = buildGenerated(
              b, b.getLoc(), {b.getIndexAttr(kvBlock), b.getIndexAttr(m)}, f32,
              [&](OpBuilder &nb, Location nl, ValueRange ix) {
                Value key = arith::AddIOp::create(
                    nb, nl, j0, arith::MinUIOp::create(nb, nl, ix[0], lastKey));
                Value row = arith::AddIOp::create(
                    nb, nl, t.q0, arith::MinUIOp::create(nb, nl, ix[1], lastRow));
                return maskTerm(nb, nl, row, key);
              });
        }
        // Scores Sᵀ = K Qᵀ in register blocks of keyRows keys, then the
        // remaining keys one at a time.
        int64_t kr = cfg.keyRows;
        Value full = arith::SubIOp::create(
            b, n, arith::RemUIOp::create(b, n, idx(kr)));
        SmallVector<Value> sInit = {st};
        sInit.append(nv, splat(std::numeric_limits<float>::lowest()));
        scf::ForOp blocks = buildFor(
            b, idx(0), full, idx(kr), sInit, [&](Value jl, ValueRange a) {
              return scoreKeys(j0, shift, jl, kr, qt, a[0], a.drop_front(),
                               maskT);
            });
        scf::ForOp tail = buildFor(
            b, full, n, idx(1), blocks.getResults(),
            [&](Value jl, ValueRange a) {
              return scoreKeys(j0, shift, jl, 1, qt, a[0], a.drop_front(),
                               maskT);
            });
        st = tail.getResult(0);
        SmallVector<Value> newMax, alpha;
        for (int64_t v = 0; v < nv; ++v) {
          newMax.push_back(maxNoNaN(max[v], tail.getResult(1 + v)));
          alpha.push_back(
              softmaxExp2(arith::SubFOp::create(b, max[v], newMax[v])));
        }
        // P = exp(S - new_max) in place of S (f32), or into bf16 pairs of
        // keys; its row sums (of the f32 values).
        SmallVector<Value> rowSums;
        Value pv; // what the P V blocks read
        if (!cfg.bf16Dot) {
          SmallVector<Value> pInit = {st};
          pInit.append(nv, splat(0.0f));
          scf::ForOp probs = buildFor(
              b, idx(0), n, idx(1), pInit, [&](Value j, ValueRange a) {
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
          rowSums.assign(probs.getResults().begin() + 1,
                         probs.getResults().end());
        } else {
          Type bf16Vec = VectorType::get({cfg.width}, b.getBF16Type());
          auto pairStep = [&](bool lastOdd) {
            return [&, lastOdd](Value j2, ValueRange a) {
              Value pp = a[0];
              Value j = arith::MulIOp::create(b, j2, idx(2));
              Value j1 = arith::AddIOp::create(b, j, idx(1));
              SmallVector<Value> next = {};
              SmallVector<Value> sums;
              for (int64_t v = 0; v < nv; ++v) {
                Value p0 = softmaxExp2(
                    arith::SubFOp::create(b, readVec(st, j, v), newMax[v]));
                Value p1 =
                    lastOdd ? splat(0.0f)
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
            };
          };
          SmallVector<Value> pInit = {state.back()};
          pInit.append(nv, splat(0.0f));
          scf::ForOp full = buildFor(b, idx(0),
                                     arith::DivUIOp::create(b, n, idx(2)),
                                     idx(1), pInit, pairStep(false));
          scf::ForOp odd = buildFor(
              b, arith::DivUIOp::create(b, n, idx(2)),
              arith::CeilDivUIOp::create(b, n, idx(2)), idx(1),
              full.getResults(), pairStep(true));
          pv = odd.getResult(0);
          rowSums.assign(odd.getResults().begin() + 1, odd.getResults().end());
        }
        SmallVector<Value> newSum;
        for (int64_t v = 0; v < nv; ++v)
          newSum.push_back(
              vector::FMAOp::create(b, alpha[v], sum[v], rowSums[v]));
        // acc = alpha * acc + Pᵀ V in register blocks of valueCols columns.
        // The remaining columns one at a time.
        int64_t vc = cfg.valueCols;
        Value fullCols = arith::SubIOp::create(
            b, t.vHeadDim, arith::RemUIOp::create(b, t.vHeadDim, idx(vc)));
        scf::ForOp cols = buildFor(
            b, idx(0), fullCols, idx(vc), ValueRange{ot},
            [&](Value c0, ValueRange a) {
              return SmallVector<Value>{
                  accumulateValues(j0, n, c0, vc, pv, a[0], alpha)};
            });
        scf::ForOp colTail = buildFor(
            b, fullCols, t.vHeadDim, idx(1), cols.getResults(),
            [&](Value c0, ValueRange a) {
              return SmallVector<Value>{
                  accumulateValues(j0, n, c0, 1, pv, a[0], alpha)};
            });
        ot = colTail.getResult(0);
        SmallVector<Value> next = {ot, st};
        next.append(newMax);
        next.append(newSum);
        if (cfg.bf16Dot)
          next.push_back(pv);
        return next;
      });

  // Back to [rows, v_head_dim]: out[i, c] = acc[c, i] / sum[i], 0 where
  // the sum is 0; or, for a split, acc[c, i] with max[i] and sum[i].
  Value ot = steps.getResult(0);
  auto rowVector = [&](ValueRange parts) {
    Value row = tensor::EmptyOp::create(b, ArrayRef<int64_t>{m}, f32);
    for (int64_t v = 0; v < nv; ++v)
      row = vector::TransferWriteOp::create(b, parts[v], row,
                                            ValueRange{idx(v * cfg.width)},
                                            ArrayRef<bool>{true})
                .getResult();
    return row;
  };
  Value sums = rowVector(steps.getResults().slice(2 + nv, nv));
  SmallVector<OpFoldResult> outSizes = {b.getIndexAttr(1), b.getIndexAttr(1),
                                        t.rows,
                                        getAsOpFoldResult(t.vHeadDim)};
  Value zero = arith::ConstantOp::create(b, b.getF32FloatAttr(0.0f));
  auto gather = [&](ArrayRef<OpFoldResult> sizes,
                    function_ref<Value(OpBuilder &, Location, Value, Value)>
                        fn,
                    Type et) {
    Value empty = tensor::EmptyOp::create(b, sizes, et);
    int64_t rank = sizes.size();
    AffineMap id = b.getMultiDimIdentityMap(rank);
    return linalg::GenericOp::create(
               b, empty.getType(), ValueRange{}, ValueRange{empty},
               ArrayRef<AffineMap>{id},
               SmallVector<utils::IteratorType>(rank,
                                                utils::IteratorType::parallel),
               [&](OpBuilder &nb, Location nl, ValueRange) {
                 Value i = linalg::IndexOp::create(nb, nl, 2);
                 Value c = rank > 3 ? linalg::IndexOp::create(nb, nl, 3)
                                    : Value();
                 linalg::YieldOp::create(nb, nl, fn(nb, nl, i, c));
               })
        .getResult(0);
  };
  if (!normalize) {
    Value maxes = rowVector(steps.getResults().slice(2, nv));
    SmallVector<OpFoldResult> rowSizes = {b.getIndexAttr(1), b.getIndexAttr(1),
                                          t.rows};
    auto read = [](Value tensor) {
      return [tensor](OpBuilder &nb, Location nl, Value i, Value c) -> Value {
        return c ? tensor::ExtractOp::create(nb, nl, tensor, ValueRange{c, i})
                 : tensor::ExtractOp::create(nb, nl, tensor, ValueRange{i});
      };
    };
    return {gather(outSizes, read(ot), f32), gather(rowSizes, read(maxes), f32),
            gather(rowSizes, read(sums), f32)};
  }
  return {gather(outSizes,
                 [&](OpBuilder &nb, Location nl, Value i, Value c) -> Value {
                   Value acc = tensor::ExtractOp::create(nb, nl, ot,
                                                         ValueRange{c, i});
                   Value sum = tensor::ExtractOp::create(nb, nl, sums,
                                                         ValueRange{i});
                   Value isZero = arith::CmpFOp::create(
                       nb, nl, arith::CmpFPredicate::OEQ, sum, zero);
                   Value quot = arith::DivFOp::create(nb, nl, acc, sum);
                   Value r =
                       arith::SelectOp::create(nb, nl, isZero, zero, quot);
                   if (t.outElem != r.getType())
                     r = buildTruncToBF16(nb, nl, r);
                   return r;
                 },
                 t.outElem)};
}

/// The scalar body of one task: a loop of attn.online_sdpa steps over key
/// blocks; returns the task's output block `[1, 1, rows, v_head_dim]`.
static Value buildSteps(OpBuilder &b, Location loc, SdpaOp op, Value bi,
                        Value hi, Value kvHead, Value q0, Value rows,
                        Value kvEnd, Value diagonal, int64_t kvBlock) {
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  Value mask = op.getMask();
  OpFoldResult oneAttr = b.getIndexAttr(1), zeroAttr = b.getIndexAttr(0);
  SmallVector<OpFoldResult> unitStrides(4, oneAttr);
  OpFoldResult headDim = tensor::getMixedSize(b, loc, q, 3);
  OpFoldResult vHeadDim = tensor::getMixedSize(b, loc, v, 3);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value kvBlockV = arith::ConstantIndexOp::create(b, loc, kvBlock);
  Value qTile = tensor::ExtractSliceOp::create(
      b, loc, q, ArrayRef<OpFoldResult>{bi, hi, q0, zeroAttr},
      ArrayRef<OpFoldResult>{oneAttr, oneAttr, rows, headDim}, unitStrides);
  SmallVector<OpFoldResult> accSizes = {oneAttr, oneAttr, rows, vHeadDim};
  SmallVector<OpFoldResult> rowSizes = {oneAttr, oneAttr, rows};
  Value acc0 = buildFilledTensor(b, loc, accSizes, 0.0f);
  Value max0 = buildFilledTensor(b, loc, rowSizes,
                                 std::numeric_limits<float>::lowest());
  Value sum0 = buildFilledTensor(b, loc, rowSizes, 0.0f);
  auto loop = scf::ForOp::create(
      b, loc, zero, kvEnd, kvBlockV, ValueRange{acc0, max0, sum0},
      [&](OpBuilder &lb, Location ll, Value j0, ValueRange state) {
        Value cols = arith::MinSIOp::create(
            lb, ll, kvBlockV, arith::SubIOp::create(lb, ll, kvEnd, j0));
        Value kTile = tensor::ExtractSliceOp::create(
            lb, ll, k, ArrayRef<OpFoldResult>{bi, kvHead, j0, zeroAttr},
            ArrayRef<OpFoldResult>{oneAttr, oneAttr, cols, headDim},
            unitStrides);
        Value vTile = tensor::ExtractSliceOp::create(
            lb, ll, v, ArrayRef<OpFoldResult>{bi, kvHead, j0, zeroAttr},
            ArrayRef<OpFoldResult>{oneAttr, oneAttr, cols, vHeadDim},
            unitStrides);
        Value maskTile;
        if (mask) {
          auto mt = cast<RankedTensorType>(mask.getType());
          if (mt.getRank() == 2) {
            maskTile = tensor::ExtractSliceOp::create(
                lb, ll, mask, ArrayRef<OpFoldResult>{q0, j0},
                ArrayRef<OpFoldResult>{rows, cols},
                ArrayRef<OpFoldResult>{oneAttr, oneAttr});
          } else {
            OpFoldResult mb = mt.getDimSize(0) == 1 ? zeroAttr
                                                    : OpFoldResult(bi);
            OpFoldResult mh = mt.getDimSize(1) == 1 ? zeroAttr
                                                    : OpFoldResult(hi);
            maskTile = tensor::ExtractSliceOp::create(
                lb, ll, mask, ArrayRef<OpFoldResult>{mb, mh, q0, j0},
                ArrayRef<OpFoldResult>{oneAttr, oneAttr, rows, cols},
                unitStrides);
          }
        }
        Value shift;
        if (op.getCausal())
          shift = arith::SubIOp::create(
              lb, ll, arith::AddIOp::create(lb, ll, diagonal, q0), j0);
        auto step = OnlineSdpaOp::create(
            lb, ll, qTile, kTile, vTile, maskTile, shift, state[0], state[1],
            state[2], op.getScaleAttr());
        scf::YieldOp::create(lb, ll, step.getResults());
      });

  // out = acc / sum, 0 where the sum is 0 (no visible key).
  return buildNormalizeBySum(b, loc, loop.getResult(0), loop.getResult(2),
                             op.getOutputType().getElementType());
}


std::optional<VectorTiling>
AttnTilePass::vectorTiling(SdpaOp op) const {
  if (vectorWidth < 1)
    return std::nullopt;
  VectorTiling t;
  t.width = vectorWidth;
  t.registers = vectorRegisters ? vectorRegisters : 32;
  t.bf16Dot = bf16DotOption && op.getQueryType().getElementType().isBF16() &&
              (t.width == 8 || t.width == 16);
  // 4 row vectors with 32 registers (6 x 4 blocks), 2 with 16 (6 x 2).
  int64_t rowVecs = t.registers >= 32 ? 4 : 2;
  if (qBlock) {
    if (qBlock % t.width != 0)
      return std::nullopt;
    rowVecs = qBlock / t.width;
  }
  return t.withRowVecs(rowVecs);
}

/// True if `t` reads a memref whose innermost stride is statically 1 (the
/// unit-stride copy of a kernel, attn-export-functions): its rows can be
/// loaded as vectors.
static bool hasUnitInnerStride(Value t) {
  auto toTensor = t.getDefiningOp<bufferization::ToTensorOp>();
  if (!toTensor)
    return false;
  auto mt = dyn_cast<MemRefType>(toTensor.getBuffer().getType());
  if (!mt || mt.getRank() == 0)
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(mt.getStridesAndOffset(strides, offset)))
    return false;
  return strides.back() == 1;
}

/// The softmax scale: the op's, or 1/sqrt(head_dim) (1 for head_dim 0).
static Value scaleOf(OpBuilder &b, Location loc, SdpaOp op, Value headDim) {
  std::optional<APFloat> s = op.getScale();
  std::optional<int64_t> d = getConstantIntValue(headDim);
  if (!s && d && *d > 0)
    s = APFloat(static_cast<float>(1.0 / std::sqrt(static_cast<double>(*d))));
  if (s)
    return arith::ConstantOp::create(b, loc,
                                     b.getF32FloatAttr(s->convertToFloat()));
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value safe = arith::MaxUIOp::create(b, loc, headDim, one);
  Value i = arith::IndexCastUIOp::create(b, loc, b.getI64Type(), safe);
  Value f = arith::UIToFPOp::create(b, loc, b.getF32Type(), i);
  return math::RsqrtOp::create(b, loc, f);
}

/// Merges the parts of a split key range by their logsumexp (flash-decoding,
/// Dao et al. 2023): with M = max_s max_s, out = sum_s 2^(max_s - M) acc_s /
/// sum_s 2^(max_s - M) sum_s (0 where that is 0); the maxes are in base-2
/// units, as the vector body keeps them. acc `[B, H, S, Lq, Dv]`,
/// max and sum `[B, H, S, Lq]`; returns `[B, H, Lq, Dv]`.
static Value buildMerge(OpBuilder &b, Location loc, Value acc, Value max,
                        Value sum, Type resultElementType) {
  MLIRContext *ctx = b.getContext();
  auto dims = [&](ArrayRef<unsigned> d) {
    SmallVector<AffineExpr> e;
    for (unsigned x : d)
      e.push_back(getAffineDimExpr(x, ctx));
    return e;
  };
  auto map5 = [&](ArrayRef<unsigned> d) {
    return AffineMap::get(5, 0, dims(d), ctx);
  };
  auto map4 = [&](ArrayRef<unsigned> d) {
    return AffineMap::get(4, 0, dims(d), ctx);
  };
  using IT = utils::IteratorType;
  SmallVector<OpFoldResult> accSizes = tensor::getMixedSizes(b, loc, acc);
  SmallVector<OpFoldResult> outSizes = {accSizes[0], accSizes[1], accSizes[3],
                                        accSizes[4]};
  SmallVector<OpFoldResult> rowSizes = {accSizes[0], accSizes[1],
                                        accSizes[3]};
  // (b, h, i, s) for the rows.
  Value gmaxInit =
      buildFilledTensor(b, loc, rowSizes, std::numeric_limits<float>::lowest());
  Value gmax =
      linalg::GenericOp::create(
          b, loc, TypeRange{gmaxInit.getType()}, ValueRange{max},
          ValueRange{gmaxInit},
          ArrayRef<AffineMap>{map4({0, 1, 3, 2}), map4({0, 1, 2})},
          ArrayRef<IT>{IT::parallel, IT::parallel, IT::parallel,
                       IT::reduction},
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            linalg::YieldOp::create(
                nb, nl, arith::MaximumFOp::create(nb, nl, a[0], a[1])
                            .getResult());
          })
          .getResult(0);
  // The weight of each part, once per (b, h, s, i): 2^(max_s - M) =
  // e^((max_s - M) ln 2), the maxes being in base-2 units.
  SmallVector<OpFoldResult> partSizes = tensor::getMixedSizes(b, loc, max);
  Value wInit = tensor::EmptyOp::create(b, loc, partSizes, b.getF32Type());
  AffineMap id4 = AffineMap::getMultiDimIdentityMap(4, ctx);
  Value weights =
      linalg::GenericOp::create(
          b, loc, TypeRange{wInit.getType()}, ValueRange{max, gmax},
          ValueRange{wInit}, ArrayRef<AffineMap>{id4, map4({0, 1, 3}), id4},
          SmallVector<IT>(4, IT::parallel),
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value ln2 =
                arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(M_LN2));
            Value d = arith::MulFOp::create(
                nb, nl, arith::SubFOp::create(nb, nl, a[0], a[1]), ln2);
            linalg::YieldOp::create(nb, nl, buildGuardedExp(nb, nl, d));
          })
          .getResult(0);
  // sum_s w_s part_s, the parts' dim s (2) reduced last.
  auto weighted = [&](Value part, ArrayRef<OpFoldResult> sizes,
                      AffineMap partMap, AffineMap wMap, AffineMap outMap,
                      unsigned rank) {
    Value init = buildFilledTensor(b, loc, sizes, 0.0f);
    SmallVector<IT> iters(rank - 1, IT::parallel);
    iters.push_back(IT::reduction);
    return linalg::GenericOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{part, weights},
               ValueRange{init}, ArrayRef<AffineMap>{partMap, wMap, outMap},
               iters,
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 Value r = arith::AddFOp::create(
                     nb, nl, a[2], arith::MulFOp::create(nb, nl, a[1], a[0]));
                 linalg::YieldOp::create(nb, nl, r);
               })
        .getResult(0);
  };
  // Iteration (b, h, i, c, s) for the accumulators, (b, h, i, s) for sums.
  Value accSum = weighted(acc, outSizes, map5({0, 1, 4, 2, 3}),
                          map5({0, 1, 4, 2}), map5({0, 1, 2, 3}), 5);
  Value sumSum = weighted(sum, rowSizes, map4({0, 1, 3, 2}),
                          map4({0, 1, 3, 2}), map4({0, 1, 2}), 4);
  return buildNormalizeBySum(b, loc, accSum, sumSum, resultElementType);
}

/// `attn_get_num_threads()` of the runtime, declared in the module on first
/// use.
static Value buildNumThreads(OpBuilder &b, Location loc, Operation *op) {
  constexpr llvm::StringLiteral name = "attn_get_num_threads";
  Operation *table = SymbolTable::getNearestSymbolTable(op->getParentOp());
  Type i32 = b.getI32Type();
  if (table && !SymbolTable::lookupSymbolIn(table, name)) {
    OpBuilder mb = OpBuilder::atBlockBegin(&table->getRegion(0).front());
    auto decl = func::FuncOp::create(mb, loc, name,
                                     mb.getFunctionType({}, {i32}));
    decl.setPrivate();
  }
  Value n = func::CallOp::create(b, loc, name, TypeRange{i32}, ValueRange{})
                .getResult(0);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), n);
}

void AttnTilePass::tile(SdpaOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  Value mask = op.getMask();
  std::optional<VectorTiling> vec = vectorTiling(op);
  int64_t qBlock = vec ? vec->qBlock() : (this->qBlock ? this->qBlock : 64);
  // Keys per step from the target model: the step's scores (kv-block x
  // q-block f32) take half of L1, the rest holding Q's and the
  // accumulator's rows in use; a multiple of the vector width, 16 to 512.
  // 64 without vectors or an L1 size.
  int64_t kvBlock = this->kvBlock;
  if (!kvBlock) {
    kvBlock = 64;
    if (vec && l1Bytes > 0) {
      int64_t fit = l1Bytes / 2 / (4 * vec->qBlock());
      kvBlock = std::clamp<int64_t>(fit - fit % vec->width, 16, 512);
    }
  }
  auto idx = [&](int64_t c) -> Value {
    return arith::ConstantIndexOp::create(b, loc, c);
  };
  auto dim = [&](Value t, int64_t d) -> Value {
    return getValueOrCreateConstantIndexOp(b, loc,
                                           tensor::getMixedSize(b, loc, t, d));
  };
  Value batch = dim(q, 0), qHeads = dim(q, 1), qLen = dim(q, 2);
  Value kvHeads = dim(k, 1), kvLen = dim(k, 2);
  Value one = idx(1), zero = idx(0);
  Value group = arith::DivUIOp::create(
      b, loc, qHeads, arith::MaxUIOp::create(b, loc, kvHeads, one));
  Value qBlockV = idx(qBlock), kvBlockV = idx(kvBlock);
  Value numQBlocks = arith::CeilDivUIOp::create(b, loc, qLen, qBlockV);
  Value diagonal = arith::SubIOp::create(b, loc, kvLen, qLen); // Lk - Lq
  Value headDimV = dim(q, 3), vHeadDimV = dim(v, 3);
  // The vector body works in base 2: log2(e) folded into the scale, so
  // that its softmax needs exp2 (softmaxExp2), and so do its merges.
  Value scale;
  if (vec)
    scale = arith::MulFOp::create(
        b, loc, scaleOf(b, loc, op, headDimV),
        arith::ConstantOp::create(b, loc, b.getF32FloatAttr(M_LOG2E)));
  OpFoldResult oneAttr = b.getIndexAttr(1), zeroAttr = b.getIndexAttr(0);
  OpFoldResult vHeadDim = tensor::getMixedSize(b, loc, v, 3);

  SmallVector<OpFoldResult> outSizes = tensor::getMixedSizes(b, loc, q);
  outSizes[3] = vHeadDim;
  Type f32 = b.getF32Type();
  Type outElem = op.getOutputType().getElementType();
  Value outInit = tensor::EmptyOp::create(b, loc, outSizes, outElem);

  // The body of one task (bi, hi, rows q0 .. q0 + rows) over its key range, part `part` of
  // `splits` (both null: the whole range). Returns the output block, or
  // with a split (acc, max, sum) of the part.
  auto taskBody = [&](OpBuilder &tb, Value bi, Value hi, Value q0, Value rows,
                      Value part, Value splits) -> SmallVector<Value> {
    Value kvHead = arith::DivUIOp::create(
        tb, loc, hi, arith::MaxUIOp::create(tb, loc, group, one));
    // Keys j of this query block with j <= i + Lk - Lq for some row i < q0
    // + rows: j < q0 + rows + Lk - Lq. Blocks past that are fully masked.
    Value kvStart = zero, kvEnd = kvLen;
    if (op.getCausal()) {
      Value end = arith::AddIOp::create(
          tb, loc, arith::AddIOp::create(tb, loc, q0, rows), diagonal);
      kvEnd = arith::MaxSIOp::create(
          tb, loc, zero, arith::MinSIOp::create(tb, loc, kvLen, end));
    }
    if (splits) {
      // Part `part` of `splits` equal chunks, whole key blocks each.
      Value chunk = arith::MulIOp::create(
          tb, loc,
          arith::CeilDivUIOp::create(
              tb, loc, arith::CeilDivUIOp::create(tb, loc, kvEnd, splits),
              kvBlockV),
          kvBlockV);
      kvStart = arith::MinSIOp::create(
          tb, loc, kvEnd, arith::MulIOp::create(tb, loc, part, chunk));
      kvEnd = arith::MinSIOp::create(
          tb, loc, kvEnd, arith::AddIOp::create(tb, loc, kvStart, chunk));
    }
    if (!vec)
      return {buildSteps(tb, loc, op, bi, hi, kvHead, q0, rows, kvEnd,
                         diagonal, kvBlock)};
    Task task{q,        k,         v,         bi,
              hi,       kvHead,    q0,        rows,
              kvStart,  kvEnd,     diagonal,  op.getCausal(),
              headDimV, vHeadDimV, scale,     kvBlock,
              outElem,  mask};
    // Few rows (decode, a last partial block): one row vector, so that
    // padding rows cost no FMAs.
    VectorTiling small = vec->withRowVecs(1);
    auto build = [&](VectorTiling cfg) {
      return [&, cfg](OpBuilder &nb, Location nl) {
        ImplicitLocOpBuilder ib(nl, nb);
        scf::YieldOp::create(ib, VectorTaskBuilder(ib, task, cfg)
                                     .build(/*normalize=*/!splits));
      };
    };
    // Result types come from the yields.
    auto rowBodies = [&](OpBuilder &nb, Location nl) -> SmallVector<Value> {
      if (vec->rowVecs == 1) {
        ImplicitLocOpBuilder ib(nl, nb);
        return VectorTaskBuilder(ib, task, *vec).build(/*normalize=*/!splits);
      }
      Value few = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::ule,
                                        rows, idx(vec->width));
      return SmallVector<Value>(
          scf::IfOp::create(nb, nl, few, build(small), build(*vec))
              .getResults());
    };
    // Up to 4 rows with contiguous rows of Q, K and V (decode): the body
    // vectorized over head_dim.
    // bf16 needs native bf16 vectors there (avx512bf16): its partial
    // head_dim loads are masked bf16 loads, which LLVM would otherwise
    // legalize through __truncsfbf2.
    bool bf16 = op.getQueryType().getElementType().isBF16();
    if (hasUnitInnerStride(q) && hasUnitInnerStride(k) &&
        hasUnitInnerStride(v) && kvBlock % vec->width == 0 &&
        (!bf16 || vec->bf16Dot)) {
      Value decode = arith::CmpIOp::create(tb, loc, arith::CmpIPredicate::ule,
                                           rows, idx(4));
      auto ifOp = scf::IfOp::create(
          tb, loc, decode,
          [&](OpBuilder &nb, Location nl) {
            ImplicitLocOpBuilder ib(nl, nb);
            scf::YieldOp::create(ib, VectorTaskBuilder(ib, task, *vec)
                                         .buildDecode(/*normalize=*/!splits));
          },
          [&](OpBuilder &nb, Location nl) {
            scf::YieldOp::create(nb, nl, rowBodies(nb, nl));
          });
      return SmallVector<Value>(ifOp.getResults());
    }
    return rowBodies(tb, loc);
  };

  // An scf.forall over (batch, heads, query blocks[, parts]).
  auto buildForall = [&](OpBuilder &fb, Value splits, ValueRange outs) {
    SmallVector<OpFoldResult> ubs = {batch, qHeads, numQBlocks};
    if (splits)
      ubs.push_back(splits);
    SmallVector<OpFoldResult> lbs(ubs.size(), zeroAttr);
    SmallVector<OpFoldResult> steps(ubs.size(), oneAttr);
    auto forall =
        scf::ForallOp::create(fb, loc, lbs, ubs, steps, outs, std::nullopt);
    OpBuilder::InsertionGuard guard(fb);
    Block *body = forall.getBody();
    fb.setInsertionPointToStart(body);
    Value bi = body->getArgument(0), hi = body->getArgument(1),
          qb = body->getArgument(2);
    Value part = splits ? body->getArgument(3) : Value();
    Value q0 = arith::MulIOp::create(fb, loc, qb, qBlockV);
    Value rows = arith::MinSIOp::create(
        fb, loc, qBlockV, arith::SubIOp::create(fb, loc, qLen, q0));
    SmallVector<Value> results = taskBody(fb, bi, hi, q0, rows, part, splits);
    fb.setInsertionPointToStart(forall.getTerminator().getBody());
    for (auto [r, shared] : llvm::zip(results, forall.getRegionIterArgs())) {
      int64_t rank = cast<RankedTensorType>(shared.getType()).getRank();
      SmallVector<OpFoldResult> offsets = {bi, hi};
      SmallVector<OpFoldResult> sizes = {oneAttr, oneAttr};
      if (splits) {
        offsets.push_back(part);
        sizes.push_back(oneAttr);
      }
      offsets.push_back(q0);
      sizes.push_back(rows);
      if (static_cast<int64_t>(offsets.size()) < rank) {
        offsets.push_back(zeroAttr);
        sizes.push_back(vHeadDim);
      }
      tensor::ParallelInsertSliceOp::create(
          fb, loc, r, shared, offsets, sizes,
          SmallVector<OpFoldResult>(rank, oneAttr));
    }
    return forall;
  };

  Value result;
  if (!vec) {
    result = buildForall(b, Value(), ValueRange{outInit}).getResult(0);
  } else {
    // Split the key range when there are too few tasks for the threads
    // (decode): parts = clamp(ceil(4 * threads / tasks), 1,
    // floor(kv_len / 256)), so a part of the whole range has at least 256
    // keys (whole key blocks; a causal task splits its own shorter range);
    // merged by LSE.
    Value tasks = arith::MulIOp::create(
        b, loc, arith::MulIOp::create(b, loc, batch, qHeads), numQBlocks);
    Value threads = buildNumThreads(b, loc, op);
    Value want = arith::CeilDivUIOp::create(
        b, loc, arith::MulIOp::create(b, loc, threads, idx(4)),
        arith::MaxUIOp::create(b, loc, tasks, one));
    Value byLen = arith::DivUIOp::create(b, loc, kvLen, idx(256));
    Value splits = arith::MaxUIOp::create(
        b, loc, one, arith::MinUIOp::create(b, loc, want, byLen));
    Value isSplit =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, splits, one);
    auto ifOp = scf::IfOp::create(
        b, loc, isSplit,
        [&](OpBuilder &tb, Location) {
          SmallVector<OpFoldResult> partSizes = {outSizes[0], outSizes[1],
                                                 splits, outSizes[2]};
          Value maxInit = tensor::EmptyOp::create(tb, loc, partSizes, f32);
          Value sumInit = tensor::EmptyOp::create(tb, loc, partSizes, f32);
          partSizes.push_back(vHeadDim);
          Value accInit = tensor::EmptyOp::create(tb, loc, partSizes, f32);
          auto parts = buildForall(tb, splits,
                                   ValueRange{accInit, maxInit, sumInit});
          Value merged =
              buildMerge(tb, loc, parts.getResult(0), parts.getResult(1),
                         parts.getResult(2), outElem);
          if (merged.getType() != outInit.getType())
            merged = tensor::CastOp::create(tb, loc, outInit.getType(), merged);
          scf::YieldOp::create(tb, loc, merged);
        },
        [&](OpBuilder &eb, Location) {
          scf::YieldOp::create(
              eb, loc,
              buildForall(eb, Value(), ValueRange{outInit}).getResult(0));
        });
    result = ifOp.getResult(0);
    ++numVectorized;
  }

  if (result.getType() != op.getOutputType())
    result = tensor::CastOp::create(b, loc, op.getOutputType(), result);
  op.replaceAllUsesWith(result);
  op.erase();
}
