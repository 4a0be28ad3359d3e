//===- Pipelines.cpp - Named pass pipelines ---------------------------------===//
#include "codegen/Pipelines.h"
#include "codegen/Passes.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

// Built from upstream passes by name, so that `attn-opt` users can paste the
// same text (printed by `attnc --print-pipeline`) and cut it anywhere.
std::string
attn::getLowerToLLVMPipelineText(const LowerToLLVMOptions &options) {
  std::string tile;
  if (options.tile)
    tile = "attn-tile{q-block=" + std::to_string(options.qBlock) +
           " kv-block=" + std::to_string(options.kvBlock) +
           " vector-width=" + std::to_string(options.vectorWidth) +
           " vector-registers=" + std::to_string(options.vectorRegisters) +
           (options.l1Bytes > 0
                ? " l1-bytes=" + std::to_string(options.l1Bytes)
                : std::string()) +
           (options.bf16Dot ? " bf16-dot=1" : "") +
           (options.countBlocks ? " count-blocks=1" : "") +
           (options.gatherDensity != 8
                ? " gather-density=" + std::to_string(options.gatherDensity)
                : std::string()) +
           "},";
  std::string weights;
  if (!options.weights.empty())
    weights = "attn-expose-weights{kinds=" +
              llvm::join(options.weights, ",") + "},";
  return "builtin.module("
         "inline,symbol-dce,attn-expand-variants," +
         weights +
         "attn-export-functions{unit-stride-variant=1}," +
         tile +
         "attn-decompose,"
         "canonicalize,cse,"
         "func.func(linalg-fuse-elementwise-ops),"
         "eliminate-empty-tensors,"
         "one-shot-bufferize{bufferize-function-boundaries=1 "
         "function-boundary-type-conversion=identity-layout-map},"
         "buffer-deallocation-pipeline,"
         "canonicalize,"
         "attn-lower-memref-copy,"
         "scf-forall-to-parallel,"
         "attn-outline-parallel,"
         "func.func(convert-linalg-to-loops),"
         "attn-lower-dynamic-expand-shape,"
         "expand-strided-metadata,"
         "lower-affine,"
         // bf16 <-> f32: native (vcvtneps2bf16) with avx512bf16; elsewhere
         // as integer ops, since LLVM would call __truncsfbf2, which GCC
         // 12's libgcc lacks.
         "attn-expand-math" +
         std::string(options.bf16Dot ? "," : "{expand-bf16=1},") +
         "convert-vector-to-llvm{enable-x86vector=1},"
         "convert-scf-to-cf,"
         "convert-math-to-llvm,"
         "convert-arith-to-llvm,"
         "convert-index-to-llvm,"
         "finalize-memref-to-llvm{use-generic-functions=1},"
         "convert-cf-to-llvm,"
         "convert-func-to-llvm,"
         "reconcile-unrealized-casts,"
         "attn-emit-entry-points,"
         "canonicalize)";
}

LogicalResult
attn::buildLowerToLLVMPipeline(OpPassManager &pm,
                               const LowerToLLVMOptions &options) {
  if (options.qBlock < 0 || options.kvBlock < 0 || options.vectorWidth < 0 ||
      options.vectorRegisters < 0)
    return failure();
  // The text is anchored on builtin.module (so it can be pasted into
  // --pass-pipeline); pm already is, so add the inner passes.
  std::string full = getLowerToLLVMPipelineText(options);
  StringRef text = full;
  if (!text.consume_front("builtin.module(") || !text.consume_back(")"))
    return failure();
  return parsePassPipeline(text, pm);
}

void attn::registerAttnPassesAndPipelines() {
  attn::registerAttnPasses();
  attn::registerAttnTransformPasses();
  PassPipelineRegistration<LowerToLLVMOptions>(
      "attn-lower-to-llvm",
      "Lower attn functions to the LLVM dialect with C ABI entry points",
      [](OpPassManager &pm, const LowerToLLVMOptions &options) {
        (void)buildLowerToLLVMPipeline(pm, options);
      });
}
