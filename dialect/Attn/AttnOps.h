//===- AttnOps.h - attn dialect ops -----------------------------*- C++ -*-===//
#ifndef ATTN_DIALECT_ATTN_ATTNOPS_H
#define ATTN_DIALECT_ATTN_ATTNOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialect/Attn/AttnAttrs.h"
#include "dialect/Attn/AttnDialect.h"
#include "dialect/Attn/ShapeRelations.h"

#include "dialect/Attn/AttnInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialect/Attn/AttnOps.h.inc"

namespace mlir::attn {

/// An f32 tensor of `sizes` filled with `value` (tensor.empty + linalg.fill).
Value buildFilledTensor(OpBuilder &b, Location loc,
                        ArrayRef<OpFoldResult> sizes, float value);

/// The last step of (online) softmax attention: `acc / sum`, with 0 where
/// `sum` is 0 (a row that saw no key). `acc` is [d0, ..., dn, v_head_dim]
/// f32 and `sum` is [d0, ..., dn]; the result has acc's shape and element
/// type `resultElementType` (f32 when null; bf16 rounds to nearest even).
Value buildNormalizeBySum(OpBuilder &b, Location loc, Value acc, Value sum,
                          Type resultElementType = {});

/// A row's logsumexp in natural units from its softmax state: `unit * max +
/// ln sum`, where `max` is in units of `unit` nats (1 for natural units,
/// ln 2 for the vector bodies' base 2) and `sum` is the sum of
/// exp(score - max) in those units; -inf where `sum` is 0 (a row that saw
/// no key). f32 scalars.
Value buildLogSumExp(OpBuilder &b, Location loc, Value max, Value sum,
                     double unit);

/// buildLogSumExp over every element of two f32 tensors of one shape (the
/// rows' max and sum), as a linalg.generic into `dest` (a new tensor when
/// null). Every lowering of attn.sdpa's lse result uses it.
Value buildRowLogSumExp(OpBuilder &b, Location loc, Value max, Value sum,
                        double unit, Value dest = {});

/// x widened to f32 (exactly, from bf16); x itself when already f32.
Value buildWidenToF32(OpBuilder &b, Location loc, Value x);

/// exp(x) for f32 x, exactly 0 for x < -104 (including -inf), where f32 exp
/// underflows: the softmax weight of a masked or negligible score.
Value buildGuardedExp(OpBuilder &b, Location loc, Value x);

/// f32 -> bf16, rounding to nearest even (NaN stays a quiet NaN), built
/// from integer ops. arith.truncf would do, but on targets without
/// avx512bf16 LLVM legalizes vectorized bf16 selects (from its expansion)
/// through __truncsfbf2, which GCC 12's libgcc does not have.
Value buildTruncToBF16(OpBuilder &b, Location loc, Value x);

/// The value a mask_mod or score_mod block computes for `args` (its block
/// arguments: [score,] b, h, q_idx, kv_idx, captures...), with the block's
/// ops cloned at `b`'s insertion point; the block must have passed
/// SdpaOp's region verifier.
Value buildInlinedMod(OpBuilder &b, Block *block, ValueRange args);

/// Adds `x · W` over `[rowOffset, rowOffset + in_dim)` of W's rows to `acc`
/// as one linalg.generic (products and sum in f32): `acc[b, h, l, o] +=
/// sum_i x[b, h', l, i] * W[(h,) rowOffset + i, o]`, with x
/// `[batch, heads | 1, len, in_dim]` (a static 1 broadcasts), W
/// `[rows, out_dim]` or `[heads, rows, out_dim]` (f32 or bf16) and acc
/// `[batch, heads, len, out_dim]` f32. The body of attn.project and
/// attn.luong_output.
Value buildProjectionSum(OpBuilder &b, Location loc, Value x, Value weight,
                         int64_t rowOffset, Value acc);

} // namespace mlir::attn

#endif // ATTN_DIALECT_ATTN_ATTNOPS_H
