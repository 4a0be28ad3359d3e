//===- Target.cpp - LLVM target machine and object emission -----------------===//
#include "codegen/Target.h"

#include <algorithm>
#include <unistd.h>

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/Analysis/TargetTransformInfo.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;

static void initializeTargets() {
  static bool done = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
    return true;
  }();
  (void)done;
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
attn::createTargetMachine(const TargetOptions &options) {
  initializeTargets();
  std::string tripleStr = options.triple.empty()
                              ? llvm::sys::getDefaultTargetTriple()
                              : options.triple;
  llvm::Triple triple(tripleStr);
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return llvm::createStringError("unknown target '" + tripleStr +
                                   "': " + error);

  std::string cpu = options.cpu;
  llvm::SubtargetFeatures features;
  if (cpu.empty() || cpu == "host") {
    cpu = llvm::sys::getHostCPUName().str();
    for (const auto &f : llvm::sys::getHostCPUFeatures())
      features.AddFeature(f.getKey(), f.getValue());
  } else {
    std::unique_ptr<llvm::MCSubtargetInfo> sti(
        target->createMCSubtargetInfo(triple, "", ""));
    if (!sti || !sti->isCPUStringValid(cpu))
      return llvm::createStringError("unknown target CPU '" + cpu +
                                     "' for " + tripleStr);
  }
  if (!options.features.empty())
    for (llvm::StringRef f : llvm::split(options.features, ','))
      if (!f.empty())
        features.AddFeature(f);

  llvm::TargetOptions to;
  llvm::CodeGenOptLevel ol = options.optLevel == 0   ? llvm::CodeGenOptLevel::None
                             : options.optLevel == 1 ? llvm::CodeGenOptLevel::Less
                             : options.optLevel == 2
                                 ? llvm::CodeGenOptLevel::Default
                                 : llvm::CodeGenOptLevel::Aggressive;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features.getString(), to, llvm::Reloc::PIC_, std::nullopt,
      ol));
  if (!tm)
    return llvm::createStringError("could not create a target machine for " +
                                   tripleStr);
  return tm;
}

llvm::Expected<std::unique_ptr<llvm::Module>>
attn::translateAndOptimize(ModuleOp module, llvm::LLVMContext &context,
                           llvm::TargetMachine &tm, unsigned optLevel) {
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context);
  if (!llvmModule)
    return llvm::createStringError("translation to LLVM IR failed");
  llvmModule->setDataLayout(tm.createDataLayout());
  llvmModule->setTargetTriple(tm.getTargetTriple());
  std::string cpu = tm.getTargetCPU().str();
  std::string features = tm.getTargetFeatureString().str();
  for (llvm::Function &f : *llvmModule) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", cpu);
    if (!features.empty())
      f.addFnAttr("target-features", features);
  }
  auto transformer = makeOptimizingTransformer(optLevel, /*sizeLevel=*/0, &tm);
  if (llvm::Error err = transformer(llvmModule.get()))
    return std::move(err);
  return llvmModule;
}

llvm::Error attn::emitMachineCode(llvm::Module &module, llvm::TargetMachine &tm,
                                  llvm::CodeGenFileType type,
                                  llvm::SmallVectorImpl<char> &out) {
  llvm::raw_svector_ostream os(out);
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr, type))
    return llvm::createStringError(
        "the target cannot emit this kind of file");
  pm.run(module);
  return llvm::Error::success();
}

attn::TargetModel attn::getTargetModel(llvm::TargetMachine &tm, bool host) {
  // TargetTransformInfo answers per function (features are function
  // attributes), so ask about an empty one with the machine's CPU.
  llvm::LLVMContext context;
  llvm::Module module("attn-target-model", context);
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(context), false);
  llvm::Function *f = llvm::Function::Create(
      type, llvm::GlobalValue::ExternalLinkage, "probe", module);
  f->addFnAttr("target-cpu", tm.getTargetCPU());
  f->addFnAttr("target-features", tm.getTargetFeatureString());
  llvm::TargetTransformInfo tti = tm.getTargetTransformInfo(*f);
  TargetModel model;
  model.vectorBits =
      tti.getRegisterBitWidth(
             llvm::TargetTransformInfo::RGK_FixedWidthVector)
          .getFixedValue();
  model.vectorRegisters =
      tti.getNumberOfRegisters(tti.getRegisterClassForType(/*Vector=*/true));
  if (const llvm::MCSubtargetInfo *sti = tm.getMCSubtargetInfo();
      sti && tm.getTargetTriple().isX86()) {
    model.bf16Dot = sti->checkFeatures("+avx512bf16");
    // AVX-512 targets get 512-bit vectors even where LLVM's tuning prefers
    // 256 (prefer-256-bit: Intel server CPUs from Skylake-X on, against the
    // clock drop of 512-bit code in mixed loops; TTI then reports 256).
    // attnc's kernels are FMA loops that LLVM's vector width preference
    // does not split: on an Intel Xeon (family 6 model 207, two 512-bit
    // FMA ports) 16 lanes ran dense attention at 4096 tokens 1.88x faster
    // than 8 (bench/mask_bench Dense/4/4096 with bench/mask_kernels.mlir
    // built by attnc --vector-width=16 and =8: 122 against 231 ms).
    if (sti->checkFeatures("+avx512f"))
      model.vectorBits = std::max<int64_t>(model.vectorBits, 512);
  }
  model.l1Bytes = tti.getCacheSize(llvm::TargetTransformInfo::CacheLevel::L1D)
                      .value_or(0);
  model.l2Bytes = tti.getCacheSize(llvm::TargetTransformInfo::CacheLevel::L2D)
                      .value_or(0);
#ifdef _SC_LEVEL1_DCACHE_SIZE
  if (host) {
    if (long l1 = sysconf(_SC_LEVEL1_DCACHE_SIZE); l1 > 0)
      model.l1Bytes = l1;
    if (long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE); l2 > 0)
      model.l2Bytes = l2;
  }
#endif
  return model;
}
