//===- KernelBlocks.cpp - The blocks attn-tile's kernels use ----------------===//
#include "passes/tile/KernelBlocks.h"

#include <algorithm>
#include <numeric>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::tile;

static std::optional<VectorTiling> vectorTiling(SdpaOp op,
                                                const BlockOptions &o) {
  if (o.vectorWidth < 1)
    return std::nullopt;
  VectorTiling t;
  t.width = o.vectorWidth;
  t.registers = o.vectorRegisters ? o.vectorRegisters : 32;
  t.bf16Dot = o.bf16Dot && op.getQueryType().getElementType().isBF16() &&
              (t.width == 8 || t.width == 16);
  // 4 row vectors with 32 registers (6 x 4 blocks), 2 with 16 (6 x 2).
  // Causal ops take the same blocks as dense ones. Half-height blocks
  // (8 x 2) waste half the triangle on each diagonal block, which short
  // causal rows felt on Zen 4 (seq_len 512: 3% faster; 4096: the same), but
  // at 4096 on an Intel Xeon (family 6 model 207) 6 x 4 blocks were faster
  // at both widths: 32-row blocks against 16-row at 8 lanes, 116-119 ms
  // against 124-129 ms; 64-row against 32-row at 16 lanes, 63.6-63.9
  // against 65.1-65.6 ms (bench/mask_bench Causal/4/4096).
  // Windows keep 2 row vectors: their bands are short, and 16 rows were as
  // fast as 32 at 8 lanes (Window/1/4096-65536).
  bool window = llvm::any_of(op.getNamedMasks(),
                             [](Attribute m) { return isa<WindowAttr>(m); });
  int64_t rowVecs = t.registers >= 32 && !window ? 4 : 2;
  if (o.qBlock) {
    if (o.qBlock % t.width != 0)
      return std::nullopt;
    rowVecs = o.qBlock / t.width;
  }
  return t.withRowVecs(rowVecs);
}

/// The gcd of the blocks of the #attn.block_layout masks among `masks`
/// (nested in all_of/any_of too), or 0.
static int64_t layoutBlock(ArrayRef<Attribute> masks) {
  int64_t g = 0;
  for (Attribute m : masks) {
    if (auto l = dyn_cast<BlockLayoutAttr>(m))
      g = std::gcd(g, l.getBlock());
    else if (auto a = dyn_cast<AllOfAttr>(m))
      g = std::gcd(g, layoutBlock(a.getMasks().getValue()));
    else if (auto a = dyn_cast<AnyOfAttr>(m))
      g = std::gcd(g, layoutBlock(a.getMasks().getValue()));
  }
  return g;
}

KernelBlocks tile::chooseKernelBlocks(SdpaOp op, const BlockOptions &o) {
  KernelBlocks r;
  std::optional<VectorTiling> vec = vectorTiling(op, o);
  r.vec = vec;
  r.qBlock = vec ? vec->qBlock() : (o.qBlock ? o.qBlock : 64);
  // Keys per step from the target model: the step's scores (kv-block x
  // q-block f32) take half of L1, the rest holding Q's and the
  // accumulator's rows in use; 16 to 512, a multiple of the register
  // block's keys so that only the last step has a remainder. 64 without
  // vectors or an L1 size.
  int64_t kvBlock = o.kvBlock;
  if (!kvBlock) {
    kvBlock = 64;
    if (vec && o.l1Bytes > 0)
      kvBlock = std::clamp<int64_t>(o.l1Bytes / 2 / (4 * vec->qBlock()), 16, 512);
    if (vec)
      kvBlock = std::max(vec->keyRows, kvBlock - kvBlock % vec->keyRows);
    // A window of W keys: steps of at most W / 8 keys (at least 16), so
    // that the band's middle runs in full steps and the two partial ends
    // waste at most 2 W / 8 keys; with 384-key steps a window of 256 has
    // no full step and computes up to 3x its scores. Measured on an Intel
    // Xeon (AVX-512, vector width 8), window 256 at 4096-65536 keys
    // (bench/mask_bench Window): 1.6-1.9x faster than 384-key steps;
    // W / 16 was the same within noise, W / 2 and W / 4 in between.
    for (Attribute m : op.getNamedMasks())
      if (auto w = dyn_cast<WindowAttr>(m)) {
        int64_t unit = vec ? vec->keyRows : 1;
        int64_t want = (w.getLeft() + w.getRight() + 1) / 8;
        want = std::max(want - want % unit, (16 + unit - 1) / unit * unit);
        kvBlock = std::min(kvBlock, want);
      }
    // A block layout's blocks are whole steps (the largest divisor of its
    // block of at most kvBlock keys, if at least 16), so that its steps
    // are all empty or full, none partial.
    // (A multiple of the register block's keys when one divides it.)
    if (int64_t layout = layoutBlock(op.getNamedMasks())) {
      int64_t unit = vec ? vec->keyRows : 1, best = 0;
      for (int64_t d = std::min(kvBlock, layout); d >= 16; --d)
        if (layout % d == 0 && (!best || d % unit == 0)) {
          if (!best)
            best = d;
          if (d % unit == 0) {
            best = d;
            break;
          }
        }
      if (best)
        kvBlock = best;
    }
  }
  // The decode body's steps: whole vectors and groups of 4 keys; 128 keys
  // (64 KiB of K and V at head_dim 128) unless kv-block says otherwise.
  int64_t decodeKvBlock = 0;
  if (vec) {
    int64_t unit = std::lcm<int64_t>(vec->width, 4);
    int64_t want = o.kvBlock ? o.kvBlock : 128;
    decodeKvBlock = (want + unit - 1) / unit * unit;
  }
  r.kvBlock = kvBlock;
  r.decodeKvBlock = decodeKvBlock;
  return r;
}
