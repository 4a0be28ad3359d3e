//===- Tile.cpp - attn-tile -------------------------------------------------===//
//
// attn.sdpa -> scf.forall over tasks (batch, heads, query blocks[, parts of
// a split key range]) of a kernel body over key steps. See Passes.td. This
// file decides the tasks and the body of each; the bodies and their parts
// live in passes/tile/ (see its README):
//
//   KernelBuilder   register blocking, tasks, vector helpers
//   ScoreEpilogue   masks and score modifiers, applied in registers
//   UserMods        the op's mask_mod and score_mod regions, cloned there
//   BlockIteration  the key steps a task visits (skipped, full, partial)
//   PrefillBody     the register-blocked online-softmax body
//   DecodeBody      the body for few query rows, vectorized over head_dim
//   Merge           the logsumexp merge of split key ranges
//   ScalarBody      attn.online_sdpa steps, without vectors
//
//===----------------------------------------------------------------------===//
#include "dialect/Attn/AttnOps.h"
#include "passes/Passes.h"
#include "passes/tile/BlockIteration.h"
#include "passes/tile/DecodeBody.h"
#include "passes/tile/KernelBlocks.h"
#include "passes/tile/KernelBuilder.h"
#include "passes/tile/Merge.h"
#include "passes/tile/PrefillBody.h"
#include "passes/tile/ScalarBody.h"
#include "passes/tile/ScoreEpilogue.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNTILE
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::tile;

namespace {

struct AttnTilePass final : public attn::impl::AttnTileBase<AttnTilePass> {
  using Base::Base;

  void runOnOperation() override {
    if (qBlock < 0 || kvBlock < 0 || vectorWidth < 0 || vectorRegisters < 0 ||
        gatherDensity < 0) {
      getOperation()->emitError("attn-tile: q-block, kv-block, vector-width, "
                                "vector-registers and gather-density must "
                                "not be negative");
      return signalPassFailure();
    }
    SmallVector<SdpaOp> ops;
    getOperation()->walk([&](SdpaOp op) { ops.push_back(op); });
    if (countBlocks && !ops.empty()) {
      // The runtime's counter, declared once in the module.
      auto module = dyn_cast<ModuleOp>(getOperation());
      if (!module) {
        getOperation()->emitError(
            "attn-tile: count-blocks needs the pass on a module (it "
            "declares attn_count_blocks)");
        return signalPassFailure();
      }
      constexpr StringLiteral name = "attn_count_blocks";
      if (!module.lookupSymbol<func::FuncOp>(name)) {
        OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
        Type i64 = b.getI64Type();
        auto fn = func::FuncOp::create(b, module.getLoc(), name,
                                       b.getFunctionType({i64, i64, i64}, {}));
        fn.setPrivate();
      }
      counter = FlatSymbolRefAttr::get(&getContext(), name);
    }
    for (SdpaOp op : ops) {
      // Without vectors, an op with mods is left to attn-decompose, which
      // applies them in its (untiled) scores.
      if (!chooseKernelBlocks(op, blockOptions()).vec &&
          op.hasCoordinateMasks())
        continue;
      // The tiled bodies do not write attention weights yet: an op that
      // returns them is left to attn-decompose, which materializes the
      // scores anyway.
      if (op.getProbs())
        continue;
      tile(op);
      ++numTiled;
    }
  }

  void tile(SdpaOp op);

  /// The runtime's block counter (count-blocks), else null.
  FlatSymbolRefAttr counter;

  BlockOptions blockOptions() const {
    return {qBlock, kvBlock, vectorWidth, vectorRegisters, l1Bytes,
            bf16DotOption};
  }
};

/// One result of a task and where it goes in the forall's shared output.
struct TaskResult {
  Value value;
  SmallVector<OpFoldResult> offsets, sizes;
};

} // namespace

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

/// When `result` (of an attn.sdpa) is only materialized into a writable
/// memref of its type (`bufferization.materialize_in_destination`), that
/// memref as a tensor: the kernel writes its output there directly.
/// (Upstream's empty-tensor elimination finds only one of the kernel's
/// branches.)
static Value destinationOf(OpBuilder &b, Value result) {
  if (!result.hasOneUse())
    return Value();
  auto mat = dyn_cast<bufferization::MaterializeInDestinationOp>(
      *result.getUsers().begin());
  if (!mat || !mat.getWritable() || !isa<MemRefType>(mat.getDest().getType()))
    return Value();
  auto mt = cast<MemRefType>(mat.getDest().getType());
  auto type = RankedTensorType::get(mt.getShape(), mt.getElementType());
  if (type != result.getType())
    return Value();
  return bufferization::ToTensorOp::create(b, result.getLoc(), type,
                                           mat.getDest(), /*restrict=*/true,
                                           /*writable=*/true);
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

/// An scf.forall over [0, ubs) with shared outputs `outs`; `body(ivs)`
/// builds a task and returns where each of its results goes.
static scf::ForallOp
buildForall(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> ubs,
            ValueRange outs,
            function_ref<SmallVector<TaskResult>(OpBuilder &, ValueRange)>
                body) {
  SmallVector<OpFoldResult> lbs(ubs.size(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> steps(ubs.size(), b.getIndexAttr(1));
  auto forall =
      scf::ForallOp::create(b, loc, lbs, ubs, steps, outs, std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  Block *block = forall.getBody();
  b.setInsertionPointToStart(block);
  SmallVector<TaskResult> results =
      body(b, block->getArguments().take_front(ubs.size()));
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  for (auto [r, shared] : llvm::zip(results, forall.getRegionIterArgs())) {
    int64_t rank = cast<RankedTensorType>(shared.getType()).getRank();
    tensor::ParallelInsertSliceOp::create(
        b, loc, r.value, shared, r.offsets, r.sizes,
        SmallVector<OpFoldResult>(rank, b.getIndexAttr(1)));
  }
  return forall;
}

void AttnTilePass::tile(SdpaOp op) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
  KernelBlocks blocks = chooseKernelBlocks(op, blockOptions());
  std::optional<VectorTiling> vec = blocks.vec;
  int64_t qBlock = blocks.qBlock, kvBlock = blocks.kvBlock,
          decodeKvBlock = blocks.decodeKvBlock;
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
  Value safeGroup = arith::MaxUIOp::create(b, loc, group, one);
  Value qBlockV = idx(qBlock);
  Value numQBlocks = arith::CeilDivUIOp::create(b, loc, qLen, qBlockV);
  Value diagonal = arith::SubIOp::create(b, loc, kvLen, qLen); // Lk - Lq
  Value headDimV = dim(q, 3), vHeadDimV = dim(v, 3);
  // The vector bodies work in base 2: log2(e) folded into the scale, so
  // that their softmax needs exp2, and so do their merges.
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
  // Every branch below writes into this one tensor: the caller's output
  // when the result is materialized into a buffer (attn-export-functions'
  // destination-passing form), so that bufferization writes it in place.
  Value outInit = destinationOf(b, op.getOutput());
  if (!outInit)
    outInit = tensor::EmptyOp::create(b, loc, outSizes, outElem);
  // The logsumexp result, when the op has one: [batch, q_heads, q_len].
  bool wantLse = static_cast<bool>(op.getLse());
  Value lseInit;
  if (wantLse) {
    lseInit = destinationOf(b, op.getLse());
    if (!lseInit)
      lseInit = tensor::EmptyOp::create(
          b, loc, ArrayRef<OpFoldResult>(outSizes).take_front(3), f32);
  }
  SmallVector<Value> outInits = {outInit};
  if (wantLse)
    outInits.push_back(lseInit);

  SmallVector<std::unique_ptr<ScoreEpilogue>> stages =
      buildEpilogue(op, diagonal, qLen, kvLen, zero, qHeads);
  SmallVector<ScoreEpilogue *> epilogue;
  for (auto &s : stages)
    epilogue.push_back(s.get());

  // The gather body's key list: the op's first mask that lists each row's
  // keys (a top-level #attn.csr); its other masks and score modifiers
  // apply per score there. Not with a dense mask operand.
  ScoreEpilogue *lister = nullptr;
  if (!op.getMask())
    for (ScoreEpilogue *s : epilogue)
      if (s->isMask() && s->listsKeys()) {
        lister = s;
        break;
      }

  // Where a task's results go: [b, h(, part), q0(, 0)] in the output or
  // the parts' (acc, max, sum); sizes `rows` per head over `heads` heads.
  auto fold = [](OpFoldResult o) -> OpFoldResult {
    if (auto v = dyn_cast<Value>(o))
      return getAsOpFoldResult(v);
    return o;
  };
  auto place = [&](ArrayRef<Value> results, Value bi, Value hi, Value part,
                   Value q0, OpFoldResult heads, OpFoldResult rows) {
    SmallVector<TaskResult> out;
    for (auto [i, r] : llvm::enumerate(results)) {
      // Static sizes as attributes, as the bodies' result types have them.
      TaskResult t{r, {bi, hi}, {oneAttr, fold(heads)}};
      if (part) {
        t.offsets.push_back(part);
        t.sizes.push_back(oneAttr);
      }
      t.offsets.push_back(q0);
      t.sizes.push_back(fold(rows));
      if (i == 0) {
        t.offsets.push_back(zeroAttr);
        t.sizes.push_back(vHeadDim);
      }
      out.push_back(t);
    }
    return out;
  };

  // A prefill task (bi, hi, query block qb[, part of splits]). With
  // `gather` (contiguous rows of Q, K and V) and a key list, a task whose
  // rows list few keys runs the gather body instead.
  auto prefillTask = [&](OpBuilder &tb, ValueRange ivs, Value splits,
                         bool gather) -> SmallVector<TaskResult> {
    Value bi = ivs[0], hi = ivs[1];
    Value part = splits ? ivs[3] : Value();
    Value q0 = arith::MulIOp::create(tb, loc, ivs[2], qBlockV);
    Value rows = arith::MinSIOp::create(
        tb, loc, qBlockV, arith::SubIOp::create(tb, loc, qLen, q0));
    Value kvHead = arith::DivUIOp::create(tb, loc, hi, safeGroup);
    ImplicitLocOpBuilder ib(loc, tb);
    // (The scalar body is not counted: its steps are attn.online_sdpa ops.)
    KeyRange range(ib, epilogue, RowInfo{bi, hi, q0, rows}, kvLen, kvBlock,
                   part, splits, vec ? counter : FlatSymbolRefAttr());
    if (!vec)
      return place(buildScalarBody(tb, loc, op, bi, hi, kvHead, q0, rows,
                                   range.end, diagonal, kvBlock),
                   bi, hi, part, q0, oneAttr, rows);
    Task task{q,        k,       v,          bi,        hi,
              kvHead,   q0,      rows,       Value(),   range.start,
              range.end, &range,    headDimV, vHeadDimV, scale,
              kvBlock,  outElem, epilogue};
    bool normalize = !splits;
    task.lse = wantLse && normalize;
    auto blockBody = [&](ImplicitLocOpBuilder &bb) -> SmallVector<Value> {
      if (vec->rowVecs == 1)
        return buildPrefillBody(bb, task, *vec, normalize);
      // Few rows (a last partial block): one row vector, so that padding
      // rows cost no FMAs.
      auto body = [&](VectorTiling cfg) {
        return [&, cfg](OpBuilder &nb, Location nl) {
          ImplicitLocOpBuilder nib(nl, nb);
          scf::YieldOp::create(nib,
                               buildPrefillBody(nib, task, cfg, normalize));
        };
      };
      Value few = arith::CmpIOp::create(bb, arith::CmpIPredicate::ule, rows,
                                        idx(vec->width));
      auto ifOp = scf::IfOp::create(bb, few, body(vec->withRowVecs(1)),
                                    body(*vec));
      return SmallVector<Value>(ifOp.getResults());
    };
    if (!gather || !lister || splits || gatherDensity <= 0)
      return place(blockBody(ib), bi, hi, part, q0, oneAttr, rows);
    // Sparse rows: when the task's rows list at most 1/gather-density of
    // the keys of its span, gathering the listed keys (about 8x the cost
    // per score of the register-blocked body on the Xeon of BENCHMARKS.md:
    // decode-like dot products, rows gathered from cache) beats computing
    // every score of the blocks they touch; a random graph's edges touch
    // every block. (The count includes edges outside a causal or window
    // span: such tasks lean to the block body.) An empty span (kv_len 0)
    // takes the block body, which then reads nothing, whatever the lists
    // hold.
    Value edges =
        lister->listedCount(ib, q0, arith::AddIOp::create(ib, q0, rows));
    Value span = arith::SubIOp::create(ib, range.end, range.start);
    Value dense = arith::OrIOp::create(
        ib,
        arith::CmpIOp::create(
            ib, arith::CmpIPredicate::sgt,
            arith::MulIOp::create(ib, edges, idx(gatherDensity)),
            arith::MulIOp::create(ib, rows, span)),
        arith::CmpIOp::create(ib, arith::CmpIPredicate::sle, span, idx(0)));
    Task gatherTask = task;
    gatherTask.kvBlock = decodeKvBlock;
    SmallVector<Type> types;
    auto ifOp = scf::IfOp::create(
        ib, dense,
        [&](OpBuilder &nb, Location nl) {
          ImplicitLocOpBuilder nib(nl, nb);
          SmallVector<Value> r = blockBody(nib);
          for (Value x : r)
            types.push_back(x.getType());
          scf::YieldOp::create(nib, r);
        },
        [&](OpBuilder &nb, Location nl) {
          ImplicitLocOpBuilder nib(nl, nb);
          SmallVector<Value> r =
              buildGatherBody(nib, gatherTask, *vec, *lister, normalize);
          for (auto [x, type] : llvm::zip(r, types))
            if (x.getType() != type)
              x = tensor::CastOp::create(nib, type, x);
          scf::YieldOp::create(nib, r);
        });
    return place(SmallVector<Value>(ifOp.getResults()), bi, hi, part, q0,
                 oneAttr, rows);
  };

  // A decode task (bi, KV head kvh[, part of splits]): every query of the
  // KV head's group of query heads.
  OpFoldResult groupOfr = getAsOpFoldResult(group);
  // The group size as a constant where the heads are static (a mask_mod's
  // h is then one value per task for MHA).
  Value groupHeads = group;
  if (std::optional<int64_t> qh = getConstantIntValue(qHeads),
      kh = getConstantIntValue(kvHeads);
      qh && kh && *kh > 0)
    groupHeads = idx(*qh / *kh);
  auto decodeTask = [&](OpBuilder &tb, ValueRange ivs,
                        Value splits) -> SmallVector<TaskResult> {
    Value bi = ivs[0], kvHead = ivs[1];
    Value part = splits ? ivs[2] : Value();
    Value hi = arith::MulIOp::create(tb, loc, kvHead, group);
    Value rows = arith::MulIOp::create(tb, loc, group, qLen);
    ImplicitLocOpBuilder ib(loc, tb);
    KeyRange range(ib, epilogue, RowInfo{bi, hi, zero, qLen, groupHeads}, kvLen,
                   decodeKvBlock, part, splits, counter);
    Task task{q,         k,         v,          bi,       hi,
              kvHead,    zero,      rows,       qLen,     range.start,
              range.end, &range,    headDimV, vHeadDimV, scale,
              decodeKvBlock, outElem, epilogue};
    task.lse = wantLse && !splits;
    SmallVector<Value> results =
        buildDecodeBody(ib, task, *vec, groupOfr, /*normalize=*/!splits);
    return place(results, bi, hi, part, zero, groupOfr, qLen);
  };

  SmallVector<Value> results;
  if (!vec) {
    results = buildForall(b, loc, {batch, qHeads, numQBlocks}, outInits,
                          [&](OpBuilder &tb, ValueRange ivs) {
                            return prefillTask(tb, ivs, Value(), false);
                          })
                  .getResults();
  } else {
    Value threads = buildNumThreads(b, loc, op);
    // The tasks over `dims` (batch, heads[, query blocks]), with the key
    // range split when they are too few for the threads (decode): parts =
    // clamp(ceil(4 * threads / tasks), 1, floor(kv_len / 256)), so a part
    // of the whole range has at least 256 keys (whole steps; a causal task
    // splits its own shorter range); merged by LSE.
    auto withSplits = [&](OpBuilder &sb, ArrayRef<OpFoldResult> dims,
                          auto task) -> SmallVector<Value> {
      Value tasks = one;
      for (OpFoldResult d : dims)
        tasks = arith::MulIOp::create(
            sb, loc, tasks, getValueOrCreateConstantIndexOp(sb, loc, d));
      Value want = arith::CeilDivUIOp::create(
          sb, loc, arith::MulIOp::create(sb, loc, threads, idx(4)),
          arith::MaxUIOp::create(sb, loc, tasks, one));
      Value byLen = arith::DivUIOp::create(sb, loc, kvLen, idx(256));
      Value splits = arith::MaxUIOp::create(
          sb, loc, one, arith::MinUIOp::create(sb, loc, want, byLen));
      Value isSplit = arith::CmpIOp::create(sb, loc, arith::CmpIPredicate::ugt,
                                            splits, one);
      auto ifOp = scf::IfOp::create(
          sb, loc, isSplit,
          [&](OpBuilder &tb, Location) {
            SmallVector<OpFoldResult> partSizes = {outSizes[0], outSizes[1],
                                                   splits, outSizes[2]};
            Value maxInit = buildScratch(tb, loc, partSizes, std::nullopt);
            Value sumInit = buildScratch(tb, loc, partSizes, std::nullopt);
            partSizes.push_back(vHeadDim);
            Value accInit = buildScratch(tb, loc, partSizes, std::nullopt);
            SmallVector<OpFoldResult> ubs(dims);
            ubs.push_back(splits);
            auto parts = buildForall(tb, loc, ubs,
                                     ValueRange{accInit, maxInit, sumInit},
                                     [&](OpBuilder &fb, ValueRange ivs) {
                                       return task(fb, ivs, splits);
                                     });
            scf::YieldOp::create(
                tb, loc,
                buildMerge(tb, loc, parts.getResult(0), parts.getResult(1),
                           parts.getResult(2), outInit, lseInit));
          },
          [&](OpBuilder &eb, Location) {
            scf::YieldOp::create(
                eb, loc,
                buildForall(eb, loc, dims, outInits,
                            [&](OpBuilder &fb, ValueRange ivs) {
                              return task(fb, ivs, Value());
                            })
                    .getResults());
          });
      return SmallVector<Value>(ifOp.getResults());
    };
    // The masks' per-call tables, for the steps of the tasks built next.
    // (Decode tasks' rows, at most 4 from 0, are one block of 4: a table
    // of q-block rows would bound them by ids of rows they do not have.)
    auto prepareCall = [&](OpBuilder &pb, int64_t rowsBlock,
                           int64_t stepKeys) {
      ImplicitLocOpBuilder ib(loc, pb);
      for (ScoreEpilogue *stage : epilogue)
        if (stage->isMask())
          stage->prepareCall(ib, rowsBlock, stepKeys);
    };
    auto prefill = [&](OpBuilder &pb, bool gather) {
      prepareCall(pb, qBlock, kvBlock);
      return withSplits(pb, {batch, qHeads, numQBlocks},
                        [&](OpBuilder &tb, ValueRange ivs, Value splits) {
                          return prefillTask(tb, ivs, splits, gather);
                        });
    };
    // At most 4 queries with contiguous rows of Q, K and V (decode): the
    // body vectorized over head_dim, one task per KV head.
    if (hasUnitInnerStride(q) && hasUnitInnerStride(k) &&
        hasUnitInnerStride(v)) {
      Value isDecode =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, qLen, idx(4));
      results = scf::IfOp::create(
                    b, loc, isDecode,
                    [&](OpBuilder &tb, Location) {
                      prepareCall(tb, 4, decodeKvBlock);
                      scf::YieldOp::create(
                          tb, loc,
                          withSplits(tb, {batch, kvHeads}, decodeTask));
                    },
                    [&](OpBuilder &eb, Location) {
                      scf::YieldOp::create(eb, loc, prefill(eb, true));
                    })
                    .getResults();
    } else {
      results = prefill(b, false);
    }
    ++numVectorized;
  }

  for (auto [result, old] : llvm::zip_equal(results, op->getResults()))
    if (result.getType() != old.getType())
      result = tensor::CastOp::create(b, loc, old.getType(), result);
  op->replaceAllUsesWith(results);
  op.erase();
}
