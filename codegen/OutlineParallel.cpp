//===- OutlineParallel.cpp - attn-outline-parallel --------------------------===//
//
// scf.parallel -> a private function over a linearized iteration range plus
// a call of it; attn-emit-entry-points routes the call through the runtime's
// parallel-for. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNOUTLINEPARALLEL
#include "codegen/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
struct AttnOutlineParallelPass final
    : public attn::impl::AttnOutlineParallelBase<AttnOutlineParallelPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> funcs(module.getOps<func::FuncOp>());
    for (func::FuncOp func : funcs) {
      SmallVector<scf::ParallelOp> loops;
      func.walk([&](scf::ParallelOp loop) {
        if (!loop->getParentOfType<scf::ParallelOp>() && outlinable(loop))
          loops.push_back(loop);
      });
      for (auto [i, loop] : llvm::enumerate(loops))
        outline(func, loop, i, symbols);
    }
  }

  static bool outlinable(scf::ParallelOp loop) {
    return loop.getNumResults() == 0 &&
           llvm::all_of(loop.getLowerBound(),
                        [](Value v) { return isConstantIntValue(v, 0); }) &&
           llvm::all_of(loop.getStep(),
                        [](Value v) { return isConstantIntValue(v, 1); });
  }

  void outline(func::FuncOp parent, scf::ParallelOp loop, size_t index,
               SymbolTable &symbols);
};
} // namespace

void AttnOutlineParallelPass::outline(func::FuncOp parent,
                                      scf::ParallelOp loop, size_t index,
                                      SymbolTable &symbols) {
  MLIRContext *ctx = &getContext();
  Location loc = loop.getLoc();
  Type indexType = IndexType::get(ctx);

  // Values the body needs: the upper bounds, then everything it uses from
  // above. Constants are cloned into the new function instead of passed.
  llvm::SetVector<Value> captured;
  for (Value ub : loop.getUpperBound())
    captured.insert(ub);
  getUsedValuesDefinedAbove(loop.getRegion(), captured);
  SmallVector<Value> passed;
  SmallVector<Operation *> constants;
  for (Value v : captured) {
    Operation *def = v.getDefiningOp();
    if (def && def->hasTrait<OpTrait::ConstantLike>())
      constants.push_back(def);
    else
      passed.push_back(v);
  }

  SmallVector<Type> argTypes = {indexType, indexType};
  for (Value v : passed)
    argTypes.push_back(v.getType());
  OpBuilder b(parent);
  std::string name = ("__attn_par_" + parent.getSymName() + "_" +
                      Twine(index))
                         .str();
  auto fn = func::FuncOp::create(b, loc, name,
                                 FunctionType::get(ctx, argTypes, {}));
  fn.setPrivate();
  symbols.insert(fn);
  Block *entry = fn.addEntryBlock();
  OpBuilder fb = OpBuilder::atBlockBegin(entry);
  IRMapping map;
  for (Operation *c : constants)
    fb.clone(*c, map);
  for (auto [i, v] : llvm::enumerate(passed))
    map.map(v, entry->getArgument(2 + i));

  // for t in [begin, end): ivs = delinearize(t, ubs), row-major.
  Value begin = entry->getArgument(0), end = entry->getArgument(1);
  Value one = arith::ConstantIndexOp::create(fb, loc, 1);
  SmallVector<Value> ubs;
  for (Value ub : loop.getUpperBound())
    ubs.push_back(map.lookupOrDefault(ub));
  auto forOp = scf::ForOp::create(fb, loc, begin, end, one);
  OpBuilder lb = OpBuilder::atBlockBegin(forOp.getBody());
  Value rest = forOp.getInductionVar();
  SmallVector<Value> ivs(ubs.size());
  for (int64_t d = (int64_t)ubs.size() - 1; d >= 0; --d) {
    ivs[d] = d == 0 ? rest : arith::RemUIOp::create(lb, loc, rest, ubs[d]);
    if (d > 0)
      rest = arith::DivUIOp::create(lb, loc, rest, ubs[d]);
  }
  for (auto [iv, arg] : llvm::zip(loop.getInductionVars(), ivs))
    map.map(iv, arg);
  for (Operation &op : loop.getBody()->without_terminator())
    lb.clone(op, map);
  func::ReturnOp::create(fb, loc);

  // In place of the loop: call it over [0, prod(ubs)).
  OpBuilder cb(loop);
  Value total = arith::ConstantIndexOp::create(cb, loc, 1);
  for (Value ub : loop.getUpperBound())
    total = arith::MulIOp::create(cb, loc, total, ub);
  SmallVector<Value> args = {arith::ConstantIndexOp::create(cb, loc, 0),
                             total};
  args.append(passed.begin(), passed.end());
  func::CallOp::create(cb, loc, fn, args);
  loop.erase();
}
