//===- ExposeWeights.cpp - attn-expose-weights ------------------------------===//
//
// Adds F__lse / F__probs copies of exported functions. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "codegen/Abi.h"
#include "codegen/Passes.h"
#include "dialect/Attn/AttnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNEXPOSEWEIGHTS
#include "codegen/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// `op` with its lse (or probs) result set, built in its place; `op` is
/// erased. Returns the new op.
SdpaOp withWeights(OpBuilder &b, SdpaOp op, bool probs) {
  RankedTensorType q = op.getQueryType();
  SmallVector<int64_t> shape(q.getShape().take_front(3));
  Type f32 = b.getF32Type();
  Type lseType = op.getLseType(), probsType = op.getProbsType();
  if (probs) {
    shape.push_back(op.getKeyType().getDimSize(2));
    probsType = RankedTensorType::get(shape, f32);
  } else {
    lseType = RankedTensorType::get(shape, f32);
  }
  b.setInsertionPoint(op);
  auto n = SdpaOp::create(b, op.getLoc(), op.getOutput().getType(), lseType,
                          probsType, op.getQuery(), op.getKey(),
                          op.getValue(), op.getMask(), op.getCaptures(),
                          op.getScaleAttr(), op.getCausalAttr(),
                          op.getMasksAttr(), op.getScoreModsAttr());
  n->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  n.getMaskMod().takeBody(op.getMaskMod());
  n.getScoreMod().takeBody(op.getScoreMod());
  op.getOutput().replaceAllUsesWith(n.getOutput());
  if (Value lse = op.getLse())
    lse.replaceAllUsesWith(n.getLse());
  if (Value p = op.getProbs())
    p.replaceAllUsesWith(n.getProbs());
  op.erase();
  return n;
}

struct AttnExposeWeightsPass final
    : public attn::impl::AttnExposeWeightsBase<AttnExposeWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::SetVector<StringRef> wanted;
    for (const std::string &k : kinds) {
      if (k != "lse" && k != "probs") {
        module.emitError() << "attn-expose-weights: unknown kind '" << k
                           << "'; expected lse or probs";
        return signalPassFailure();
      }
      wanted.insert(k);
    }
    SmallVector<func::FuncOp> funcs;
    for (auto f : module.getOps<func::FuncOp>())
      if (f.isPublic() && !f.isExternal())
        funcs.push_back(f);
    SymbolTable symbols(module);
    for (func::FuncOp f : funcs) {
      // attn-export-functions reports functions it cannot export.
      if (!llvm::hasSingleElement(f.getBody()))
        continue;
      // Inserted after f in the order asked for.
      Operation *after = f;
      for (StringRef kind : wanted) {
        FailureOr<func::FuncOp> copy = expose(symbols, f, kind, after);
        if (failed(copy))
          return signalPassFailure();
        if (*copy)
          after = *copy;
      }
    }
  }

  /// Adds `F__<kind>` after `after`; a null function when `f` has no
  /// attn.sdpa.
  FailureOr<func::FuncOp> expose(SymbolTable &symbols, func::FuncOp f,
                                 StringRef kind, Operation *after);
};

} // namespace

FailureOr<func::FuncOp>
AttnExposeWeightsPass::expose(SymbolTable &symbols, func::FuncOp f,
                              StringRef kind, Operation *after) {
  SmallVector<SdpaOp> fOps;
  f.walk([&](SdpaOp op) { fOps.push_back(op); });
  if (fOps.empty())
    return func::FuncOp();
  bool probs = kind == "probs";
  const char *what = probs ? "attention weights" : "logsumexp";
  std::string name = (f.getSymName() + "__" + kind).str();
  // The extra results are returned by F's terminator: an op inside a loop
  // or a branch has no single value to return.
  Block *top = &f.getBody().front();
  for (SdpaOp op : fOps)
    if (op->getBlock() != top)
      return op.emitError()
             << "cannot return this attn.sdpa's " << what << " from '"
             << name << "' (attnc --weights): it is inside '"
             << op->getParentOp()->getName()
             << "', and only ops at the function's top level can";
  auto cannotAdd = [&]() {
    return f.emitError() << "cannot add '" << name << "', the copy of '"
                         << f.getSymName() << "' that also returns its "
                         << what;
  };
  if (symbols.lookup(name))
    return cannotAdd() << ": the module already has a symbol of that name";
  if (std::string why = abi::cNameProblem(name, /*isFunction=*/true);
      !why.empty())
    return cannotAdd() << " (attnc --weights): the name " << why;
  int64_t numArgs =
      f.getNumArguments() + f.getNumResults() + (int64_t)fOps.size();
  if (numArgs > abi::kMaxArgs)
    return cannotAdd() << " (attnc --weights): it would have " << numArgs
                       << " arguments and results; the C ABI takes at most "
                       << abi::kMaxArgs;
  MLIRContext *ctx = &getContext();
  OpBuilder b(ctx);
  b.setInsertionPointAfter(after);
  auto copy = cast<func::FuncOp>(b.clone(*f.getOperation()));
  copy.setSymName(name);
  symbols.insert(copy);

  SmallVector<SdpaOp> ops;
  copy.walk([&](SdpaOp op) { ops.push_back(op); });
  SmallVector<Value> extra;
  for (SdpaOp op : ops) {
    Value have = probs ? op.getProbs() : op.getLse();
    if (!have) {
      SdpaOp n = withWeights(b, op, probs);
      have = probs ? n.getProbs() : n.getLse();
    }
    extra.push_back(have);
  }

  // Names: kind, or kind0, kind1, ...; not one of F's.
  llvm::StringSet<> taken;
  for (unsigned i = 0; i < copy.getNumArguments(); ++i)
    taken.insert(abi::argumentName(copy, false, i));
  for (unsigned i = 0; i < copy.getNumResults(); ++i)
    taken.insert(abi::argumentName(copy, true, i));
  SmallVector<DictionaryAttr> resultAttrs;
  for (unsigned i = 0; i < copy.getNumResults(); ++i)
    resultAttrs.push_back(copy.getResultAttrDict(i)
                              ? copy.getResultAttrDict(i)
                              : DictionaryAttr::get(ctx));
  for (unsigned j = 0; j < extra.size(); ++j) {
    std::string n = extra.size() == 1 ? kind.str() : (kind + Twine(j)).str();
    while (taken.contains(n))
      n += "_";
    taken.insert(n);
    resultAttrs.push_back(DictionaryAttr::get(
        ctx, {NamedAttribute(abi::kNameAttr, StringAttr::get(ctx, n))}));
  }

  auto ret = cast<func::ReturnOp>(copy.getBody().front().getTerminator());
  SmallVector<Value> results(ret.getOperands());
  results.append(extra);
  ret->setOperands(results);
  copy.setFunctionType(FunctionType::get(ctx, copy.getArgumentTypes(),
                                         ValueRange(results).getTypes()));
  copy.setAllResultAttrs(resultAttrs);
  return copy;
}
