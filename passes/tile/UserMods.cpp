//===- UserMods.cpp - mask_mod and score_mod in the kernels -----------------===//
#include "passes/tile/UserMods.h"

#include "dialect/Attn/AttnOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::tile;

/// Block argument positions after the optional score.
enum { kBatch = 0, kHead = 1, kQuery = 2, kKey = 3, kCaptures = 4 };

/// The values `op` reads: its operands and, for an op with regions (a
/// named mask's search loop), the values its regions use from above.
static SmallVector<Value> readValues(Operation &op) {
  SmallVector<Value> out(op.getOperands());
  // (Not getUsedValuesDefinedAbove: a named mask's block lives in a region
  // with no parent op, which it cannot walk out of.)
  llvm::SetVector<Value> above;
  op.walk([&](Operation *inner) {
    if (inner == &op)
      return;
    for (Value v : inner->getOperands()) {
      Operation *owner = v.getParentBlock()->getParentOp();
      if (!owner || !op.isAncestor(owner))
        above.insert(v);
    }
  });
  out.append(above.begin(), above.end());
  return out;
}

std::unique_ptr<ModCloner> mlir::attn::tile::buildModCloner(
    Region &region, bool hasScore, ValueRange captures, Value qLen,
    Value kvLen, Value qHeads,
    function_ref<Value(OpBuilder &, Value score, const MaskCoords &)> body) {
  Location loc = qLen.getLoc();
  MLIRContext *ctx = loc.getContext();
  Type index = IndexType::get(ctx);
  Block *block = new Block();
  region.push_back(block);
  Value score =
      hasScore ? block->addArgument(Float32Type::get(ctx), loc) : Value();
  SmallVector<Value> args;
  for (int i = 0; i < 4; ++i)
    args.push_back(block->addArgument(index, loc));
  SmallVector<Value> captureArgs;
  for (Type t : captures.getTypes())
    captureArgs.push_back(block->addArgument(t, loc));
  Value qLenArg = block->addArgument(index, loc);
  Value kvLenArg = block->addArgument(index, loc);
  Value qHeadsArg = qHeads ? block->addArgument(index, loc) : Value();
  OpBuilder b(ctx); // (the region has no parent op to take it from)
  b.setInsertionPointToEnd(block);
  MaskCoords at{args[kBatch], args[kHead], args[kQuery], args[kKey],
                qLenArg,      kvLenArg,    captureArgs,  qHeadsArg};
  YieldOp::create(b, loc, ValueRange{body(b, score, at)});

  SmallVector<Value> values(captures.begin(), captures.end());
  values.append({qLen, kvLen});
  if (qHeads)
    values.push_back(qHeads);
  return std::make_unique<ModCloner>(block, hasScore, values);
}

ModCloner::ModCloner(Block *block, bool hasScore, ValueRange captures)
    : block(block), hasScore(hasScore),
      captures(captures.begin(), captures.end()) {
  unsigned first = hasScore ? 1 : 0;
  // Values that depend on kv_idx or the score, and those that vary along
  // the vector body's lanes (on q_idx or the score).
  llvm::DenseSet<Value> dependent = {block->getArgument(first + kKey)};
  llvm::DenseSet<Value> varying = {block->getArgument(first + kQuery)};
  if (hasScore) {
    dependent.insert(block->getArgument(0));
    varying.insert(block->getArgument(0));
  }
  auto any = [](Operation &op, const llvm::DenseSet<Value> &set) {
    return llvm::any_of(readValues(op),
                        [&](Value v) { return set.contains(v); });
  };
  for (Operation &op : block->without_terminator()) {
    bool lanes = any(op, varying);
    if (lanes)
      varying.insert(op.getResults().begin(), op.getResults().end());
    if (!any(op, dependent))
      continue;
    keyDependent.insert(&op);
    dependent.insert(op.getResults().begin(), op.getResults().end());
    if (lanes && !op.hasTrait<OpTrait::Elementwise>())
      cost += 16;
    else if (op.getDialect() && op.getDialect()->getNamespace() == "math")
      cost += 8;
    else
      cost += 1;
  }
}

void ModCloner::cloneWidened(KernelBuilder &kb, Operation &op,
                             IRMapping &map) {
  ImplicitLocOpBuilder &b = kb.b;
  int64_t width = kb.cfg.width;
  SmallVector<Value> reads = readValues(op);
  bool varying = llvm::any_of(reads, [&](Value v) {
    return isa<VectorType>(map.lookupOrDefault(v).getType());
  });
  if (!varying) {
    b.clone(op, map);
    return;
  }
  if (op.hasTrait<OpTrait::Elementwise>()) {
    // On vectors: scalar operands broadcast, results widen.
    IRMapping local;
    for (Value v : op.getOperands()) {
      Value m = map.lookupOrDefault(v);
      if (!isa<VectorType>(m.getType()))
        m = vector::BroadcastOp::create(
            b, VectorType::get({width}, m.getType()), m);
      local.map(v, m);
    }
    Operation *c = b.clone(op, local);
    for (OpResult r : c->getResults())
      r.setType(VectorType::get({width}, r.getType()));
    map.map(op.getResults(), c->getResults());
    return;
  }
  // Anything else (tensor.extract, tensor.dim, a search loop) once per
  // lane, with the lane's element of every varying value it reads.
  SmallVector<SmallVector<Value>> lanes(op.getNumResults());
  for (int64_t l = 0; l < width; ++l) {
    IRMapping local;
    for (Value v : reads) {
      Value m = map.lookupOrDefault(v);
      if (isa<VectorType>(m.getType()))
        m = vector::ExtractOp::create(b, m, ArrayRef<int64_t>{l});
      local.map(v, m);
    }
    Operation *c = b.clone(op, local);
    for (auto [i, r] : llvm::enumerate(c->getResults()))
      lanes[i].push_back(r);
  }
  for (auto [i, r] : llvm::enumerate(op.getResults()))
    map.map(r, vector::FromElementsOp::create(
                   b, VectorType::get({width}, r.getType()), lanes[i])
                   .getResult());
}

void ModCloner::beginStep(KernelBuilder &kb, const Task &task,
                          int64_t numRowVecs) {
  ImplicitLocOpBuilder &b = kb.b;
  unsigned first = hasScore ? 1 : 0;
  rowMaps.assign(numRowVecs, IRMapping());
  // Lane l of row vector v is local row min(v * width + l, rows - 1).
  Value lastRow = arith::IndexCastOp::create(
      b, b.getI32Type(), arith::SubIOp::create(b, task.rows, kb.idx(1)));
  Value last = vector::BroadcastOp::create(b, kb.maskType, lastRow);
  VectorType indexVec = VectorType::get({kb.cfg.width}, b.getIndexType());
  Value q0 = vector::BroadcastOp::create(b, indexVec, task.q0);
  for (int64_t v = 0; v < numRowVecs; ++v) {
    IRMapping &map = rowMaps[v];
    Value local = arith::MinSIOp::create(
        b, kb.laneIds(v * kb.cfg.width), last);
    Value query = arith::AddIOp::create(
        b, q0, arith::IndexCastOp::create(b, indexVec, local));
    map.map(block->getArgument(first + kBatch), task.bi);
    map.map(block->getArgument(first + kHead), task.hi);
    map.map(block->getArgument(first + kQuery), query);
    for (auto [i, c] : llvm::enumerate(captures))
      map.map(block->getArgument(first + kCaptures + i), c);
    for (Operation &op : block->without_terminator())
      if (!keyDependent.contains(&op))
        cloneWidened(kb, op, map);
  }
}

Value ModCloner::applyVector(KernelBuilder &kb, int64_t rowVec, Value key,
                             Value score) {
  unsigned first = hasScore ? 1 : 0;
  IRMapping map = rowMaps[rowVec];
  map.map(block->getArgument(first + kKey), key);
  if (hasScore)
    map.map(block->getArgument(0), score);
  for (Operation &op : block->without_terminator())
    if (keyDependent.contains(&op))
      cloneWidened(kb, op, map);
  return map.lookupOrDefault(block->getTerminator()->getOperand(0));
}

Value ModCloner::applyScalar(KernelBuilder &kb, Value score, Value b, Value h,
                             Value query, Value key) {
  SmallVector<Value> args;
  if (hasScore)
    args.push_back(score);
  args.append({b, h, query, key});
  args.append(captures);
  return buildInlinedMod(kb.b, block, args);
}

//===----------------------------------------------------------------------===//
// MaskModStage
//===----------------------------------------------------------------------===//

void MaskModStage::prepareCall(ImplicitLocOpBuilder &b, int64_t qBlock,
                               int64_t kvBlock) {
  tables = std::make_unique<ModTables>(
      buildModTables(b, block, captures, qBlock, kvBlock));
}

KeySpan MaskModStage::prepareTask(ImplicitLocOpBuilder &b,
                                  const RowInfo &rows) {
  this->rows = rows;
  if (!rows.kvLen || !probeModClasses(block).empty)
    return {};
  // Bisection on "the keys [j0, j1) are classed empty for every row". The
  // truth is monotone (a subrange of a hidden range is hidden), the
  // classification need not be (a table read over more than two blocks is
  // unknown, so a long suffix of documents is never classed empty): each
  // bound moves only past a range found empty, so an imprecise or
  // non-monotone class only visits more keys, never fewer. Every box
  // evaluated is non-empty (mid < hi <= kv_len; mid >= 1), so its reads
  // are ones the region makes for some score of the task.
  Value zero = arith::ConstantIndexOp::create(b, 0);
  Value one = arith::ConstantIndexOp::create(b, 1);
  auto emptyBox = [&](ImplicitLocOpBuilder &ib, Value j0, Value j1) {
    return classifyModBox(
               ib, block, captures,
               ModBox{rows.bi, rows.hi, rows.heads, rows.q0, rows.qRows, j0, j1},
               tables.get())
        .empty;
  };
  // fromEnd: the smallest x with [x, kv_len) empty (kv_len if none);
  // else the largest x <= `limit` with [0, x) empty (0 if none).
  auto bisect = [&](bool fromEnd, Value limit) -> Value {
    auto [lo, hi] = buildBisection(
        b, zero, limit, [&](ImplicitLocOpBuilder &ib, Value lo, Value hi) {
          Value half = arith::ShRUIOp::create(
              ib,
              arith::AddIOp::create(ib, arith::SubIOp::create(ib, hi, lo),
                                    fromEnd ? zero : one),
              one);
          Value mid = arith::AddIOp::create(ib, lo, half);
          Value e = fromEnd ? emptyBox(ib, mid, rows.kvLen)
                            : emptyBox(ib, zero, mid);
          if (!e) // not classed empty here: no bound
            e = arith::ConstantIntOp::create(ib, 0, 1);
          if (fromEnd)
            return std::pair<Value, Value>{
                arith::SelectOp::create(ib, e, lo,
                                        arith::AddIOp::create(ib, mid, one)),
                arith::SelectOp::create(ib, e, mid, hi)};
          return std::pair<Value, Value>{
              arith::SelectOp::create(ib, e, mid, lo),
              arith::SelectOp::create(ib, e, hi,
                                      arith::SubIOp::create(ib, mid, one))};
        });
    return fromEnd ? hi : lo;
  };
  Value end = bisect(/*fromEnd=*/true, rows.kvLen);
  Value start = bisect(/*fromEnd=*/false, end);
  return {start, end};
}

StepClass MaskModStage::classifyStep(ImplicitLocOpBuilder &b, Value j0,
                                     Value j1) {
  return classifyModBox(
      b, block, captures,
      ModBox{rows.bi, rows.hi, rows.heads, rows.q0, rows.qRows, j0, j1},
      tables.get());
}

Value MaskModStage::apply(KernelBuilder &kb, const Task &task, Value score,
                          const ScoreCoords &at) {
  float negInf = -std::numeric_limits<float>::infinity();
  if (at.rowVec < 0) {
    Value keep =
        cloner.applyScalar(kb, Value(), task.bi, at.head, at.query, at.key);
    return arith::SelectOp::create(kb.b, keep, score, kb.f32Const(negInf));
  }
  // A uniform (scalar) keep selects whole vectors.
  Value keep = cloner.applyVector(kb, at.rowVec, at.key, Value());
  return arith::SelectOp::create(kb.b, keep, score, kb.splat(negInf));
}

//===----------------------------------------------------------------------===//
// ScoreModStage
//===----------------------------------------------------------------------===//

Value ScoreModStage::apply(KernelBuilder &kb, const Task &task, Value score,
                           const ScoreCoords &at) {
  ImplicitLocOpBuilder &b = kb.b;
  if (at.rowVec < 0) {
    Value natural = arith::MulFOp::create(b, score, kb.f32Const(M_LN2));
    Value r = cloner.applyScalar(kb, natural, task.bi, at.head, at.query,
                                 at.key);
    return arith::MulFOp::create(b, r, kb.f32Const(M_LOG2E));
  }
  Value natural = arith::MulFOp::create(b, score, kb.splat(M_LN2));
  Value r = cloner.applyVector(kb, at.rowVec, at.key, natural);
  if (!isa<VectorType>(r.getType())) // ignores the score and q_idx
    r = vector::BroadcastOp::create(b, kb.vecType, r);
  return arith::MulFOp::create(b, r, kb.splat(M_LOG2E));
}
