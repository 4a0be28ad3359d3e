//===- KernelBlocks.h - The blocks attn-tile's kernels use ------*- C++ -*-===//
//
// attn-tile's choice of register blocking, query rows per task and keys per
// step for an op, from the pass options (which attnc sets from the
// target's vector width, register count and L1 size). One function, so
// that the pass and `attnc --report` (which counts the blocks a mask
// empties at the kernels' own blocks) agree.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_PASSES_TILE_KERNELBLOCKS_H
#define ATTN_PASSES_TILE_KERNELBLOCKS_H

#include "dialect/Attn/AttnOps.h"
#include "passes/tile/KernelBuilder.h"

#include <optional>

namespace mlir::attn::tile {

/// attn-tile's options that choose blocks (0: from the target model).
struct BlockOptions {
  int64_t qBlock = 0, kvBlock = 0;
  int64_t vectorWidth = 0; // f32 lanes; 0: the scalar body
  int64_t vectorRegisters = 32;
  int64_t l1Bytes = 0; // 0: unknown
  bool bf16Dot = false;
};

struct KernelBlocks {
  /// The register blocking, or none for the scalar body (no vector width,
  /// or a q-block that is not a multiple of it).
  std::optional<VectorTiling> vec;
  int64_t qBlock = 64;       // query rows per prefill task
  int64_t kvBlock = 64;      // keys per prefill step
  int64_t decodeKvBlock = 0; // keys per decode step (0 without vectors)
};

/// The blocks attn-tile uses for `op` under `options`.
KernelBlocks chooseKernelBlocks(SdpaOp op, const BlockOptions &options);

} // namespace mlir::attn::tile

#endif // ATTN_PASSES_TILE_KERNELBLOCKS_H
