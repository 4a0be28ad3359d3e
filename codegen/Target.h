//===- Target.h - LLVM target machine and object emission -------*- C++ -*-===//
#ifndef ATTN_CODEGEN_TARGET_H
#define ATTN_CODEGEN_TARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/CodeGen.h"
#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace mlir::attn {

struct TargetOptions {
  /// "host" (the default) detects the CPU and its features; otherwise an
  /// LLVM CPU name such as "znver4", "skylake-avx512" or "x86-64-v3".
  std::string cpu = "host";
  /// Extra LLVM features, comma separated ("+avx2,-avx512f").
  std::string features;
  /// Target triple; empty means the host's.
  std::string triple;
  unsigned optLevel = 3;
};

/// What the tiling needs to know of the target, read from LLVM's target
/// model (TargetTransformInfo) for the machine's CPU and features.
struct TargetModel {
  /// Widest vector register LLVM will use for fixed-width vectors, in bits
  /// (512 with AVX-512, 256 with AVX2, 128 with SSE or NEON).
  int64_t vectorBits = 0;
  /// Number of such registers (32 with AVX-512, 16 with AVX2).
  int64_t vectorRegisters = 0;
  /// avx512_bf16 (vdpbf16ps) is available.
  bool bf16Dot = false;
  /// Data cache sizes in bytes (0 where LLVM does not know them).
  int64_t l1Bytes = 0, l2Bytes = 0;
  /// f32 lanes per vector register.
  int64_t f32Lanes() const { return vectorBits / 32; }
};

/// `host`: the machine runs the code, so its own cache sizes (sysconf) take
/// precedence over LLVM's per-CPU model (which gives 32 KiB L1 for every
/// x86 CPU).
TargetModel getTargetModel(llvm::TargetMachine &tm, bool host);

/// Creates the target machine. Errors: unknown triple, unknown CPU.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const TargetOptions &options);

/// Translates an LLVM-dialect module to LLVM IR, sets the target's data
/// layout, triple, CPU and features, and optimizes it (O0-O3).
llvm::Expected<std::unique_ptr<llvm::Module>>
translateAndOptimize(ModuleOp module, llvm::LLVMContext &context,
                     llvm::TargetMachine &tm, unsigned optLevel);

/// Emits an object file or assembly for `module` into `out`.
llvm::Error emitMachineCode(llvm::Module &module, llvm::TargetMachine &tm,
                            llvm::CodeGenFileType type,
                            llvm::SmallVectorImpl<char> &out);

} // namespace mlir::attn

#endif // ATTN_CODEGEN_TARGET_H
