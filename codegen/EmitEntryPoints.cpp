//===- EmitEntryPoints.cpp - attn-emit-entry-points -------------------------===//
//
// Emits, in the LLVM dialect, the exported C function of each kernel: it
// checks the call with the runtime, then unpacks attn_tensor_t descriptors
// into the memref arguments of the lowered kernel. See Passes.td.
//
//===----------------------------------------------------------------------===//
#include "codegen/Abi.h"
#include "codegen/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"

#include <cstddef>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNEMITENTRYPOINTS
#include "codegen/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

// Byte offsets in attn_tensor_t, from the runtime's own definition.
static constexpr int64_t kDataOffset = offsetof(attn_tensor_t, data);
static constexpr int64_t kShapeOffset = offsetof(attn_tensor_t, shape);
static constexpr int64_t kStridesOffset = offsetof(attn_tensor_t, strides);

namespace {
struct AttnEmitEntryPointsPass final
    : public attn::impl::AttnEmitEntryPointsBase<AttnEmitEntryPointsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(emitParallelRegions(module)))
      return signalPassFailure();
    SmallVector<LLVM::LLVMFuncOp> kernels;
    for (auto f : module.getOps<LLVM::LLVMFuncOp>()) {
      if (f->hasAttr(abi::kExportNameAttr))
        kernels.push_back(f);
      else if (!f.isExternal())
        // Helpers the lowering defines (upstream's buffer deallocation
        // emits a public `dealloc_helper`): internal, so that two attnc
        // objects link into one program. The object's only public symbols
        // are the entry points emitted below.
        f.setLinkage(LLVM::Linkage::Internal);
    }
    for (LLVM::LLVMFuncOp k : kernels)
      if (failed(emit(module, k)))
        return signalPassFailure();
  }

  LogicalResult emit(ModuleOp module, LLVM::LLVMFuncOp kernel);
  LogicalResult emitParallelRegions(ModuleOp module);
};
} // namespace

/// The runtime function `name`, declared at the top of the module if absent.
static LLVM::LLVMFuncOp getOrDeclare(ModuleOp module, OpBuilder &b,
                                     StringRef name,
                                     LLVM::LLVMFunctionType type) {
  if (auto f = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return f;
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(module.getBody());
  return LLVM::LLVMFuncOp::create(b, module.getLoc(), name, type);
}

/// Rewrites each call of an outlined parallel loop body
/// (`__attn_par_*(begin, end, args...)`, from attn-outline-parallel) into
/// `attn_parallel_region(end, task, ctx)`: the arguments are stored in 8-byte
/// slots of a stack context, and an internal task function
/// `__attn_par_*_task(ctx, begin, end)` loads them and calls the body.
LogicalResult AttnEmitEntryPointsPass::emitParallelRegions(ModuleOp module) {
  MLIRContext *ctx = &getContext();
  auto i64 = IntegerType::get(ctx, 64);
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  SmallVector<LLVM::CallOp> calls;
  module.walk([&](LLVM::CallOp call) {
    if (std::optional<StringRef> callee = call.getCallee())
      if (callee->starts_with("__attn_par_") && !callee->ends_with("_task"))
        calls.push_back(call);
  });
  if (calls.empty())
    return success();
  OpBuilder b(ctx);
  // void attn_parallel_region(int64_t n, attn_task_fn task, void *ctx);
  LLVM::LLVMFuncOp region = getOrDeclare(
      module, b, "attn_parallel_region",
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                  {i64, ptr, ptr}));
  llvm::DenseMap<StringAttr, LLVM::LLVMFuncOp> tasks;
  for (LLVM::CallOp call : calls) {
    Location loc = call.getLoc();
    auto body = module.lookupSymbol<LLVM::LLVMFuncOp>(*call.getCallee());
    if (!body || call.getNumOperands() < 2)
      return call.emitError("malformed parallel region call");
    ValueRange args = call.getOperands().drop_front(2);
    for (Value a : args)
      if (!isa<LLVM::LLVMPointerType>(a.getType()) &&
          !(a.getType().isIntOrFloat() &&
            a.getType().getIntOrFloatBitWidth() <= 64))
        return call.emitError("parallel region argument of type ")
               << a.getType() << " cannot be passed through the runtime";

    // The task: load the arguments back from the context and call the body.
    LLVM::LLVMFuncOp &task = tasks[body.getSymNameAttr()];
    if (!task) {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointAfter(body);
      task = LLVM::LLVMFuncOp::create(
          b, loc, (body.getSymName() + "_task").str(),
          LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                      {ptr, i64, i64}),
          LLVM::Linkage::Internal);
      Block *entry = task.addEntryBlock(b);
      b.setInsertionPointToStart(entry);
      SmallVector<Value> callArgs = {entry->getArgument(1),
                                     entry->getArgument(2)};
      for (auto [k, a] : llvm::enumerate(args)) {
        Value slot = LLVM::GEPOp::create(b, loc, ptr, i64, entry->getArgument(0),
                                         ArrayRef<LLVM::GEPArg>{(int32_t)k});
        callArgs.push_back(LLVM::LoadOp::create(b, loc, a.getType(), slot));
      }
      LLVM::CallOp::create(b, loc, body, callArgs);
      LLVM::ReturnOp::create(b, loc, ValueRange{});
      body.setLinkage(LLVM::Linkage::Internal);
    }

    // At the call: store the arguments and run the task over [0, end).
    b.setInsertionPoint(call);
    Value count = LLVM::ConstantOp::create(
        b, loc, i64, b.getI64IntegerAttr(std::max<int64_t>(args.size(), 1)));
    Value context = LLVM::AllocaOp::create(b, loc, ptr, i64, count, 8);
    for (auto [k, a] : llvm::enumerate(args)) {
      Value slot = LLVM::GEPOp::create(b, loc, ptr, i64, context,
                                       ArrayRef<LLVM::GEPArg>{(int32_t)k});
      LLVM::StoreOp::create(b, loc, a, slot);
    }
    Value taskPtr = LLVM::AddressOfOp::create(b, loc, task);
    LLVM::CallOp::create(b, loc, region,
                         ValueRange{call.getOperand(1), taskPtr, context});
    call.erase();
  }
  return success();
}

LogicalResult AttnEmitEntryPointsPass::emit(ModuleOp module,
                                            LLVM::LLVMFuncOp kernel) {
  MLIRContext *ctx = &getContext();
  std::optional<abi::Signature> sig = abi::decode(kernel);
  if (!sig)
    return kernel.emitError("malformed attn.signature");
  std::string name = sig->kernelName;
  if (module.lookupSymbol(name))
    return kernel.emitError() << "symbol '" << name
                              << "' already exists; cannot export a kernel "
                                 "under that name";

  Location loc = kernel.getLoc();
  OpBuilder b(ctx);
  b.setInsertionPoint(kernel);
  auto i8 = IntegerType::get(ctx, 8);
  auto i32 = IntegerType::get(ctx, 32);
  auto i64 = IntegerType::get(ctx, 64);
  auto ptr = LLVM::LLVMPointerType::get(ctx);

  // Check that the kernel was lowered with the memref calling convention we
  // unpack: per rank-R memref, (ptr, ptr, i64, i64 x R, i64 x R).
  SmallVector<Type> expected;
  for (const abi::ArgSpec &a : sig->args) {
    expected.append({ptr, ptr, i64});
    expected.append(2 * a.staticDims.size(), i64);
  }
  LLVM::LLVMFunctionType kType = kernel.getFunctionType();
  if (kType.getParams() != ArrayRef<Type>(expected))
    return kernel.emitError("kernel was not lowered with the expanded memref "
                            "calling convention");

  // attn-export-functions' copy for unit innermost strides, if any.
  auto unitKernel = module.lookupSymbol<LLVM::LLVMFuncOp>(
      (kernel.getName() + abi::kUnitStrideSuffix).str());
  if (unitKernel && unitKernel.getFunctionType() != kType)
    return unitKernel.emitError("unit-stride kernel copy has another calling "
                                "convention than its kernel");

  // Signature and names.
  SmallVector<int64_t> words = abi::encode(*sig);
  auto sigType = LLVM::LLVMArrayType::get(i64, words.size());
  auto sigGlobal = LLVM::GlobalOp::create(
      b, loc, sigType, /*isConstant=*/true, LLVM::Linkage::Internal,
      "__attn_sig_" + name,
      DenseElementsAttr::get(
          RankedTensorType::get({(int64_t)words.size()}, i64),
          ArrayRef<int64_t>(words)));
  std::string names = abi::encodeNames(*sig);
  auto namesType = LLVM::LLVMArrayType::get(i8, names.size());
  auto namesGlobal = LLVM::GlobalOp::create(
      b, loc, namesType, /*isConstant=*/true, LLVM::Linkage::Internal,
      "__attn_names_" + name, b.getStringAttr(names));
  // attn_status_t attn_check_call(const int64_t *, const char *,
  //                               const attn_tensor_t *const *);
  LLVM::LLVMFuncOp check = getOrDeclare(
      module, b, "attn_check_call",
      LLVM::LLVMFunctionType::get(i32, {ptr, ptr, ptr}));

  // attn_status_t attn_run_tasks(const char *names, int64_t n,
  //                               attn_task_fn, void *);
  LLVM::LLVMFuncOp runTasks = getOrDeclare(
      module, b, "attn_run_tasks",
      LLVM::LLVMFunctionType::get(i32, {ptr, i64, ptr, ptr}));

  // The task: void __attn_task_<name>(ptr argv, i64 begin, i64 end) unpacks
  // the descriptors into memref arguments and calls the kernel. When the
  // kernel is batch-parallel, [begin, end) is a range of dim 0 (batch) of
  // the arguments whose dim 0 is the batch symbol; otherwise it is [0, 1).
  int64_t numArgs = sig->args.size();
  // Split calls over the batch only when the kernel has no parallel loop of
  // its own (the tiled lowering's loop already covers the batch).
  bool hasParallelRegion = false;
  kernel.walk([&](LLVM::CallOp call) {
    hasParallelRegion |= call.getCallee() == StringRef("attn_parallel_region");
  });
  std::optional<int64_t> batchSymbol;
  if (kernel->hasAttr(abi::kBatchParallelAttr) && !hasParallelRegion)
    batchSymbol = sig->args[sig->numInputs].symbols[0];
  auto taskType = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                              {ptr, i64, i64});
  b.setInsertionPointAfter(kernel);
  auto task = LLVM::LLVMFuncOp::create(b, loc, "__attn_task_" + name, taskType,
                                       LLVM::Linkage::Internal);
  {
    Block *body = task.addEntryBlock(b);
    b.setInsertionPointToStart(body);
    Value argv = body->getArgument(0);
    Value begin = body->getArgument(1), end = body->getArgument(2);
    auto loadAt = [&](Value base, int64_t offset, Type t) -> Value {
      Value addr = LLVM::GEPOp::create(b, loc, ptr, i8, base,
                                       ArrayRef<LLVM::GEPArg>{(int32_t)offset});
      return LLVM::LoadOp::create(b, loc, t, addr);
    };
    Value zero64 = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(0));
    SmallVector<Value> kArgs;
    Value allUnit; // every argument contiguous in its last dim
    Value one = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(1));
    SmallVector<Value> datas;
    SmallVector<SmallVector<Value>> allSizes, allStrides;
    for (int64_t i = 0; i < numArgs; ++i) {
      const abi::ArgSpec &spec = sig->args[i];
      Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, argv,
                                       ArrayRef<LLVM::GEPArg>{(int32_t)i});
      Value desc = LLVM::LoadOp::create(b, loc, ptr, slot);
      datas.push_back(loadAt(desc, kDataOffset, ptr));
      int64_t rank = spec.staticDims.size();
      SmallVector<Value> sizes, strides;
      for (int64_t k = 0; k < rank; ++k)
        sizes.push_back(loadAt(desc, kShapeOffset + 8 * k, i64));
      for (int64_t k = 0; k < rank; ++k)
        strides.push_back(loadAt(desc, kStridesOffset + 8 * k, i64));
      allSizes.push_back(sizes);
      allStrides.push_back(strides);
    }
    // Each symbol's size, from a dim of it that does not broadcast.
    llvm::DenseMap<int64_t, Value> symbolSize;
    for (int64_t i = 0; i < numArgs; ++i)
      for (auto [k, sym] : llvm::enumerate(sig->args[i].symbols))
        if (sig->args[i].staticDims[k] != abi::kBroadcastDim)
          symbolSize.try_emplace(sym, allSizes[i][k]);
    for (int64_t i = 0; i < numArgs; ++i) {
      const abi::ArgSpec &spec = sig->args[i];
      Value data = datas[i];
      int64_t rank = spec.staticDims.size();
      SmallVector<Value> &sizes = allSizes[i], &strides = allStrides[i];
      // A broadcast dim of size 1 (the runtime allowed it) becomes its
      // symbol's size with stride 0: the kernel sees the full shape.
      for (int64_t k = 0; k < rank; ++k) {
        if (spec.staticDims[k] != abi::kBroadcastDim)
          continue;
        Value full = symbolSize.lookup(spec.symbols[k]);
        if (!full)
          return kernel.emitError("broadcast dim ")
                 << k << " of '" << spec.name
                 << "' has no dim of its size to broadcast to";
        Value isOne = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq,
                                           sizes[k], one);
        sizes[k] = LLVM::SelectOp::create(b, loc, isOne, full, sizes[k]);
        strides[k] = LLVM::SelectOp::create(b, loc, isOne, zero64, strides[k]);
      }
      if (batchSymbol && rank > 0 && spec.symbols[0] == *batchSymbol) {
        // data += begin * strides[0] elements; sizes[0] = end - begin.
        int64_t elemBytes = (int64_t)attn_dtype_size((int32_t)spec.dtype);
        Value elems = LLVM::MulOp::create(b, loc, begin, strides[0]);
        Value bytes = LLVM::MulOp::create(
            b, loc, elems,
            LLVM::ConstantOp::create(b, loc, i64,
                                     b.getI64IntegerAttr(elemBytes)));
        data = LLVM::GEPOp::create(b, loc, ptr, i8, data,
                                   ArrayRef<LLVM::GEPArg>{bytes});
        sizes[0] = LLVM::SubOp::create(b, loc, end, begin);
      }
      kArgs.append({data, data, zero64});
      kArgs.append(sizes);
      kArgs.append(strides);
      if (rank > 0) {
        // Stride 1, or a last dim of at most one element (never stepped).
        Value unit = LLVM::OrOp::create(
            b, loc,
            LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq,
                                 strides.back(), one),
            LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::sle,
                                 sizes.back(), one));
        allUnit = allUnit ? LLVM::AndOp::create(b, loc, allUnit, unit)
                                .getResult()
                          : unit;
      }
    }
    if (unitKernel && allUnit) {
      // The unit-stride copy when every argument allows it.
      Block *unitBlock = task.addBlock(), *anyBlock = task.addBlock();
      LLVM::CondBrOp::create(b, loc, allUnit, unitBlock, anyBlock);
      b.setInsertionPointToStart(unitBlock);
      LLVM::CallOp::create(b, loc, unitKernel, kArgs);
      LLVM::ReturnOp::create(b, loc, ValueRange{});
      b.setInsertionPointToStart(anyBlock);
    }
    LLVM::CallOp::create(b, loc, kernel, kArgs);
    LLVM::ReturnOp::create(b, loc, ValueRange{});
  }

  // The entry point: i32 name(ptr, ..., ptr).
  auto entryType =
      LLVM::LLVMFunctionType::get(i32, SmallVector<Type>(numArgs, ptr));
  b.setInsertionPointAfter(task);
  auto entry = LLVM::LLVMFuncOp::create(b, loc, name, entryType);
  Block *body = entry.addEntryBlock(b);
  Block *callBlock = entry.addBlock();
  Block *retBlock = entry.addBlock();
  retBlock->addArgument(i32, loc);

  b.setInsertionPointToStart(body);
  auto cst64 = [&](int64_t v) {
    return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(v));
  };
  Value n = cst64(std::max<int64_t>(numArgs, 1));
  Value argv = LLVM::AllocaOp::create(b, loc, ptr, ptr, n, /*alignment=*/8);
  for (int64_t i = 0; i < numArgs; ++i) {
    Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, argv,
                                     ArrayRef<LLVM::GEPArg>{(int32_t)i});
    LLVM::StoreOp::create(b, loc, body->getArgument(i), slot);
  }
  Value sigPtr = LLVM::AddressOfOp::create(b, loc, sigGlobal);
  Value namesPtr = LLVM::AddressOfOp::create(b, loc, namesGlobal);
  Value status = LLVM::CallOp::create(b, loc, check,
                                      ValueRange{sigPtr, namesPtr, argv})
                     .getResult();
  Value zero32 = LLVM::ConstantOp::create(b, loc, i32, b.getI32IntegerAttr(0));
  Value ok = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, status,
                                  zero32);
  LLVM::CondBrOp::create(b, loc, ok, callBlock, ValueRange{}, retBlock,
                         ValueRange{status});

  // Run the task over the batch (or once) through the runtime, which uses
  // attn_parallel_for and turns a failed workspace allocation into a status.
  b.setInsertionPointToStart(callBlock);
  Value count;
  if (batchSymbol) {
    Value outDesc = body->getArgument(sig->numInputs);
    Value addr = LLVM::GEPOp::create(b, loc, ptr, i8, outDesc,
                                     ArrayRef<LLVM::GEPArg>{
                                         (int32_t)kShapeOffset});
    count = LLVM::LoadOp::create(b, loc, i64, addr);
  } else {
    count = cst64(1);
  }
  Value taskPtr = LLVM::AddressOfOp::create(b, loc, task);
  Value runStatus =
      LLVM::CallOp::create(b, loc, runTasks,
                           ValueRange{namesPtr, count, taskPtr, argv})
          .getResult();
  LLVM::BrOp::create(b, loc, ValueRange{runStatus}, retBlock);

  b.setInsertionPointToStart(retBlock);
  LLVM::ReturnOp::create(b, loc, retBlock->getArgument(0));

  kernel.setLinkage(LLVM::Linkage::Internal);
  if (unitKernel)
    unitKernel.setLinkage(LLVM::Linkage::Internal);
  return success();
}
