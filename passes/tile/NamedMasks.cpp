//===- NamedMasks.cpp - attn.sdpa's named masks in the kernels --------------===//
#include "passes/tile/NamedMasks.h"

#include "dialect/Attn/AttnOps.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/TypeSwitch.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::tile;

namespace {

/// Index arithmetic at a builder, for the classifiers.
struct Ix {
  ImplicitLocOpBuilder &b;
  Value c(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, x, y); }
  Value min(Value x, Value y) { return arith::MinSIOp::create(b, x, y); }
  Value max(Value x, Value y) { return arith::MaxSIOp::create(b, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, p, x, y);
  }
  Value le(Value x, Value y) { return cmp(arith::CmpIPredicate::sle, x, y); }
  Value lt(Value x, Value y) { return cmp(arith::CmpIPredicate::slt, x, y); }
  Value ge(Value x, Value y) { return cmp(arith::CmpIPredicate::sge, x, y); }
  Value eq(Value x, Value y) { return cmp(arith::CmpIPredicate::eq, x, y); }
  Value andI(Value x, Value y) {
    if (!x)
      return y;
    if (!y)
      return x;
    return arith::AndIOp::create(b, x, y);
  }
  Value orI(Value x, Value y) {
    if (!x)
      return y;
    if (!y)
      return x;
    return arith::OrIOp::create(b, x, y);
  }
  Value notI(Value x) {
    return arith::XOrIOp::create(b, x, arith::ConstantIntOp::create(b, 1, 1));
  }
  Value truth() { return arith::ConstantIntOp::create(b, 1, 1); }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, c, x, y);
  }
  /// tensor[indices] as an index.
  Value read(Value tensor, ValueRange indices) {
    Value v = tensor::ExtractOp::create(b, tensor, indices);
    if (!v.getType().isIndex())
      v = arith::IndexCastOp::create(b, b.getIndexType(), v);
    return v;
  }
};

/// A mask whose visible keys, for a task, are one interval [start, end)
/// (null ends: unbounded) and whose keys in [fullStart, fullEnd) are
/// visible to every row (`hasFull`; null ends: unbounded).
class IntervalClassifier : public MaskClassifier {
public:
  StepClass classify(ImplicitLocOpBuilder &b, Value j0, Value j1) override {
    Ix x{b};
    StepClass c;
    if (start)
      c.empty = x.le(j1, start);
    if (end)
      c.empty = x.orI(c.empty, x.ge(j0, end));
    if (hasFull) {
      c.full = x.andI(fullStart ? x.ge(j0, fullStart) : Value(),
                      fullEnd ? x.le(j1, fullEnd) : Value());
      if (!c.full)
        c.full = x.truth();
    }
    return c;
  }

protected:
  Value start, end, fullStart, fullEnd;
  bool hasFull = false;
};

/// q_idx + off, the diagonal key of query q_idx (see #attn.causal).
Value diagonalOffset(ImplicitLocOpBuilder &b, Alignment a, Value qLen,
                     Value kvLen) {
  Ix x{b};
  return a == Alignment::top_left ? x.c(0) : x.sub(kvLen, qLen);
}

/// #attn.causal and #attn.window: row q sees [q + off - left, q + off +
/// right] (causal: left unbounded, right 0).
class BandClassifier final : public IntervalClassifier {
public:
  BandClassifier(Alignment a, std::optional<int64_t> left, int64_t right,
                 Value qLen, Value kvLen)
      : alignment(a), left(left), right(right), qLen(qLen), kvLen(kvLen) {}
  KeySpan prepare(ImplicitLocOpBuilder &b, const RowInfo &rows) override {
    Ix x{b};
    off = diagonalOffset(b, alignment, qLen, kvLen);
    Value d0 = x.add(rows.q0, off);
    Value d1 = x.sub(x.add(d0, rows.qRows), x.c(1));
    hasFull = true;
    end = x.add(d1, x.c(right + 1));
    fullEnd = x.add(d0, x.c(right + 1));
    if (left) {
      start = x.sub(d0, x.c(*left));
      fullStart = x.sub(d1, x.c(*left));
    }
    return {start, end};
  }
  Value rowKeyEnd(ImplicitLocOpBuilder &b, Value query) override {
    if (left)
      return Value();
    Ix x{b};
    return x.add(x.add(query, off), x.c(right + 1));
  }

private:
  Alignment alignment;
  std::optional<int64_t> left;
  int64_t right;
  Value qLen, kvLen, off;
};

/// #attn.strided: a step's diagonal distances d = q_idx + off - kv_idx
/// fill one interval [d0 - (j1 - 1), d1 - j0] for the task's diagonals
/// [d0, d1]; the step is empty when no multiple of the stride lies in it
/// (strides longer than the step), never full unless the stride is 1.
class StridedClassifier final : public MaskClassifier {
public:
  StridedClassifier(int64_t stride, Alignment a, Value qLen, Value kvLen)
      : stride(stride), alignment(a), qLen(qLen), kvLen(kvLen) {}
  KeySpan prepare(ImplicitLocOpBuilder &b, const RowInfo &rows) override {
    Ix x{b};
    d0 = x.add(rows.q0, diagonalOffset(b, alignment, qLen, kvLen));
    d1 = x.sub(x.add(d0, rows.qRows), x.c(1));
    return {};
  }
  StepClass classify(ImplicitLocOpBuilder &b, Value j0, Value j1) override {
    Ix x{b};
    StepClass c;
    if (stride == 1) {
      c.full = x.truth();
      return c;
    }
    Value lo = x.sub(d0, x.sub(j1, x.c(1))), hi = x.sub(d1, j0);
    // The largest multiple of the stride at or below hi.
    Value m = x.mul(arith::FloorDivSIOp::create(b, hi, x.c(stride)),
                    x.c(stride));
    c.empty = x.lt(m, lo);
    return c;
  }

private:
  int64_t stride;
  Alignment alignment;
  Value qLen, kvLen, d0, d1;
};

/// #attn.global_tokens: rows below `count` see every key; the others see
/// the keys below it.
class GlobalClassifier final : public IntervalClassifier {
public:
  GlobalClassifier(int64_t count, Value kvLen) : count(count), kvLen(kvLen) {}
  KeySpan prepare(ImplicitLocOpBuilder &b, const RowInfo &rows) override {
    Ix x{b};
    Value n = x.c(count);
    hasFull = true;
    end = x.select(x.lt(rows.q0, n), kvLen, n);
    fullEnd = x.select(x.le(x.add(rows.q0, rows.qRows), n), kvLen, n);
    return {Value(), end};
  }

private:
  int64_t count;
  Value kvLen;
};

/// #attn.block_layout: the cells a step covers, counted in O(1) with a
/// summed-area table of the layout, built at compile time.
class LayoutClassifier final : public MaskClassifier {
public:
  /// Builds the summed-area table (once per op, at compile time):
  /// sums[i][j] = number of true cells in rows < i, columns < j.
  explicit LayoutClassifier(BlockLayoutAttr attr) : attr(attr) {
    auto t = cast<ShapedType>(attr.getLayout().getType());
    numRows = t.getDimSize(0);
    numCols = t.getDimSize(1);
    SmallVector<int32_t> sums((numRows + 1) * (numCols + 1), 0);
    auto cells = attr.getLayout().getValues<bool>();
    for (int64_t i = 0; i < numRows; ++i)
      for (int64_t j = 0; j < numCols; ++j)
        sums[(i + 1) * (numCols + 1) + j + 1] =
            sums[i * (numCols + 1) + j + 1] + sums[(i + 1) * (numCols + 1) + j] -
            sums[i * (numCols + 1) + j] + (cells[i * numCols + j] ? 1 : 0);
    auto type = RankedTensorType::get(
        {numRows + 1, numCols + 1}, IntegerType::get(attr.getContext(), 32));
    sumsAttr = DenseIntElementsAttr::get(type, ArrayRef<int32_t>(sums));
  }
  KeySpan prepare(ImplicitLocOpBuilder &b, const RowInfo &rows) override {
    Ix x{b};
    table = arith::ConstantOp::create(b, sumsAttr);
    Value blk = x.c(attr.getBlock());
    Value last = x.sub(x.add(rows.q0, rows.qRows), x.c(1));
    Value r0 = arith::DivUIOp::create(b, rows.q0, blk);
    Value r1 = arith::DivUIOp::create(b, last, blk);
    rowsOutside = x.ge(r1, x.c(numRows));
    qb0 = x.min(r0, x.c(numRows));
    qb1 = x.min(x.add(r1, x.c(1)), x.c(numRows));
    Value end = x.select(x.ge(r0, x.c(numRows)), x.c(0),
                         x.c(numCols * attr.getBlock()));
    return {Value(), end};
  }
  StepClass classify(ImplicitLocOpBuilder &b, Value j0, Value j1) override {
    Ix x{b};
    Value blk = x.c(attr.getBlock());
    Value c0 = arith::DivUIOp::create(b, j0, blk);
    Value c1 = arith::DivUIOp::create(b, x.sub(j1, x.c(1)), blk);
    Value keysOutside = x.ge(c1, x.c(numCols));
    Value kb0 = x.min(c0, x.c(numCols));
    Value kb1 = x.min(x.add(c1, x.c(1)), x.c(numCols));
    auto at = [&](Value i, Value j) { return x.read(table, {i, j}); };
    Value count = x.add(x.sub(at(qb1, kb1), at(qb0, kb1)),
                        x.sub(at(qb0, kb0), at(qb1, kb0)));
    Value area = x.mul(x.sub(qb1, qb0), x.sub(kb1, kb0));
    StepClass c;
    c.empty = x.eq(count, x.c(0));
    c.full = x.andI(x.andI(x.notI(rowsOutside), x.notI(keysOutside)),
                    x.eq(count, area));
    return c;
  }

private:
  BlockLayoutAttr attr;
  int64_t numRows = 0, numCols = 0;
  DenseIntElementsAttr sumsAttr;
  Value table, rowsOutside, qb0, qb1;
};

/// #attn.key_padding: the keys below the batch's length.
class PaddingClassifier final : public IntervalClassifier {
public:
  explicit PaddingClassifier(Value lengths) : lengths(lengths) {}
  KeySpan prepare(ImplicitLocOpBuilder &b, const RowInfo &rows) override {
    Ix x{b};
    end = x.read(lengths, rows.bi);
    hasFull = true;
    fullEnd = end;
    return {Value(), end};
  }
  Value rowKeyEnd(ImplicitLocOpBuilder &b, Value) override { return end; }

private:
  Value lengths;
};

/// #attn.document: the range of ids of the task's rows (once per task) and
/// of the step's keys (per step, O(kv-block)): disjoint ranges are empty,
/// one id on both sides is full. Sorted ids (packed documents) make most
/// steps one or the other.
class DocumentClassifier final : public MaskClassifier {
public:
  DocumentClassifier(Value qIds, Value kvIds) : qIds(qIds), kvIds(kvIds) {}
  void prepareCall(ImplicitLocOpBuilder &b, int64_t qBlock,
                           int64_t kvBlock) override {
    // blocks[b', k, 0 | 1]: the min | max id of kvIds[(b',) k * kvBlock ..
    // (k + 1) * kvBlock - 1], over the ids' own length; O(kv_len) per call.
    Ix x{b};
    auto type = cast<RankedTensorType>(kvIds.getType());
    bool batched = type.getRank() == 2;
    Value len = tensor::DimOp::create(b, kvIds, type.getRank() - 1);
    Value rows = batched ? tensor::DimOp::create(b, kvIds, 0).getResult()
                         : x.c(1);
    Value blockV = x.c(kvBlock);
    Value count = arith::CeilDivUIOp::create(b, len, blockV);
    block = kvBlock;
    blocks = buildGenerated(
        b, b.getLoc(), {rows, count, b.getIndexAttr(2)}, b.getI64Type(),
        [&](OpBuilder &nb, Location nl, ValueRange ix) -> Value {
          ImplicitLocOpBuilder ib(nl, nb);
          Ix y{ib};
          Value from = y.mul(ix[1], blockV);
          Value to = y.min(len, y.add(from, blockV));
          auto [lo, hi] = range(ib, kvIds, batched ? ix[0] : Value(), from,
                                to);
          Value id = y.select(y.eq(ix[2], y.c(0)), lo, hi);
          return arith::IndexCastOp::create(ib, ib.getI64Type(), id);
        });
  }
  KeySpan prepare(ImplicitLocOpBuilder &b, const RowInfo &rows) override {
    bi = rows.bi;
    Ix x{b};
    std::tie(qMin, qMax) = range(b, qIds, bi, rows.q0, x.add(rows.q0, rows.qRows));
    return {};
  }
  StepClass classify(ImplicitLocOpBuilder &b, Value j0, Value j1) override {
    Ix x{b};
    Value kMin, kMax;
    if (blocks) {
      // The blocks of the step's first and last keys (one block for a
      // step aligned at a multiple of the table's block, at most two for
      // any step of at most that many keys): O(1) per step.
      bool batched =
          cast<RankedTensorType>(kvIds.getType()).getRank() == 2;
      Value row = batched ? bi : x.c(0);
      Value first = arith::DivUIOp::create(b, j0, x.c(block));
      Value last = arith::DivUIOp::create(b, x.sub(j1, x.c(1)), x.c(block));
      kMin = x.min(x.read(blocks, {row, first, x.c(0)}),
                   x.read(blocks, {row, last, x.c(0)}));
      kMax = x.max(x.read(blocks, {row, first, x.c(1)}),
                   x.read(blocks, {row, last, x.c(1)}));
    } else {
      std::tie(kMin, kMax) = range(b, kvIds, bi, j0, j1);
    }
    StepClass c;
    c.empty = x.orI(x.lt(kMax, qMin), x.lt(qMax, kMin));
    c.full = x.andI(x.andI(x.eq(qMin, qMax), x.eq(kMin, kMax)),
                    x.eq(qMin, kMin));
    return c;
  }

private:
  /// min and max of ids[(bi,) from .. to - 1] (`bi` ignored for ids of
  /// rank 1); (INT64_MAX, INT64_MIN) when the range is empty, which classes
  /// every step as empty.
  static std::pair<Value, Value> range(ImplicitLocOpBuilder &b, Value ids,
                                       Value bi, Value from, Value to) {
    Ix x{b};
    bool batched = cast<RankedTensorType>(ids.getType()).getRank() == 2;
    Value none = x.c(std::numeric_limits<int64_t>::max());
    Value noneMax = x.c(std::numeric_limits<int64_t>::min());
    auto loop = scf::ForOp::create(
        b, from, to, x.c(1), ValueRange{none, noneMax},
        [&](OpBuilder &nb, Location nl, Value i, ValueRange acc) {
          ImplicitLocOpBuilder ib(nl, nb);
          Ix y{ib};
          Value id = batched ? y.read(ids, {bi, i}) : y.read(ids, i);
          scf::YieldOp::create(nb, nl,
                               ValueRange{y.min(acc[0], id), y.max(acc[1], id)});
        });
    return {loop.getResult(0), loop.getResult(1)};
  }

  Value qIds, kvIds, bi, qMin, qMax;
  Value blocks; // the per-call table of kv-block id ranges, if prepared
  int64_t block = 0;
};

/// No structure known (#attn.csr until the sparsity pass): every step is
/// partial.
class OpaqueClassifier final : public MaskClassifier {
public:
  KeySpan prepare(ImplicitLocOpBuilder &, const RowInfo &) override {
    return {};
  }
  StepClass classify(ImplicitLocOpBuilder &, Value, Value) override {
    return {};
  }
};

/// #attn.all_of (`all`) and #attn.any_of.
class CombinedClassifier final : public MaskClassifier {
public:
  CombinedClassifier(bool all,
                     SmallVector<std::unique_ptr<MaskClassifier>> parts)
      : all(all), parts(std::move(parts)) {}
  void prepareCall(ImplicitLocOpBuilder &b, int64_t qBlock,
                           int64_t kvBlock) override {
    for (auto &p : parts)
      p->prepareCall(b, qBlock, kvBlock);
  }
  KeySpan prepare(ImplicitLocOpBuilder &b, const RowInfo &rows) override {
    Ix x{b};
    KeySpan out;
    bool unboundedStart = false, unboundedEnd = false;
    for (auto &p : parts) {
      KeySpan s = p->prepare(b, rows);
      if (all) { // the intersection: the tightest bounds
        if (s.start)
          out.start = out.start ? x.max(out.start, s.start) : s.start;
        if (s.end)
          out.end = out.end ? x.min(out.end, s.end) : s.end;
        continue;
      }
      // The union: the loosest; unbounded if any part is.
      unboundedStart |= !s.start;
      unboundedEnd |= !s.end;
      if (s.start && !unboundedStart)
        out.start = out.start ? x.min(out.start, s.start) : s.start;
      if (s.end && !unboundedEnd)
        out.end = out.end ? x.max(out.end, s.end) : s.end;
    }
    if (unboundedStart)
      out.start = Value();
    if (unboundedEnd)
      out.end = Value();
    return out;
  }
  StepClass classify(ImplicitLocOpBuilder &b, Value j0, Value j1) override {
    Ix x{b};
    StepClass out;
    bool emptyKnown = true, fullKnown = true;
    for (auto &p : parts) {
      StepClass c = p->classify(b, j0, j1);
      if (all) { // empty if any part is; full if all are
        out.empty = x.orI(out.empty, c.empty);
        fullKnown &= bool(c.full);
        out.full = x.andI(out.full, c.full);
      } else { // empty if all parts are; full if any is
        emptyKnown &= bool(c.empty);
        out.empty = x.andI(out.empty, c.empty);
        out.full = x.orI(out.full, c.full);
      }
    }
    if (!fullKnown)
      out.full = Value();
    if (!emptyKnown)
      out.empty = Value();
    return out;
  }
  Value rowKeyEnd(ImplicitLocOpBuilder &b, Value query) override {
    // Prefixes intersect (min) and unite (max) into prefixes.
    Ix x{b};
    Value out;
    for (auto &p : parts) {
      Value e = p->rowKeyEnd(b, query);
      if (!e)
        return Value();
      out = !out ? e : all ? x.min(out, e) : x.max(out, e);
    }
    return out;
  }

private:
  bool all;
  SmallVector<std::unique_ptr<MaskClassifier>> parts;
};

} // namespace

std::unique_ptr<MaskClassifier>
tile::buildClassifier(Attribute mask, ValueRange captures, Value qLen,
                      Value kvLen) {
  auto combined = [&](bool all, ArrayAttr masks) {
    SmallVector<std::unique_ptr<MaskClassifier>> parts;
    for (Attribute m : masks)
      parts.push_back(buildClassifier(m, captures, qLen, kvLen));
    return std::make_unique<CombinedClassifier>(all, std::move(parts));
  };
  return llvm::TypeSwitch<Attribute, std::unique_ptr<MaskClassifier>>(mask)
      .Case([&](CausalAttr a) {
        return std::make_unique<BandClassifier>(a.getAlignment(), std::nullopt,
                                                0, qLen, kvLen);
      })
      .Case([&](WindowAttr a) {
        return std::make_unique<BandClassifier>(
            a.getAlignment(), a.getLeft(), a.getRight(), qLen, kvLen);
      })
      .Case([&](StridedAttr a) {
        return std::make_unique<StridedClassifier>(
            a.getStride(), a.getAlignment(), qLen, kvLen);
      })
      .Case([&](GlobalTokensAttr a) {
        return std::make_unique<GlobalClassifier>(a.getCount(), kvLen);
      })
      .Case([&](BlockLayoutAttr a) {
        return std::make_unique<LayoutClassifier>(a);
      })
      .Case([&](KeyPaddingAttr a) {
        return std::make_unique<PaddingClassifier>(captures[a.getLengths()]);
      })
      .Case([&](DocumentAttr a) {
        return std::make_unique<DocumentClassifier>(captures[a.getIds()],
                                                    captures[a.getKeyIds()]);
      })
      .Case([&](AllOfAttr a) { return combined(true, a.getMasks()); })
      .Case([&](AnyOfAttr a) { return combined(false, a.getMasks()); })
      .Default([&](Attribute) { return std::make_unique<OpaqueClassifier>(); });
}

//===----------------------------------------------------------------------===//
// NamedMaskStage
//===----------------------------------------------------------------------===//

NamedMaskStage::NamedMaskStage(ArrayRef<Attribute> masks, ValueRange captures,
                               Value qLen, Value kvLen)
    : region(std::make_unique<Region>()) {
  // The keep-predicate, on the block arguments a mask_mod has, then the
  // lengths as two more captures.
  MLIRContext *ctx = qLen.getContext();
  Location loc = qLen.getLoc();
  cloner = buildModCloner(*region, /*hasScore=*/false, captures, qLen, kvLen,
                          /*qHeads=*/Value(),
                          [&](OpBuilder &b, Value, const MaskCoords &at) {
                            return buildMasksKeep(b, loc, masks, at);
                          });
  classifier = buildClassifier(AllOfAttr::get(ctx, ArrayAttr::get(ctx, masks)),
                               captures, qLen, kvLen);
}

NamedMaskStage::~NamedMaskStage() = default;

Value NamedMaskStage::apply(KernelBuilder &kb, const Task &task, Value score,
                            const ScoreCoords &at) {
  float negInf = -std::numeric_limits<float>::infinity();
  if (at.rowVec < 0) {
    Value keep =
        cloner->applyScalar(kb, Value(), task.bi, at.head, at.query, at.key);
    return arith::SelectOp::create(kb.b, keep, score, kb.f32Const(negInf));
  }
  Value keep = cloner->applyVector(kb, at.rowVec, at.key, Value());
  return arith::SelectOp::create(kb.b, keep, score, kb.splat(negInf));
}

//===----------------------------------------------------------------------===//
// CsrStage
//===----------------------------------------------------------------------===//

/// The first position p in [lo, hi) with columns[p] >= key (hi if none).
static Value lowerBound(ImplicitLocOpBuilder &b, Value columns, Value lo,
                        Value hi, Value key) {
  return buildBisection(b, lo, hi,
                        [&](ImplicitLocOpBuilder &ib, Value l, Value h) {
                          Ix x{ib};
                          Value mid = x.add(
                              l, arith::ShRUIOp::create(ib, x.sub(h, l),
                                                        x.c(1)));
                          Value less = x.lt(x.read(columns, mid), key);
                          return std::pair<Value, Value>{
                              x.select(less, x.add(mid, x.c(1)), l),
                              x.select(less, h, mid)};
                        })
      .first;
}

KeySpan CsrStage::prepareTask(ImplicitLocOpBuilder &b, const RowInfo &rows) {
  Ix x{b};
  rowQ0 = rows.q0;
  rowQ1 = x.add(rows.q0, rows.qRows);
  return {};
}

StepClass CsrStage::classifyStep(ImplicitLocOpBuilder &b, Value j0,
                                 Value j1) {
  // Empty when no row of the task has an edge with its column in [j0, j1):
  // rows are searched in order until one has (dense rows: the first).
  Ix x{b};
  Type index = b.getIndexType(), i1 = b.getI1Type();
  Value no = arith::ConstantIntOp::create(b, 0, 1);
  auto loop = scf::WhileOp::create(
      b, TypeRange{index, i1}, ValueRange{rowQ0, no},
      [&](OpBuilder &nb, Location nl, ValueRange s) {
        ImplicitLocOpBuilder ib(nl, nb);
        Ix y{ib};
        Value go = y.andI(y.lt(s[0], rowQ1), y.notI(s[1]));
        scf::ConditionOp::create(ib, go, s);
      },
      [&](OpBuilder &nb, Location nl, ValueRange s) {
        ImplicitLocOpBuilder ib(nl, nb);
        Ix y{ib};
        Value start = y.read(offsets, s[0]);
        Value end = y.read(offsets, y.add(s[0], y.c(1)));
        Value lb = lowerBound(ib, columns, start, end, j0);
        auto has = scf::IfOp::create(
            ib, y.lt(lb, end),
            [&](OpBuilder &tb, Location tl) {
              ImplicitLocOpBuilder jb(tl, tb);
              Ix z{jb};
              scf::YieldOp::create(jb, z.lt(z.read(columns, lb), j1));
            },
            [&](OpBuilder &tb, Location tl) {
              scf::YieldOp::create(tb, tl,
                                   arith::ConstantIntOp::create(tb, tl, 0, 1)
                                       .getResult());
            });
        scf::YieldOp::create(ib,
                             ValueRange{y.add(s[0], y.c(1)), has.getResult(0)});
      });
  return {x.notI(loop.getResult(1)), Value()};
}

void CsrStage::beginStep(KernelBuilder &kb, const Task &task,
                         const StepInfo &step) {
  // Mᵀ [kv-block, q-block]: -inf, then 0 at (column - j0, row) for each
  // edge of each row in the step.
  ImplicitLocOpBuilder &b = kb.b;
  Ix x{b};
  Value tile = buildFilledTensor(
      b, b.getLoc(),
      ArrayRef<OpFoldResult>{b.getIndexAttr(task.kvBlock),
                             b.getIndexAttr(kb.cfg.qBlock())},
      -std::numeric_limits<float>::infinity());
  Value j1 = x.add(step.j0, step.n);
  Value zeroF = kb.f32Const(0.0f);
  auto rows = scf::ForOp::create(
      b, x.c(0), task.rows, x.c(1), ValueRange{tile},
      [&](OpBuilder &nb, Location nl, Value r, ValueRange acc) {
        ImplicitLocOpBuilder ib(nl, nb);
        Ix y{ib};
        Value q = y.add(task.q0, r);
        Value start = y.read(offsets, q);
        Value end = y.read(offsets, y.add(q, y.c(1)));
        Value lb = lowerBound(ib, columns, start, end, step.j0);
        Value ub = lowerBound(ib, columns, lb, end, j1);
        auto edges = scf::ForOp::create(
            ib, lb, ub, y.c(1), acc,
            [&](OpBuilder &eb, Location el, Value p, ValueRange t) {
              ImplicitLocOpBuilder jb(el, eb);
              Ix z{jb};
              // Sorted rows put every column here in [j0, j1); unsorted
              // ones (invalid data) must still not write outside the tile.
              Value col = z.sub(z.read(columns, p), step.j0);
              Value inside = arith::CmpIOp::create(
                  jb, arith::CmpIPredicate::ult, col, step.n);
              auto put = scf::IfOp::create(
                  jb, inside,
                  [&](OpBuilder &ib2, Location il) {
                    scf::YieldOp::create(
                        ib2, il,
                        tensor::InsertOp::create(ib2, il, zeroF, t[0],
                                                 ValueRange{col, r})
                            .getResult());
                  },
                  [&](OpBuilder &ib2, Location il) {
                    scf::YieldOp::create(ib2, il, t[0]);
                  });
              scf::YieldOp::create(jb, put.getResults());
            });
        scf::YieldOp::create(ib, edges.getResults());
      });
  stepTerms = rows.getResult(0);
}

std::pair<Value, Value> CsrStage::listedKeys(ImplicitLocOpBuilder &b,
                                             Value query, Value kvStart,
                                             Value kvEnd) {
  // The row's positions, clipped to the column list (rows past its end are
  // invalid data: they must not read outside it), then the keys in
  // [kvStart, kvEnd) by two binary searches.
  Ix x{b};
  Value size = tensor::DimOp::create(b, columns, 0);
  auto clip = [&](Value pos) { return x.max(x.c(0), x.min(pos, size)); };
  Value start = clip(x.read(offsets, query));
  Value end = x.max(start, clip(x.read(offsets, x.add(query, x.c(1)))));
  std::optional<int64_t> from = getConstantIntValue(kvStart);
  Value lb = from && *from == 0 ? start
                                : lowerBound(b, columns, start, end, kvStart);
  Value ub = lowerBound(b, columns, lb, end, kvEnd);
  return {lb, ub};
}

Value CsrStage::listedKey(ImplicitLocOpBuilder &b, Value p) {
  return Ix{b}.read(columns, p);
}

Value CsrStage::listedCount(ImplicitLocOpBuilder &b, Value q0, Value q1) {
  Ix x{b};
  return x.sub(x.read(offsets, q1), x.read(offsets, q0));
}

Value CsrStage::apply(KernelBuilder &kb, const Task &task, Value score,
                      const ScoreCoords &at) {
  if (at.rowVec < 0) { // the decode body: one search per score
    MaskCoords coords{task.bi, at.head, at.query, at.key, Value(), Value(),
                      ValueRange{}};
    SmallVector<Value> caps(std::max(attr.getOffsets(), attr.getColumns()) + 1,
                            Value());
    caps[attr.getOffsets()] = offsets;
    caps[attr.getColumns()] = columns;
    coords.captures = caps;
    Value keep = attr.buildKeep(kb.b, kb.b.getLoc(), coords);
    return arith::SelectOp::create(
        kb.b, keep, score,
        kb.f32Const(-std::numeric_limits<float>::infinity()));
  }
  return arith::AddFOp::create(kb.b, score,
                               kb.readVec(stepTerms, at.jLocal, at.rowVec));
}
