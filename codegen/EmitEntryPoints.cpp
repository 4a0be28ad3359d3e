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

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNEMITENTRYPOINTS
#include "codegen/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

// Byte offsets in attn_tensor_t (runtime/attn_runtime.h).
static constexpr int64_t kDataOffset = 0;
static constexpr int64_t kShapeOffset = 16;
static constexpr int64_t kStridesOffset = 16 + 8 * abi::kMaxRank;

namespace {
struct AttnEmitEntryPointsPass final
    : public attn::impl::AttnEmitEntryPointsBase<AttnEmitEntryPointsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<LLVM::LLVMFuncOp> kernels;
    for (auto f : module.getOps<LLVM::LLVMFuncOp>())
      if (f->hasAttr(abi::kExportNameAttr))
        kernels.push_back(f);
    for (LLVM::LLVMFuncOp k : kernels)
      if (failed(emit(module, k)))
        return signalPassFailure();
  }

  LogicalResult emit(ModuleOp module, LLVM::LLVMFuncOp kernel);
};
} // namespace

static LLVM::LLVMFuncOp getOrDeclareCheckCall(ModuleOp module, OpBuilder &b) {
  MLIRContext *ctx = module.getContext();
  if (auto f = module.lookupSymbol<LLVM::LLVMFuncOp>("attn_check_call"))
    return f;
  OpBuilder::InsertionGuard g(b);
  b.setInsertionPointToStart(module.getBody());
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto fnType = LLVM::LLVMFunctionType::get(IntegerType::get(ctx, 32),
                                            {ptr, ptr, ptr});
  return LLVM::LLVMFuncOp::create(b, module.getLoc(), "attn_check_call",
                                  fnType);
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
  LLVM::LLVMFuncOp check = getOrDeclareCheckCall(module, b);

  // The entry point: i32 name(ptr, ..., ptr).
  int64_t numArgs = sig->args.size();
  auto entryType =
      LLVM::LLVMFunctionType::get(i32, SmallVector<Type>(numArgs, ptr));
  b.setInsertionPointAfter(kernel);
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

  b.setInsertionPointToStart(callBlock);
  auto loadAt = [&](Value base, int64_t offset, Type t) -> Value {
    Value addr = LLVM::GEPOp::create(b, loc, ptr, i8, base,
                                     ArrayRef<LLVM::GEPArg>{(int32_t)offset});
    return LLVM::LoadOp::create(b, loc, t, addr);
  };
  SmallVector<Value> kArgs;
  Value zero64 = cst64(0);
  for (int64_t i = 0; i < numArgs; ++i) {
    Value desc = body->getArgument(i);
    Value data = loadAt(desc, kDataOffset, ptr);
    kArgs.append({data, data, zero64});
    int64_t rank = sig->args[i].staticDims.size();
    for (int64_t k = 0; k < rank; ++k)
      kArgs.push_back(loadAt(desc, kShapeOffset + 8 * k, i64));
    for (int64_t k = 0; k < rank; ++k)
      kArgs.push_back(loadAt(desc, kStridesOffset + 8 * k, i64));
  }
  LLVM::CallOp::create(b, loc, kernel, kArgs);
  LLVM::BrOp::create(b, loc, ValueRange{zero32}, retBlock);

  b.setInsertionPointToStart(retBlock);
  LLVM::ReturnOp::create(b, loc, retBlock->getArgument(0));

  kernel.setLinkage(LLVM::Linkage::Internal);
  return success();
}
