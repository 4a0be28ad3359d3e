//===- ModIntervals.cpp - Block classes of a mask_mod region ----------------===//
//
// The abstract interpretation of ModIntervals.h. Written here rather than
// taken from MLIR's IntegerRangeAnalysis: that one infers static ranges at
// compile time, while a step's ranges are only known at run time (they
// depend on the task and the step), so the bounds here are emitted as IR.
//
//===----------------------------------------------------------------------===//
#include "passes/tile/ModIntervals.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <functional>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::tile;

namespace {

/// Index values are classed below this bound (guarded at run time), so that
/// products of two stay far from i64 overflow.
constexpr uint64_t kIndexBound = uint64_t(1) << 31;
/// No interval's magnitude exceeds this (else it is unknown), so that the
/// bounds of a sum or product of two are computed without overflow.
constexpr uint64_t kMaxMagnitude = uint64_t(1) << 62;

/// [lo, hi] as i64 values; |x| <= mag for every x in it (static); nonneg if
/// lo >= 0 is known statically.
struct Interval {
  Value lo, hi;
  uint64_t mag = 0;
  bool nonneg = false;
};

/// What the evaluation knows of one value of the region over the box.
struct Abstract {
  enum Kind { Top, Point, Int, Bool } kind = Top;
  Value point;             // Point: the value (the region's type)
  Interval iv;             // Int
  Value mayTrue, mayFalse; // Bool: i1s
};

unsigned widthOf(Type t) {
  if (t.isIndex())
    return 64;
  if (auto it = dyn_cast<IntegerType>(t))
    return it.getWidth();
  return 0;
}

class Evaluator {
public:
  Evaluator(ImplicitLocOpBuilder &b, const ModTables *tables)
      : b(b), tables(tables) {
    ok = truth(true);
  }

  ImplicitLocOpBuilder &b;
  const ModTables *tables;
  llvm::DenseMap<Value, Abstract> values;
  /// The run-time guards so far (the step is classed only if they hold).
  Value ok;

  //--- Scalar IR, folded as it is built -------------------------------------
  Value i64(int64_t c) { return arith::ConstantIntOp::create(b, c, 64); }
  Value truth(bool c) { return arith::ConstantIntOp::create(b, c, 1); }
  Value add(Value x, Value y) { return b.createOrFold<arith::AddIOp>(x, y); }
  Value sub(Value x, Value y) { return b.createOrFold<arith::SubIOp>(x, y); }
  Value mul(Value x, Value y) { return b.createOrFold<arith::MulIOp>(x, y); }
  Value min(Value x, Value y) { return b.createOrFold<arith::MinSIOp>(x, y); }
  Value max(Value x, Value y) { return b.createOrFold<arith::MaxSIOp>(x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return b.createOrFold<arith::CmpIOp>(p, x, y);
  }
  Value lt(Value x, Value y) { return cmp(arith::CmpIPredicate::slt, x, y); }
  Value le(Value x, Value y) { return cmp(arith::CmpIPredicate::sle, x, y); }
  Value eq(Value x, Value y) { return cmp(arith::CmpIPredicate::eq, x, y); }
  Value andI(Value x, Value y) { return b.createOrFold<arith::AndIOp>(x, y); }
  Value orI(Value x, Value y) { return b.createOrFold<arith::OrIOp>(x, y); }
  Value notI(Value x) { return b.createOrFold<arith::XOrIOp>(x, truth(true)); }
  Value select(Value c, Value x, Value y) {
    return b.createOrFold<arith::SelectOp>(c, x, y);
  }
  void guard(Value cond) { ok = andI(ok, cond); }
  void requireNonNeg(const Interval &iv) {
    if (!iv.nonneg)
      guard(le(i64(0), iv.lo));
  }
  /// `v` (an integer or index) sign-extended to i64.
  Value toI64(Value v) {
    unsigned w = widthOf(v.getType());
    if (v.getType().isIndex())
      return b.createOrFold<arith::IndexCastOp>(b.getI64Type(), v);
    if (w < 64)
      return b.createOrFold<arith::ExtSIOp>(b.getI64Type(), v);
    return v;
  }

  //--- Abstract values -------------------------------------------------------
  Abstract lookup(Value v) const {
    auto it = values.find(v);
    return it == values.end() ? Abstract() : it->second;
  }
  static Abstract point(Value v) {
    Abstract a;
    a.kind = Abstract::Point;
    a.point = v;
    return a;
  }
  /// The width of the integer `v` sign-extends (index_cast, extsi), if
  /// narrower than 64 bits (else 0).
  static unsigned narrowSource(Value v) {
    Operation *def = v.getDefiningOp();
    if (!isa_and_nonnull<arith::IndexCastOp, arith::ExtSIOp>(def))
      return 0;
    unsigned w = widthOf(def->getOperand(0).getType());
    if (w >= 2 && w < 64)
      return w;
    return 0;
  }
  /// The interval of an integer value (null: unknown or not an integer).
  std::optional<Interval> asInt(const Abstract &a) {
    if (a.kind == Abstract::Int)
      return a.iv;
    if (a.kind != Abstract::Point)
      return std::nullopt;
    unsigned w = widthOf(a.point.getType());
    if (w < 2)
      return std::nullopt;
    Interval iv;
    iv.lo = iv.hi = toI64(a.point);
    if (std::optional<int64_t> c = getConstantIntValue(a.point)) {
      iv.mag = *c < 0 ? uint64_t(-(*c + 1)) + 1 : uint64_t(*c);
      iv.nonneg = *c >= 0;
      if (iv.mag > kMaxMagnitude)
        return std::nullopt;
    } else if (w <= 32) {
      iv.mag = uint64_t(1) << (w - 1);
    } else if (unsigned from = narrowSource(a.point)) {
      // A narrow value widened (an i32 length as an index): its bound.
      iv.mag = uint64_t(1) << (from - 1);
    } else {
      int64_t bound = int64_t(kIndexBound) - 1;
      guard(andI(le(i64(-bound), iv.lo), le(iv.hi, i64(bound))));
      iv.mag = uint64_t(bound);
    }
    return iv;
  }
  /// Whether an i1 may be true and may be false (unknown: both).
  std::pair<Value, Value> asBool(const Abstract &a) {
    if (a.kind == Abstract::Bool)
      return {a.mayTrue, a.mayFalse};
    if (a.kind == Abstract::Point && a.point.getType().isInteger(1))
      return {a.point, notI(a.point)};
    return {truth(true), truth(true)};
  }
  void setBool(Value r, Value mayTrue, Value mayFalse) {
    Abstract a;
    a.kind = Abstract::Bool;
    a.mayTrue = mayTrue;
    a.mayFalse = mayFalse;
    values[r] = a;
  }
  /// `iv` as the value of `r`, checked to fit r's type: the region computes
  /// r in its own width, so bounds past that width would have wrapped.
  void setInt(Value r, Interval iv) {
    unsigned w = widthOf(r.getType());
    if (w < 2 || iv.mag > kMaxMagnitude)
      return;
    if (w < 64) {
      uint64_t limit = uint64_t(1) << (w - 1); // the range is [-limit, limit)
      if (iv.mag >= limit) {
        guard(andI(le(i64(-int64_t(limit)), iv.lo),
                   lt(iv.hi, i64(int64_t(limit)))));
        iv.mag = limit;
      }
    }
    Abstract a;
    a.kind = Abstract::Int;
    a.iv = iv;
    values[r] = a;
  }

  //--- The rules ---------------------------------------------------------------
  void eval(Operation &op);
  void evalInt(Operation &op);
  void evalTableRead(tensor::ExtractOp op, const ModTables::Table &t);
  /// A positive divisor or shift `d`, a point: its interval (null: unknown
  /// or not positive).
  std::optional<Interval> positive(Value d) {
    Abstract a = lookup(d);
    if (a.kind != Abstract::Point)
      return std::nullopt;
    std::optional<Interval> iv = asInt(a);
    if (!iv)
      return std::nullopt;
    if (std::optional<int64_t> c = getConstantIntValue(a.point)) {
      if (*c <= 0)
        return std::nullopt;
    } else {
      // Guarded, and divided by 1 where the guard fails, so that the
      // emitted divisions never trap.
      Value positive = le(i64(1), iv->lo);
      guard(positive);
      iv->lo = iv->hi = select(positive, iv->lo, i64(1));
    }
    iv->nonneg = true;
    return iv;
  }
};

void Evaluator::eval(Operation &op) {
  // Every operand a point: the exact value, by cloning the op.
  if (llvm::all_of(op.getOperands(), [&](Value v) {
        return lookup(v).kind == Abstract::Point;
      })) {
    IRMapping map;
    for (Value v : op.getOperands())
      map.map(v, lookup(v).point);
    Operation *c = b.clone(op, map);
    for (auto [r, cr] : llvm::zip(op.getResults(), c->getResults()))
      values[r] = point(cr);
    return;
  }
  if (op.getNumResults() != 1)
    return;
  Value r = op.getResult(0);
  if (r.getType().isInteger(1)) {
    // Booleans: compares of intervals, logic and select of booleans.
    auto boolOf = [&](Value v) { return asBool(lookup(v)); };
    TypeSwitch<Operation *>(&op)
        .Case([&](arith::AndIOp o) {
          auto [xt, xf] = boolOf(o.getLhs());
          auto [yt, yf] = boolOf(o.getRhs());
          setBool(r, andI(xt, yt), orI(xf, yf));
        })
        .Case([&](arith::OrIOp o) {
          auto [xt, xf] = boolOf(o.getLhs());
          auto [yt, yf] = boolOf(o.getRhs());
          setBool(r, orI(xt, yt), andI(xf, yf));
        })
        .Case([&](arith::XOrIOp o) {
          auto [xt, xf] = boolOf(o.getLhs());
          auto [yt, yf] = boolOf(o.getRhs());
          setBool(r, orI(andI(xt, yf), andI(xf, yt)),
                  orI(andI(xt, yt), andI(xf, yf)));
        })
        .Case([&](arith::SelectOp o) {
          auto [ct, cf] = boolOf(o.getCondition());
          auto [xt, xf] = boolOf(o.getTrueValue());
          auto [yt, yf] = boolOf(o.getFalseValue());
          setBool(r, orI(andI(ct, xt), andI(cf, yt)),
                  orI(andI(ct, xf), andI(cf, yf)));
        })
        .Case([&](arith::CmpIOp o) {
          std::optional<Interval> x = asInt(lookup(o.getLhs()));
          std::optional<Interval> y = asInt(lookup(o.getRhs()));
          if (!x || !y)
            return; // unknown: may be either
          using P = arith::CmpIPredicate;
          P p = o.getPredicate();
          // Unsigned compares of non-negative values are the signed ones.
          switch (p) {
          case P::ult: case P::ule: case P::ugt: case P::uge:
            requireNonNeg(*x);
            requireNonNeg(*y);
            p = p == P::ult   ? P::slt
                : p == P::ule ? P::sle
                : p == P::ugt ? P::sgt
                              : P::sge;
            break;
          default:
            break;
          }
          switch (p) {
          case P::slt: // x < y may hold iff x.lo < y.hi
            setBool(r, lt(x->lo, y->hi), le(y->lo, x->hi));
            break;
          case P::sle:
            setBool(r, le(x->lo, y->hi), lt(y->lo, x->hi));
            break;
          case P::sgt:
            setBool(r, lt(y->lo, x->hi), le(x->lo, y->hi));
            break;
          case P::sge:
            setBool(r, le(y->lo, x->hi), lt(x->lo, y->hi));
            break;
          case P::eq:
          case P::ne: {
            Value overlap = andI(le(x->lo, y->hi), le(y->lo, x->hi));
            Value same = andI(andI(eq(x->lo, x->hi), eq(y->lo, y->hi)),
                              eq(x->lo, y->lo));
            if (p == P::eq)
              setBool(r, overlap, notI(same));
            else
              setBool(r, notI(same), overlap);
            break;
          }
          default:
            break;
          }
        })
        .Case([&](arith::TruncIOp o) {
          // To i1: the low bit; known only for a 0/1 input.
          std::optional<Interval> x = asInt(lookup(o.getIn()));
          if (!x)
            return;
          guard(andI(le(i64(0), x->lo), le(x->hi, i64(1))));
          setBool(r, eq(x->hi, i64(1)), eq(x->lo, i64(0)));
        });
    return;
  }
  if (widthOf(r.getType()) >= 2)
    evalInt(op);
}

void Evaluator::evalInt(Operation &op) {
  Value r = op.getResult(0);
  auto intOf = [&](Value v) { return asInt(lookup(v)); };
  auto binary = [&](Operation *o)
      -> std::optional<std::pair<Interval, Interval>> {
    std::optional<Interval> x = intOf(o->getOperand(0));
    std::optional<Interval> y = intOf(o->getOperand(1));
    if (!x || !y)
      return std::nullopt;
    return std::make_pair(*x, *y);
  };
  auto satAdd = [](uint64_t x, uint64_t y) {
    return llvm::SaturatingAdd(x, y);
  };
  auto satMul = [](uint64_t x, uint64_t y) {
    return llvm::SaturatingMultiply(x, y);
  };
  // A monotone non-decreasing map of the bounds (division by a positive d).
  auto monotone = [&](Interval x, auto fn) {
    Interval iv;
    iv.lo = fn(x.lo);
    iv.hi = fn(x.hi);
    iv.mag = x.mag;
    iv.nonneg = x.nonneg;
    return iv;
  };
  // Remainder by a positive d (signed; the sign of the dividend): exact
  // where the quotient is the same at both ends (x - d * q is monotone
  // there), else [0 or 1 - d, 0 or d - 1] by the signs of the ends.
  auto remainder = [&](Interval x, Interval d) {
    Value same = eq(b.createOrFold<arith::DivSIOp>(x.lo, d.lo),
                    b.createOrFold<arith::DivSIOp>(x.hi, d.lo));
    Value dm1 = sub(d.lo, i64(1));
    Interval iv;
    iv.lo = select(same, b.createOrFold<arith::RemSIOp>(x.lo, d.lo),
                   x.nonneg ? i64(0)
                            : select(le(i64(0), x.lo), i64(0),
                                     sub(i64(0), dm1)));
    iv.hi = select(same, b.createOrFold<arith::RemSIOp>(x.hi, d.lo),
                   select(le(x.hi, i64(0)), i64(0), dm1));
    iv.mag = std::min(x.mag, d.mag);
    iv.nonneg = x.nonneg;
    return iv;
  };
  if (auto read = dyn_cast<tensor::ExtractOp>(op); read && tables) {
    auto it = tables->reads.find(&op);
    if (it != tables->reads.end())
      evalTableRead(read, it->second);
    return;
  }
  TypeSwitch<Operation *>(&op)
      .Case([&](arith::AddIOp o) {
        if (auto xy = binary(o)) {
          auto [x, y] = *xy;
          uint64_t mag = satAdd(x.mag, y.mag);
          if (mag > kMaxMagnitude)
            return;
          setInt(r, {add(x.lo, y.lo), add(x.hi, y.hi), mag,
                     x.nonneg && y.nonneg});
        }
      })
      .Case([&](arith::SubIOp o) {
        if (auto xy = binary(o)) {
          auto [x, y] = *xy;
          uint64_t mag = satAdd(x.mag, y.mag);
          if (mag > kMaxMagnitude)
            return;
          // Of two non-negative values: in [-y.mag, x.mag].
          if (x.nonneg && y.nonneg)
            mag = std::max(x.mag, y.mag);
          setInt(r, {sub(x.lo, y.hi), sub(x.hi, y.lo), mag, false});
        }
      })
      .Case([&](arith::MulIOp o) {
        if (auto xy = binary(o)) {
          auto [x, y] = *xy;
          uint64_t mag = satMul(x.mag, y.mag);
          if (mag > kMaxMagnitude)
            return;
          if (x.nonneg && y.nonneg) {
            setInt(r, {mul(x.lo, y.lo), mul(x.hi, y.hi), mag, true});
            return;
          }
          Value p[4] = {mul(x.lo, y.lo), mul(x.lo, y.hi), mul(x.hi, y.lo),
                        mul(x.hi, y.hi)};
          setInt(r, {min(min(p[0], p[1]), min(p[2], p[3])),
                     max(max(p[0], p[1]), max(p[2], p[3])), mag, false});
        }
      })
      .Case<arith::MinSIOp, arith::MaxSIOp, arith::MinUIOp, arith::MaxUIOp>(
          [&](Operation *o) {
            auto xy = binary(o);
            if (!xy)
              return;
            auto [x, y] = *xy;
            if (isa<arith::MinUIOp, arith::MaxUIOp>(o)) {
              requireNonNeg(x);
              requireNonNeg(y);
              x.nonneg = y.nonneg = true;
            }
            bool isMin = isa<arith::MinSIOp, arith::MinUIOp>(o);
            Interval iv;
            iv.lo = isMin ? min(x.lo, y.lo) : max(x.lo, y.lo);
            iv.hi = isMin ? min(x.hi, y.hi) : max(x.hi, y.hi);
            iv.mag = std::max(x.mag, y.mag);
            iv.nonneg = isMin ? x.nonneg && y.nonneg : x.nonneg || y.nonneg;
            setInt(r, iv);
          })
      .Case<arith::DivSIOp, arith::DivUIOp, arith::FloorDivSIOp,
            arith::CeilDivSIOp, arith::CeilDivUIOp, arith::RemSIOp,
            arith::RemUIOp>([&](Operation *o) {
        std::optional<Interval> x = intOf(o->getOperand(0));
        std::optional<Interval> d = positive(o->getOperand(1));
        if (!x || !d)
          return;
        if (isa<arith::DivUIOp, arith::CeilDivUIOp, arith::RemUIOp>(o)) {
          requireNonNeg(*x);
          x->nonneg = true;
        }
        Value dv = d->lo;
        if (isa<arith::RemSIOp, arith::RemUIOp>(o))
          setInt(r, remainder(*x, *d));
        else if (isa<arith::FloorDivSIOp>(o))
          setInt(r, monotone(*x, [&](Value v) {
                   return b.createOrFold<arith::FloorDivSIOp>(v, dv);
                 }));
        else if (isa<arith::CeilDivSIOp, arith::CeilDivUIOp>(o))
          setInt(r, monotone(*x, [&](Value v) {
                   return b.createOrFold<arith::CeilDivSIOp>(v, dv);
                 }));
        else
          setInt(r, monotone(*x, [&](Value v) {
                   return b.createOrFold<arith::DivSIOp>(v, dv);
                 }));
      })
      .Case<arith::ShLIOp, arith::ShRSIOp, arith::ShRUIOp>([&](Operation *o) {
        // By a constant amount only: x * 2^c, or floor(x / 2^c).
        std::optional<Interval> x = intOf(o->getOperand(0));
        std::optional<int64_t> c = getConstantIntValue(o->getOperand(1));
        if (Abstract s = lookup(o->getOperand(1)); s.kind == Abstract::Point)
          c = getConstantIntValue(s.point);
        // (A shift by the width or more is poison: unknown.)
        if (!x || !c || *c < 0 || *c >= 62 ||
            *c >= int64_t(widthOf(r.getType())))
          return;
        Value pow = i64(int64_t(1) << *c);
        if (isa<arith::ShLIOp>(o)) {
          uint64_t mag = satMul(x->mag, uint64_t(1) << *c);
          if (mag > kMaxMagnitude)
            return;
          setInt(r, {mul(x->lo, pow), mul(x->hi, pow), mag, x->nonneg});
          return;
        }
        if (isa<arith::ShRUIOp>(o)) {
          requireNonNeg(*x);
          x->nonneg = true;
        }
        setInt(r, monotone(*x, [&](Value v) {
                 return b.createOrFold<arith::FloorDivSIOp>(v, pow);
               }));
      })
      .Case([&](arith::AndIOp o) {
        // x & c for a non-negative point c: in [0, c].
        for (Value m : {o.getRhs(), o.getLhs()}) {
          Abstract a = lookup(m);
          if (a.kind != Abstract::Point)
            continue;
          std::optional<Interval> c = asInt(a);
          if (!c)
            return;
          requireNonNeg(*c);
          setInt(r, {i64(0), c->hi, c->mag, true});
          return;
        }
      })
      .Case([&](arith::SelectOp o) {
        std::optional<Interval> x = intOf(o.getTrueValue());
        std::optional<Interval> y = intOf(o.getFalseValue());
        if (!x || !y)
          return;
        auto [ct, cf] = asBool(lookup(o.getCondition()));
        Interval iv;
        iv.lo = select(ct, select(cf, min(x->lo, y->lo), x->lo), y->lo);
        iv.hi = select(ct, select(cf, max(x->hi, y->hi), x->hi), y->hi);
        iv.mag = std::max(x->mag, y->mag);
        iv.nonneg = x->nonneg && y->nonneg;
        setInt(r, iv);
      })
      .Case<arith::ExtSIOp, arith::ExtUIOp, arith::TruncIOp,
            arith::IndexCastOp, arith::IndexCastUIOp>([&](Operation *o) {
        Value in = o->getOperand(0);
        Abstract a = lookup(in);
        unsigned from = widthOf(in.getType()), to = widthOf(r.getType());
        if (from == 1) {
          // An i1 extended: 0/1 (unsigned) or 0/-1 (signed).
          auto [t, f] = asBool(a);
          // (index_cast sign-extends, as extsi does.)
          bool isSigned = isa<arith::ExtSIOp, arith::IndexCastOp>(o);
          Value one = i64(isSigned ? -1 : 1);
          Interval iv;
          iv.lo = isSigned ? select(t, one, i64(0)) : select(f, i64(0), one);
          iv.hi = isSigned ? select(f, i64(0), one) : select(t, one, i64(0));
          iv.mag = 1;
          iv.nonneg = !isSigned;
          setInt(r, iv);
          return;
        }
        std::optional<Interval> x = asInt(a);
        if (!x)
          return;
        // A zero extension keeps the value of a non-negative input; every
        // other cast keeps the value when it fits (setInt checks that).
        if (isa<arith::ExtUIOp, arith::IndexCastUIOp>(o) && to > from) {
          requireNonNeg(*x);
          x->nonneg = true;
        }
        setInt(r, *x);
      });
}

void Evaluator::evalTableRead(tensor::ExtractOp op,
                              const ModTables::Table &t) {
  // The other indices are points (the same over the step); the varying one
  // an interval [lo, hi] inside the dim, covering at most two blocks.
  SmallVector<Value> at;
  for (auto [k, index] : llvm::enumerate(op.getIndices())) {
    if (k == t.dim) {
      at.push_back(Value());
      continue;
    }
    Abstract a = lookup(index);
    if (a.kind != Abstract::Point)
      return;
    at.push_back(a.point);
  }
  std::optional<Interval> x = asInt(lookup(op.getIndices()[t.dim]));
  if (!x)
    return;
  Value size = toI64(t.dimSize), last = sub(size, i64(1));
  requireNonNeg(*x);
  guard(lt(x->hi, size));
  // Clamped, so that the table reads stay in bounds when a guard fails.
  auto blockOf = [&](Value v) -> Value {
    Value in = max(i64(0), min(v, last));
    return b.createOrFold<arith::DivSIOp>(in, i64(t.block));
  };
  Value first = blockOf(x->lo), lastBlock = blockOf(x->hi);
  guard(le(sub(lastBlock, first), i64(1)));
  auto read = [&](Value blockIndex, int64_t which) {
    SmallVector<Value> ix(at);
    ix[t.dim] =
        b.createOrFold<arith::IndexCastOp>(b.getIndexType(), blockIndex);
    ix.push_back(arith::ConstantIndexOp::create(b, which));
    return tensor::ExtractOp::create(b, t.values, ix).getResult();
  };
  Interval iv;
  iv.lo = min(read(first, 0), read(lastBlock, 0));
  iv.hi = max(read(first, 1), read(lastBlock, 1));
  unsigned w = widthOf(op.getType());
  if (w <= 32) {
    iv.mag = uint64_t(1) << (w - 1);
  } else {
    int64_t bound = int64_t(kIndexBound) - 1;
    guard(andI(le(i64(-bound), iv.lo), le(iv.hi, i64(bound))));
    iv.mag = uint64_t(bound);
  }
  setInt(op.getResult(), iv);
}

/// The ops of a mod block that its yield depends on, in order.
SmallVector<Operation *> liveOps(Block *block) {
  llvm::DenseSet<Value> live = {block->getTerminator()->getOperand(0)};
  SmallVector<Operation *> ops;
  for (Operation &op : llvm::reverse(block->without_terminator())) {
    if (llvm::none_of(op.getResults(),
                      [&](Value r) { return live.contains(r); }))
      continue;
    ops.push_back(&op);
    live.insert(op.getOperands().begin(), op.getOperands().end());
  }
  std::reverse(ops.begin(), ops.end());
  return ops;
}

} // namespace

ModTables tile::buildModTables(ImplicitLocOpBuilder &b, Block *block,
                               ValueRange captures, int64_t qBlock,
                               int64_t kvBlock) {
  // Which values depend on q_idx and which on kv_idx.
  enum { kQuery = 2, kKey = 3, kCaptures = 4 };
  llvm::DenseSet<Value> onQuery = {block->getArgument(kQuery)};
  llvm::DenseSet<Value> onKey = {block->getArgument(kKey)};
  ModTables tables;
  // (Tables only for reads the yield uses: each costs a pass over its
  // tensor per call.)
  SmallVector<Operation *> used = liveOps(block);
  llvm::DenseSet<Operation *> live(used.begin(), used.end());
  for (Operation &op : block->without_terminator()) {
    bool q = llvm::any_of(op.getOperands(),
                          [&](Value v) { return onQuery.contains(v); });
    bool k = llvm::any_of(op.getOperands(),
                          [&](Value v) { return onKey.contains(v); });
    if (q)
      onQuery.insert(op.getResults().begin(), op.getResults().end());
    if (k)
      onKey.insert(op.getResults().begin(), op.getResults().end());
    auto read = dyn_cast<tensor::ExtractOp>(op);
    if (!read || !live.contains(&op) || (q && k) || (!q && !k))
      continue;
    auto arg = dyn_cast<BlockArgument>(read.getTensor());
    // (Signless integers and index only: extsi and the i64 compares are
    // for them; i1 reads are booleans, not tabled.)
    unsigned w = widthOf(read.getType());
    if (!arg || arg.getOwner() != block || arg.getArgNumber() < kCaptures ||
        !read.getType().isSignlessIntOrIndex() || w < 2)
      continue;
    // Exactly one varying index, q_idx or kv_idx plus an offset that does
    // not vary (doc[b, kv_idx], offsets[q_idx + 1]): its range over a step
    // is as wide as the step's rows or keys, so it covers at most two
    // blocks. (A table for an index that moves further, such as a binary
    // search's probe, could never bound a step, and would cost a pass
    // over its tensor per call.)
    std::function<bool(Value)> shifted = [&](Value v) -> bool {
      if (v == block->getArgument(kQuery) || v == block->getArgument(kKey))
        return true;
      Operation *def = v.getDefiningOp();
      auto fixed = [&](Value o) {
        return !onQuery.contains(o) && !onKey.contains(o);
      };
      if (isa_and_nonnull<arith::IndexCastOp, arith::ExtSIOp>(def))
        return shifted(def->getOperand(0));
      if (isa_and_nonnull<arith::AddIOp>(def))
        return (shifted(def->getOperand(0)) && fixed(def->getOperand(1))) ||
               (shifted(def->getOperand(1)) && fixed(def->getOperand(0)));
      if (isa_and_nonnull<arith::SubIOp>(def))
        return shifted(def->getOperand(0)) && fixed(def->getOperand(1));
      return false;
    };
    std::optional<unsigned> dim;
    bool one = true;
    for (auto [i, index] : llvm::enumerate(read.getIndices())) {
      if (!onQuery.contains(index) && !onKey.contains(index))
        continue;
      one = one && !dim && shifted(index);
      dim = i;
    }
    if (!dim || !one)
      continue;
    Value tensor = captures[arg.getArgNumber() - kCaptures];
    auto type = cast<RankedTensorType>(tensor.getType());
    int64_t blockSize = q ? qBlock : kvBlock;
    Value blockV = arith::ConstantIndexOp::create(b, blockSize);
    Value size = tensor::DimOp::create(b, tensor, *dim);
    // At least one block, so that a step's (clamped) reads stay in bounds.
    Value count = arith::MaxUIOp::create(
        b, arith::CeilDivUIOp::create(b, size, blockV),
        arith::ConstantIndexOp::create(b, 1));
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < type.getRank(); ++d)
      sizes.push_back(d == *dim ? OpFoldResult(count)
                                : tensor::getMixedSize(b, b.getLoc(), tensor, d));
    sizes.push_back(b.getIndexAttr(2));
    Type elem = type.getElementType();
    Value values = buildGenerated(
        b, b.getLoc(), sizes, b.getI64Type(),
        [&](OpBuilder &nb, Location nl, ValueRange ix) -> Value {
          ImplicitLocOpBuilder ib(nl, nb);
          Value from = arith::MulIOp::create(ib, ix[*dim], blockV);
          Value to = arith::MinSIOp::create(
              ib, size, arith::AddIOp::create(ib, from, blockV));
          Value none = arith::ConstantIntOp::create(
              ib, std::numeric_limits<int64_t>::max(), 64);
          Value noneMax = arith::ConstantIntOp::create(
              ib, std::numeric_limits<int64_t>::min(), 64);
          auto loop = scf::ForOp::create(
              ib, from, to, arith::ConstantIndexOp::create(ib, 1),
              ValueRange{none, noneMax},
              [&](OpBuilder &lb, Location ll, Value i, ValueRange acc) {
                SmallVector<Value> at(ix.drop_back());
                at[*dim] = i;
                Value v = tensor::ExtractOp::create(lb, ll, tensor, at);
                if (elem.isIndex())
                  v = arith::IndexCastOp::create(lb, ll, lb.getI64Type(), v);
                else if (widthOf(elem) < 64)
                  v = arith::ExtSIOp::create(lb, ll, lb.getI64Type(), v);
                scf::YieldOp::create(
                    lb, ll,
                    ValueRange{arith::MinSIOp::create(lb, ll, acc[0], v),
                               arith::MaxSIOp::create(lb, ll, acc[1], v)});
              });
          Value isMin = arith::CmpIOp::create(
              ib, arith::CmpIPredicate::eq, ix.back(),
              arith::ConstantIndexOp::create(ib, 0));
          return arith::SelectOp::create(ib, isMin, loop.getResult(0),
                                         loop.getResult(1));
        });
    tables.reads[&op] = {values, size, *dim, blockSize};
  }
  return tables;
}

StepClass tile::classifyModBox(ImplicitLocOpBuilder &b, Block *block,
                               ValueRange captures, const ModBox &box,
                               const ModTables *tables) {
  Evaluator ev(b, tables);
  enum { kBatch = 0, kHead = 1, kQuery = 2, kKey = 3, kCaptures = 4 };
  auto range = [&](Value lo, Value count) {
    // [lo, lo + count - 1] of an index range under the bound.
    Value lo64 = ev.toI64(lo), end64 = ev.add(lo64, ev.toI64(count));
    // (Kernel indices are never negative; the guard keeps `nonneg` true
    // by construction rather than by trust.)
    ev.guard(ev.andI(ev.le(ev.i64(0), lo64),
                     ev.le(end64, ev.i64(kIndexBound))));
    Abstract a;
    a.kind = Abstract::Int;
    a.iv = {lo64, ev.sub(end64, ev.i64(1)), kIndexBound - 1, true};
    return a;
  };
  auto isOne = [](Value v) {
    if (!v)
      return true;
    std::optional<int64_t> c = getConstantIntValue(v);
    return c && *c == 1;
  };
  ev.values[block->getArgument(kBatch)] = Evaluator::point(box.bi);
  ev.values[block->getArgument(kHead)] =
      isOne(box.heads) ? Evaluator::point(box.hi) : range(box.hi, box.heads);
  ev.values[block->getArgument(kQuery)] =
      isOne(box.qRows) ? Evaluator::point(box.q0) : range(box.q0, box.qRows);
  ev.values[block->getArgument(kKey)] =
      range(box.j0, b.createOrFold<arith::SubIOp>(box.j1, box.j0));
  for (auto [i, c] : llvm::enumerate(captures))
    ev.values[block->getArgument(kCaptures + i)] = Evaluator::point(c);

  // Only the ops the yield depends on: a guard of a dead value would keep
  // steps partial for nothing.
  Value yielded = block->getTerminator()->getOperand(0);
  for (Operation *op : liveOps(block))
    ev.eval(*op);

  auto [mayTrue, mayFalse] = ev.asBool(ev.lookup(yielded));
  auto known = [](Value v) -> Value {
    return matchPattern(v, m_Zero()) ? Value() : v;
  };
  StepClass c;
  c.empty = known(ev.andI(ev.ok, ev.notI(mayTrue)));
  c.full = known(ev.andI(ev.ok, ev.notI(mayFalse)));
  return c;
}

ModClassKinds tile::probeModClasses(Block *block) {
  // The evaluation built into a scratch block whose arguments stand for the
  // box and the captures, then dropped: no IR of the caller changes.
  MLIRContext *ctx = block->getArgument(0).getContext();
  Location loc = UnknownLoc::get(ctx);
  Block scratch;
  Type index = IndexType::get(ctx);
  SmallVector<Value> box;
  for (int i = 0; i < 6; ++i)
    box.push_back(scratch.addArgument(index, loc));
  SmallVector<Value> captures;
  for (BlockArgument a : block->getArguments().drop_front(4))
    captures.push_back(scratch.addArgument(a.getType(), loc));
  ImplicitLocOpBuilder b(loc, ctx);
  b.setInsertionPointToEnd(&scratch);
  ModTables tables = buildModTables(b, block, captures, 64, 64);
  StepClass c = classifyModBox(
      b, block, captures,
      ModBox{box[0], box[1], Value(), box[2], box[3], box[4], box[5]},
      &tables);
  ModClassKinds kinds{bool(c.empty), bool(c.full)};
  scratch.dropAllDefinedValueUses();
  scratch.clear();
  return kinds;
}
