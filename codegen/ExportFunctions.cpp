//===- ExportFunctions.cpp - attn-export-functions --------------------------===//
//
// Derives each public function's ABI signature and rewrites it to
// destination-passing style on strided memrefs. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "codegen/Abi.h"
#include "codegen/Passes.h"
#include "dialect/Attn/AttnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNEXPORTFUNCTIONS
#include "codegen/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Union-find over the dims of the tensors in one function. Each dim of each
/// tensor value gets an id; ops that relate dims unite their ids.
class DimRelations {
public:
  /// Ids of the dims of `v`, created fresh on first sight.
  ArrayRef<int64_t> dimsOf(Value v) {
    auto it = dims.find(v);
    if (it != dims.end())
      return it->second;
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> ids;
    for (int64_t k = 0; k < type.getRank(); ++k)
      ids.push_back(fresh(type.getDimSize(k)));
    return dims[v] = ids;
  }
  void setDims(Value v, ArrayRef<int64_t> ids) {
    auto type = cast<RankedTensorType>(v.getType());
    for (auto [k, id] : llvm::enumerate(ids))
      noteStatic(id, type.getDimSize(k));
    dims[v] = SmallVector<int64_t>(ids);
  }
  int64_t fresh(int64_t staticSize) {
    int64_t id = next++;
    classes.insert(id);
    noteStatic(id, staticSize);
    return id;
  }
  void unite(int64_t a, int64_t b) {
    int64_t sa = staticOf(a), sb = staticOf(b);
    classes.unionSets(a, b);
    noteStatic(a, sa);
    noteStatic(a, sb);
  }
  int64_t leader(int64_t id) { return classes.getLeaderValue(id); }
  /// The static size of id's class, or -1.
  int64_t staticOf(int64_t id) {
    auto it = staticSize.find(leader(id));
    return it == staticSize.end() ? -1 : it->second;
  }
  void addDivisibility(int64_t num, int64_t den) { divs.push_back({num, den}); }
  void addWorkspace(SmallVector<int64_t> ids) { work.push_back(std::move(ids)); }
  ArrayRef<SmallVector<int64_t>> workspace() { return work; }
  ArrayRef<std::pair<int64_t, int64_t>> divisibility() { return divs; }

private:
  void noteStatic(int64_t id, int64_t size) {
    if (size >= 0 && !ShapedType::isDynamic(size))
      staticSize[leader(id)] = size;
  }
  llvm::DenseMap<Value, SmallVector<int64_t>> dims;
  llvm::EquivalenceClasses<int64_t> classes;
  llvm::DenseMap<int64_t, int64_t> staticSize;
  SmallVector<std::pair<int64_t, int64_t>> divs;
  SmallVector<SmallVector<int64_t>> work;
  int64_t next = 0;
};

/// True if `use` is the mask operand slot of `op` (not q, k or v, which the
/// same value may also be).
bool isMaskOperand(SdpaOp op, OpOperand &use) {
  MutableOperandRange mask = op.getMaskMutable();
  return !mask.empty() && &use == &mask[0];
}

/// Relates the dims of one attn.sdpa op (see AttnOps.td for the shapes).
void relateSdpa(SdpaOp op, DimRelations &rel) {
  SmallVector<int64_t> q(rel.dimsOf(op.getQuery()));
  SmallVector<int64_t> k(rel.dimsOf(op.getKey()));
  SmallVector<int64_t> v(rel.dimsOf(op.getValue()));
  rel.unite(k[0], q[0]);
  rel.unite(v[0], q[0]);
  rel.unite(v[1], k[1]);
  rel.unite(v[2], k[2]);
  rel.unite(k[3], q[3]);
  if (Value mask = op.getMask()) {
    SmallVector<int64_t> m(rel.dimsOf(mask));
    RankedTensorType mt = op.getMaskType();
    int64_t r = mt.getRank();
    // A static 1 broadcasts; a dynamic dim equals its partner or, at run
    // time, is 1 (maskBroadcastDims).
    int64_t partner[4] = {q[0], q[1], q[2], k[2]};
    for (int64_t d = 0; d < r; ++d)
      if (mt.getDimSize(d) != 1)
        rel.unite(m[d], partner[4 - r + d]);
  }
  // Capture dims the named masks and score modifiers index by a dim of
  // the op (per-batch lengths, per-head slopes).
  int64_t of[4] = {q[0], q[1], q[2], k[2]};
  auto tie = [&](int64_t capture, int64_t dim, SdpaDim sdpaDim) {
    SmallVector<int64_t> c(rel.dimsOf(op.getCaptures()[capture]));
    rel.unite(c[dim], of[static_cast<int>(sdpaDim)]);
  };
  TypeRange captureTypes = op.getCaptures().getTypes();
  for (Attribute m : op.getNamedMasks())
    cast<MaskAttrInterface>(m).tieCaptureDims(captureTypes, tie);
  for (Attribute m : op.getNamedScoreMods())
    cast<ScoreModAttrInterface>(m).tieCaptureDims(captureTypes, tie);
  rel.addDivisibility(q[1], k[1]);
  // The reference lowering materializes [batch, q_heads, q_len, kv_len]
  // scores and a [batch, q_heads, q_len, v_head_dim] accumulator.
  rel.addWorkspace({q[0], q[1], q[2], k[2]});
  rel.addWorkspace({q[0], q[1], q[2], v[3]});
  rel.setDims(op.getOutput(), {q[0], q[1], q[2], v[3]});
  if (Value lse = op.getLse())
    rel.setDims(lse, {q[0], q[1], q[2]});
  if (Value probs = op.getProbs())
    rel.setDims(probs, {q[0], q[1], q[2], k[2]});
}

/// Relates the dims of an op that states them (attn.project and the other
/// ops of the attention family, see ShapeRelationsOpInterface).
void relateOp(ShapeRelationsOpInterface op, DimRelations &rel) {
  ShapeRelations stated;
  op.getShapeRelations(stated);
  for (auto [a, b] : stated.equal)
    rel.unite(rel.dimsOf(a.value)[a.dim], rel.dimsOf(b.value)[b.dim]);
  for (ArrayRef<DimRef> dims : stated.workspace) {
    SmallVector<int64_t> ids;
    for (DimRef d : dims)
      ids.push_back(rel.dimsOf(d.value)[d.dim]);
    rel.addWorkspace(std::move(ids));
  }
}

/// The dims of function argument `arg` that may be 1 at run time and then
/// broadcast: its dynamic dims, when its only uses are as the dense mask of
/// attn.sdpa ops (whose masks broadcast as PyTorch's do). Empty otherwise.
SmallVector<bool> maskBroadcastDims(BlockArgument arg) {
  auto type = cast<RankedTensorType>(arg.getType());
  if (arg.use_empty())
    return {};
  for (OpOperand &use : arg.getUses()) {
    auto sdpa = dyn_cast<SdpaOp>(use.getOwner());
    if (!sdpa || !isMaskOperand(sdpa, use))
      return {};
  }
  SmallVector<bool> dims;
  for (int64_t k = 0; k < type.getRank(); ++k)
    dims.push_back(type.isDynamicDim(k));
  return dims;
}

struct AttnExportFunctionsPass final
    : public attn::impl::AttnExportFunctionsBase<AttnExportFunctionsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> funcs;
    for (auto f : module.getOps<func::FuncOp>())
      if (f.isPublic() && !f.isExternal())
        funcs.push_back(f);
    for (func::FuncOp f : funcs) {
      if (failed(exportFunction(module, f)))
        return signalPassFailure();
      if (unitStrideVariant)
        addUnitStrideVariant(module, f);
    }
  }

  /// A copy of the exported kernel `f` whose memref arguments have a static
  /// innermost stride of 1: contiguous rows let vector code load pairs and
  /// vectors directly. No ABI attributes: it is not exported itself.
  void addUnitStrideVariant(ModuleOp module, func::FuncOp f) {
    OpBuilder b(f);
    b.setInsertionPointAfter(f);
    auto copy = cast<func::FuncOp>(b.clone(*f.getOperation()));
    copy.setSymName((f.getSymName() + abi::kUnitStrideSuffix).str());
    for (StringRef attr : {abi::kExportNameAttr, abi::kSignatureAttr,
                           abi::kArgNamesAttr, abi::kBatchParallelAttr})
      copy->removeAttr(attr);
    SmallVector<Type> types;
    for (BlockArgument arg : copy.getArguments()) {
      auto mt = cast<MemRefType>(arg.getType());
      if (mt.getRank() > 0) {
        SmallVector<int64_t> strides(mt.getRank(), ShapedType::kDynamic);
        strides.back() = 1;
        mt = MemRefType::get(mt.getShape(), mt.getElementType(),
                             StridedLayoutAttr::get(f.getContext(),
                                                    ShapedType::kDynamic,
                                                    strides));
      }
      arg.setType(mt);
      types.push_back(mt);
    }
    copy.setFunctionType(FunctionType::get(f.getContext(), types, {}));
    copy.setPrivate();
  }

  LogicalResult exportFunction(ModuleOp module, func::FuncOp func);
};

} // namespace

/// True if calls to `func` may be split along dim 0 of its outputs (the
/// batch): the body holds only ops that treat batches independently
/// (attn.sdpa), every output's dim 0 is one dynamic symbol S,
/// and every input either has dim 0 = S or is only a mask without a batch
/// dim (rank 2, or a static 1 that broadcasts).
static bool isBatchParallel(func::FuncOp func, const abi::Signature &sig) {
  if (sig.numOutputs == 0)
    return false;
  bool onlyBatchwiseOps = true;
  // A mod's b is the batch index of the whole call, and captures (a mod's,
  // or a named mask's such as per-batch lengths) have no batch dim the
  // split would know of: not split. Named masks without captures do not
  // read b.
  func.walk([&](Operation *op) {
    auto sdpa = dyn_cast<SdpaOp>(op);
    if ((op != func.getOperation() && !sdpa && !isa<func::ReturnOp>(op) &&
         !op->getParentOfType<SdpaOp>()) ||
        (sdpa && (sdpa.hasMods() || !sdpa.getCaptures().empty())))
      onlyBatchwiseOps = false;
  });
  if (!onlyBatchwiseOps)
    return false;
  const abi::ArgSpec &out0 = sig.args[sig.numInputs];
  if (out0.symbols.empty() || out0.staticDims[0] >= 0)
    return false;
  int64_t batch = out0.symbols[0];
  for (const abi::ArgSpec &a : sig.args) {
    bool hasBatch = !a.symbols.empty() && a.symbols[0] == batch;
    if (hasBatch && a.staticDims[0] >= 0)
      return false;
    if (a.isOutput && !hasBatch)
      return false;
  }
  Block &body = func.getBody().front();
  for (auto [i, arg] : llvm::enumerate(body.getArguments())) {
    const abi::ArgSpec &a = sig.args[i];
    if (!a.symbols.empty() && a.symbols[0] == batch)
      continue;
    // Not split: must be used only as a batch-free mask.
    for (OpOperand &use : arg.getUses()) {
      auto sdpa = dyn_cast<SdpaOp>(use.getOwner());
      if (!sdpa || !isMaskOperand(sdpa, use))
        return false;
      RankedTensorType mt = sdpa.getMaskType();
      if (mt.getRank() != 2 && mt.getDimSize(0) != 1)
        return false;
    }
  }
  return true;
}

LogicalResult
AttnExportFunctionsPass::exportFunction(ModuleOp module, func::FuncOp func) {
  StringRef name = func.getSymName();
  MLIRContext *ctx = &getContext();
  if (std::string why = abi::cNameProblem(name, /*isFunction=*/true);
      !why.empty())
    return func.emitError() << "exported function name '" << name << "' "
                            << why;
  if (!SymbolTable::symbolKnownUseEmpty(func, module))
    return func.emitError() << "exported function '" << name
                            << "' is called inside the module; call a "
                               "private copy instead";
  if (!llvm::hasSingleElement(func.getBody()))
    return func.emitError() << "exported function '" << name
                            << "' must have a single block";
  if (func.getNumResults() == 0)
    return func.emitError() << "exported function '" << name
                            << "' has no results, so a call would compute "
                               "nothing";
  if (func.getNumArguments() + func.getNumResults() > abi::kMaxArgs)
    return func.emitError() << "exported function '" << name << "' has "
                            << func.getNumArguments() + func.getNumResults()
                            << " arguments and results; the C ABI takes at "
                               "most "
                            << abi::kMaxArgs;

  // Every op must be one whose shape relations this pass derives (so the
  // runtime checks are complete), or have only static shapes (which the
  // runtime checks against the signature).
  // (The ops of an attn.sdpa's mask_mod and score_mod run per score on
  // scalars and are the op's own: skipped.)
  WalkResult walk = func.walk<WalkOrder::PreOrder>([&](Operation *op)
                                                       -> WalkResult {
    if (isa<SdpaOp, ShapeRelationsOpInterface>(op))
      return WalkResult::skip();
    if (isa<LuongOp>(op)) {
      op->emitError() << "'" << op->getName()
                      << "' must be rewritten by attn-expand-variants "
                         "before attn-export-functions";
      return WalkResult::interrupt();
    }
    if (op == func.getOperation() ||
        isa<tensor::CastOp, func::ReturnOp>(op))
      return WalkResult::advance();
    if (auto call = dyn_cast<CallOpInterface>(op)) {
      InFlightDiagnostic diag = op->emitError()
                                << "exported function '" << name
                                << "' calls a function attnc cannot inline";
      if (auto callee =
              dyn_cast<SymbolRefAttr>(call.getCallableForCallee()))
        diag << " (" << callee << ")";
      diag << "; give it a body in this module";
      return WalkResult::interrupt();
    }
    auto dynamicShape = [](Type t) {
      auto st = dyn_cast<ShapedType>(t);
      return st && (!st.hasRank() || !st.hasStaticShape());
    };
    if (llvm::any_of(op->getOperandTypes(), dynamicShape) ||
        llvm::any_of(op->getResultTypes(), dynamicShape)) {
      op->emitError() << "'" << op->getName()
                      << "' on dynamic shapes is not supported in an exported "
                         "function yet: attnc cannot derive the run-time "
                         "checks its shapes need";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();

  FunctionType type = func.getFunctionType();
  abi::Signature sig;
  sig.kernelName = name.str();
  sig.numInputs = type.getNumInputs();
  sig.numOutputs = type.getNumResults();

  // Argument and result types, and names.
  llvm::StringSet<> seen;
  auto checkType = [&](Type t, bool isResult, unsigned i) -> LogicalResult {
    auto rt = dyn_cast<RankedTensorType>(t);
    const char *what = isResult ? "result" : "argument";
    if (!rt || !abi::dtypeCode(rt.getElementType()) ||
        rt.getRank() > abi::kMaxRank)
      return func.emitError()
             << what << " #" << i << " of exported function '" << name
             << "' has type " << t << "; expected a ranked tensor of rank <= "
             << abi::kMaxRank << " with an element type of the C ABI "
             << "(f32, f16, bf16, f64, i1, i32, i64)";
    std::string n = abi::argumentName(func, isResult, i);
    if (std::string why = abi::cNameProblem(n, /*isFunction=*/false);
        !why.empty())
      return func.emitError() << what << " #" << i << " name '" << n
                              << "' " << why;
    if (!seen.insert(n).second)
      return func.emitError() << what << " #" << i << " name '" << n
                              << "' is used twice";
    return success();
  };
  for (auto [i, t] : llvm::enumerate(type.getInputs()))
    if (failed(checkType(t, false, i)))
      return failure();
  for (auto [i, t] : llvm::enumerate(type.getResults()))
    if (failed(checkType(t, true, i)))
      return failure();

  // Dim relations.
  Block &body = func.getBody().front();
  DimRelations rel;
  for (BlockArgument arg : body.getArguments())
    (void)rel.dimsOf(arg);
  func.walk([&](Operation *op) {
    if (auto sdpa = dyn_cast<SdpaOp>(op))
      relateSdpa(sdpa, rel);
    else if (auto related = dyn_cast<ShapeRelationsOpInterface>(op))
      relateOp(related, rel);
    else if (auto cast = dyn_cast<tensor::CastOp>(op);
             cast && isa<RankedTensorType>(cast.getSource().getType()) &&
             isa<RankedTensorType>(cast.getType()))
      rel.setDims(cast.getResult(),
                  SmallVector<int64_t>(rel.dimsOf(cast.getSource())));
  });

  // Every dynamic result dim is tied to an argument dim: the ops allowed on
  // dynamic shapes above (attn.sdpa, tensor.cast, the ops stating their
  // shape relations) relate all their dims.
  auto returnOp = cast<func::ReturnOp>(body.getTerminator());
  SmallVector<SmallVector<int64_t>> resultIds;
  for (Value v : returnOp.getOperands()) {
    SmallVector<int64_t> ids(rel.dimsOf(v));
    resultIds.push_back(ids);
  }

  // Dense symbol numbering.
  llvm::DenseMap<int64_t, int64_t> symbolOf;
  auto symbol = [&](int64_t id) {
    auto [it, inserted] = symbolOf.try_emplace(rel.leader(id), symbolOf.size());
    return it->second;
  };
  auto addArg = [&](Type t, ArrayRef<int64_t> ids, bool isResult, unsigned i) {
    auto rt = cast<RankedTensorType>(t);
    abi::ArgSpec a;
    a.name = abi::argumentName(func, isResult, i);
    a.isOutput = isResult;
    a.dtype = *abi::dtypeCode(rt.getElementType());
    for (auto [k, id] : llvm::enumerate(ids)) {
      int64_t s = rt.isDynamicDim(k) ? rel.staticOf(id) : rt.getDimSize(k);
      a.staticDims.push_back(s);
      a.symbols.push_back(symbol(id));
    }
    sig.args.push_back(std::move(a));
  };
  for (auto [i, arg] : llvm::enumerate(body.getArguments()))
    addArg(arg.getType(), rel.dimsOf(arg), false, i);
  for (auto [r, ids] : llvm::enumerate(resultIds))
    addArg(type.getResult(r), ids, true, r);
  // Mask dims that broadcast when 1 at run time. Each needs a dim of its
  // symbol that does not (the entry point reads the broadcast size there),
  // which attn.sdpa's query, key and result always provide.
  {
    SmallVector<SmallVector<bool>> bcast;
    for (BlockArgument arg : body.getArguments())
      bcast.push_back(maskBroadcastDims(arg));
    llvm::DenseSet<int64_t> anchored;
    for (auto [i, a] : llvm::enumerate(sig.args))
      for (auto [k, sym] : llvm::enumerate(a.symbols))
        if (i >= bcast.size() || bcast[i].empty() || !bcast[i][k])
          anchored.insert(sym);
    for (auto [i, flags] : llvm::enumerate(bcast))
      for (auto [k, flag] : llvm::enumerate(flags))
        if (flag && anchored.contains(sig.args[i].symbols[k]))
          sig.args[i].staticDims[k] = abi::kBroadcastDim;
  }
  for (auto [n, d] : rel.divisibility()) {
    std::pair<int64_t, int64_t> div = {symbol(n), symbol(d)};
    if (!llvm::is_contained(sig.divisibility, div) && div.first != div.second)
      sig.divisibility.push_back(div);
  }
  // Upper bounds from attn.max_dims (the tightest bound per symbol wins).
  llvm::DenseMap<int64_t, int64_t> bound;
  auto addBounds = [&](DictionaryAttr attrs, Type t, ArrayRef<int64_t> ids,
                       const Twine &what) -> LogicalResult {
    if (!attrs)
      return success();
    Attribute attr = attrs.get(abi::kMaxDimsAttr);
    if (!attr)
      return success();
    auto maxDims = dyn_cast<DenseI64ArrayAttr>(attr);
    auto rt = cast<RankedTensorType>(t);
    if (!maxDims || maxDims.size() != rt.getRank())
      return func.emitError() << what << ": " << abi::kMaxDimsAttr
                              << " must be an array<i64> with one entry per "
                                 "dim ("
                              << rt.getRank() << ")";
    for (auto [k, max] : llvm::enumerate(maxDims.asArrayRef())) {
      if (max < -1)
        return func.emitError() << what << ": " << abi::kMaxDimsAttr
                                << " entry " << k << " is " << max
                                << "; use -1 for no bound";
      if (max == -1)
        continue;
      if (!rt.isDynamicDim(k) && rt.getDimSize(k) > max)
        return func.emitError() << what << ": static dim " << k << " ("
                                << rt.getDimSize(k) << ") exceeds its bound "
                                << max;
      int64_t sym = symbol(ids[k]);
      auto [it, inserted] = bound.try_emplace(sym, max);
      if (!inserted)
        it->second = std::min(it->second, max);
    }
    return success();
  };
  for (auto [i, arg] : llvm::enumerate(body.getArguments()))
    if (failed(addBounds(func.getArgAttrDict(i), arg.getType(),
                         rel.dimsOf(arg), "argument #" + Twine(i))))
      return failure();
  for (auto [r, ids] : llvm::enumerate(resultIds))
    if (failed(addBounds(func.getResultAttrDict(r), type.getResult(r), ids,
                         "result #" + Twine(r))))
      return failure();
  for (auto [sym, max] : bound)
    sig.bounds.push_back({sym, max});
  llvm::sort(sig.bounds);
  for (ArrayRef<int64_t> ids : rel.workspace()) {
    SmallVector<int64_t> product;
    for (int64_t id : ids)
      product.push_back(symbol(id));
    if (!llvm::is_contained(sig.workspace, product))
      sig.workspace.push_back(product);
  }
  sig.numSymbols = symbolOf.size();

  bool batchParallel = isBatchParallel(func, sig);

  // Rewrite to destination-passing style on strided memrefs.
  auto memrefOf = [&](Type t) {
    auto rt = cast<RankedTensorType>(t);
    SmallVector<int64_t> strides(rt.getRank(), ShapedType::kDynamic);
    auto layout = StridedLayoutAttr::get(ctx, ShapedType::kDynamic, strides);
    return MemRefType::get(rt.getShape(), rt.getElementType(), layout);
  };
  SmallVector<Type> newInputs;
  for (Type t : type.getInputs())
    newInputs.push_back(memrefOf(t));
  for (Type t : type.getResults())
    newInputs.push_back(memrefOf(t));

  unsigned numOld = body.getNumArguments();
  OpBuilder b = OpBuilder::atBlockBegin(&body);
  for (auto [i, t] : llvm::enumerate(newInputs)) {
    BlockArgument m = body.addArgument(t, func.getLoc());
    if (i < numOld) {
      BlockArgument old = body.getArgument(i);
      Value tensor = bufferization::ToTensorOp::create(
          b, old.getLoc(), old.getType(), m, /*restrict=*/true,
          /*writable=*/false);
      old.replaceAllUsesWith(tensor);
    }
  }
  body.eraseArguments(0, numOld);

  b.setInsertionPoint(returnOp);
  for (auto [r, v] : llvm::enumerate(returnOp.getOperands())) {
    Value out = body.getArgument(numOld + r);
    bufferization::MaterializeInDestinationOp::create(
        b, returnOp.getLoc(), TypeRange{}, v, out, /*restrict=*/true,
        /*writable=*/true);
  }
  func::ReturnOp::create(b, returnOp.getLoc());
  returnOp.erase();

  func.setFunctionType(FunctionType::get(ctx, newInputs, {}));
  func.removeArgAttrsAttr();
  func.removeResAttrsAttr();
  func.setSymName((abi::kKernelPrefix + name).str());
  func->setAttr(abi::kExportNameAttr, StringAttr::get(ctx, name));
  func->setAttr(abi::kSignatureAttr,
                DenseI64ArrayAttr::get(ctx, abi::encode(sig)));
  SmallVector<Attribute> names;
  for (const abi::ArgSpec &a : sig.args)
    names.push_back(StringAttr::get(ctx, a.name));
  func->setAttr(abi::kArgNamesAttr, ArrayAttr::get(ctx, names));
  if (batchParallel)
    func->setAttr(abi::kBatchParallelAttr, UnitAttr::get(ctx));
  return success();
}
