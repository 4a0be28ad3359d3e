//===- Pipelines.h - Named pass pipelines -----------------------*- C++ -*-===//
#ifndef ATTN_CODEGEN_PIPELINES_H
#define ATTN_CODEGEN_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir::attn {

/// Options of the `attn-lower-to-llvm` pipeline.
struct LowerToLLVMOptions : public PassPipelineOptions<LowerToLLVMOptions> {
  Option<bool> tile{*this, "tile",
                    llvm::cl::desc("Tile attn.sdpa into online-softmax "
                                   "blocks (attn-tile); off: the reference "
                                   "lowering that materializes the scores"),
                    llvm::cl::init(true)};
  Option<int64_t> qBlock{*this, "q-block",
                         llvm::cl::desc("Query rows per parallel task (0: "
                                        "from the target model)"),
                         llvm::cl::init(0)};
  Option<int64_t> kvBlock{*this, "kv-block",
                          llvm::cl::desc("Keys per online-softmax step (0: "
                                         "from the target model)"),
                          llvm::cl::init(0)};
  Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes per vector register for the register-blocked "
                     "kernels (0: scalar loops); attnc sets it from the "
                     "target"),
      llvm::cl::init(0)};
  Option<int64_t> vectorRegisters{
      *this, "vector-registers",
      llvm::cl::desc("Vector registers of the target"), llvm::cl::init(32)};
  Option<int64_t> l1Bytes{
      *this, "l1-bytes",
      llvm::cl::desc("L1 data cache size in bytes (0: unknown); attnc sets "
                     "it from the target model"),
      llvm::cl::init(0)};
  Option<bool> countBlocks{
      *this, "count-blocks",
      llvm::cl::desc("The vector kernels count their visited and skipped "
                     "blocks (attn_get_block_stats)"),
      llvm::cl::init(false)};
  Option<int64_t> gatherDensity{
      *this, "gather-density",
      llvm::cl::desc("Tasks whose CSR rows list at most 1/N of their "
                     "span's keys gather them (0: never)"),
      llvm::cl::init(8)};
  ListOption<std::string> weights{
      *this, "weights",
      llvm::cl::desc("Also export F__lse and/or F__probs, copies of each "
                     "function F that return every attn.sdpa's logsumexp "
                     "or attention weights (attn-expose-weights)")};
  Option<bool> bf16Dot{
      *this, "bf16-dot",
      llvm::cl::desc("bf16 inputs use avx512_bf16 dot products; attnc sets "
                     "it where the target has avx512bf16"),
      llvm::cl::init(false)};
};

/// The textual form of `attn-lower-to-llvm` with these options, anchored on
/// builtin.module, for `attn-opt --pass-pipeline=...`.
std::string getLowerToLLVMPipelineText(const LowerToLLVMOptions &options);

/// attn dialect (+ func/tensor) module -> LLVM dialect module with exported
/// C entry points. Runs: attn-expose-weights (with `weights`),
/// attn-export-functions, attn-tile, attn-decompose,
/// fusion, one-shot bufferization, buffer deallocation, loops,
/// attn-expand-math and the conversions to LLVM, then
/// attn-emit-entry-points.
LogicalResult buildLowerToLLVMPipeline(OpPassManager &pm,
                                       const LowerToLLVMOptions &options);

/// Registers every attn pass and the named pipelines with the global
/// registry (for attn-opt and attnc's pass-manager options).
void registerAttnPassesAndPipelines();

} // namespace mlir::attn

#endif // ATTN_CODEGEN_PIPELINES_H
