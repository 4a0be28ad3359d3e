//===- KernelBuilder.cpp - Shared pieces of attn-tile's kernels -------------===//
#include "passes/tile/KernelBuilder.h"

#include "dialect/Attn/AttnOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::tile;

Value tile::buildGenerated(
    OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes, Type et,
    function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
  Value empty = tensor::EmptyOp::create(b, loc, sizes, et);
  int64_t rank = sizes.size();
  AffineMap id = b.getMultiDimIdentityMap(rank);
  return linalg::GenericOp::create(
             b, loc, empty.getType(), ValueRange{}, ValueRange{empty},
             ArrayRef<AffineMap>{id},
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange) {
               SmallVector<Value> idx;
               for (int64_t d = 0; d < rank; ++d)
                 idx.push_back(linalg::IndexOp::create(nb, nl, d));
               linalg::YieldOp::create(nb, nl, fn(nb, nl, idx));
             })
      .getResult(0);
}

Value tile::buildScratch(OpBuilder &b, Location loc,
                         ArrayRef<OpFoldResult> sizes,
                         std::optional<float> value) {
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamic;
  for (OpFoldResult s : sizes) {
    if (std::optional<int64_t> c = getConstantIntValue(s)) {
      shape.push_back(*c);
    } else {
      shape.push_back(ShapedType::kDynamic);
      dynamic.push_back(cast<Value>(s));
    }
  }
  auto type = RankedTensorType::get(shape, b.getF32Type());
  Value t = bufferization::AllocTensorOp::create(b, loc, type, dynamic);
  if (!value)
    return t;
  Value cst = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(*value));
  return linalg::FillOp::create(b, loc, cst, t).getResult(0);
}

VectorTiling VectorTiling::withRowVecs(int64_t n) const {
  VectorTiling t = *this;
  t.rowVecs = n;
  t.keyRows = t.valueCols = std::clamp<int64_t>((registers - n - 1) / n, 1, 8);
  return t;
}

KernelBuilder::KernelBuilder(ImplicitLocOpBuilder &b, VectorTiling cfg)
    : b(b), cfg(cfg), f32(b.getF32Type()),
      vecType(VectorType::get({cfg.width}, f32)),
      maskType(VectorType::get({cfg.width}, b.getI32Type())) {}

Value KernelBuilder::idx(int64_t c) {
  return arith::ConstantIndexOp::create(b, c);
}

Value KernelBuilder::splat(float x) {
  return arith::ConstantOp::create(
      b, DenseElementsAttr::get(vecType, b.getF32FloatAttr(x)));
}

Value KernelBuilder::f32Const(float x) {
  return arith::ConstantOp::create(b, b.getF32FloatAttr(x));
}

Value KernelBuilder::laneIds(int64_t offset) {
  SmallVector<int32_t> lanes;
  for (int64_t l = 0; l < cfg.width; ++l)
    lanes.push_back(static_cast<int32_t>(offset + l));
  return arith::ConstantOp::create(
      b, DenseElementsAttr::get(maskType, ArrayRef<int32_t>(lanes)));
}

Value KernelBuilder::readVec(Value tensor, Value row, int64_t vec) {
  return vector::TransferReadOp::create(
      b, vecType, tensor, ValueRange{row, idx(vec * cfg.width)},
      /*padding=*/std::nullopt, ArrayRef<bool>{true});
}

Value KernelBuilder::writeVec(Value value, Value tensor, Value row,
                              int64_t vec) {
  return vector::TransferWriteOp::create(b, value, tensor,
                                         ValueRange{row, idx(vec * cfg.width)},
                                         ArrayRef<bool>{true})
      .getResult();
}

Value KernelBuilder::readRow(Value tensor, ValueRange indices, bool inBounds) {
  Type et = cast<ShapedType>(tensor.getType()).getElementType();
  Value pad = arith::ConstantOp::create(b, et, b.getZeroAttr(et));
  Value v = vector::TransferReadOp::create(
      b, VectorType::get({cfg.width}, et), tensor, indices, pad,
      ArrayRef<bool>{inBounds});
  if (!et.isF32())
    v = arith::ExtFOp::create(b, vecType, v);
  return v;
}

std::pair<Value, Value> tile::buildBisection(
    ImplicitLocOpBuilder &b, Value lo, Value hi,
    function_ref<std::pair<Value, Value>(ImplicitLocOpBuilder &, Value, Value)>
        step) {
  Type index = b.getIndexType();
  auto loop = scf::WhileOp::create(
      b, TypeRange{index, index}, ValueRange{lo, hi},
      [&](OpBuilder &nb, Location nl, ValueRange s) {
        Value go = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt,
                                         s[0], s[1]);
        scf::ConditionOp::create(nb, nl, go, s);
      },
      [&](OpBuilder &nb, Location nl, ValueRange s) {
        ImplicitLocOpBuilder ib(nl, nb);
        auto [nlo, nhi] = step(ib, s[0], s[1]);
        scf::YieldOp::create(ib, ValueRange{nlo, nhi});
      });
  return {loop.getResult(0), loop.getResult(1)};
}

void KernelBuilder::prefetch(Value tensor, ValueRange indices) {
  auto view = tensor.getDefiningOp<bufferization::ToTensorOp>();
  if (!view)
    return;
  memref::PrefetchOp::create(b, view.getBuffer(), indices, /*isWrite=*/false,
                             /*localityHint=*/3, /*isDataCache=*/true);
}

Value KernelBuilder::maxNoNaN(Value x, Value y) {
  return arith::MaxNumFOp::create(b, x, y, arith::FastMathFlags::nnan);
}

/// Written here, not taken from upstream's math approximations (exp only,
/// with overflow handling that cannot occur here), because it is the
/// softmax's inner loop: 14 vector ops. x = n + f with n = round(x) (the
/// 1.5 * 2^23 trick, which also gives n's bits), |f| <= 1/2; 2^f by a
/// degree-5 polynomial fitted to relative minimax on [-1/2, 1/2] (2.4e-7
/// relative error evaluated in f32, 2 ulp); times 2^n built in the
/// exponent bits. x is first clamped to -127, where 2^n's exponent field
/// is 0, so that x <= -127 (including -inf, a masked score) gives exactly
/// 0: no select. The true 2^x there is below 2^-126, the normal range, and
/// negligible against a row sum >= 1. NaN inputs give unspecified outputs.
Value KernelBuilder::softmaxExp2(Value x) {
  Value xc = arith::MaxNumFOp::create(b, x, splat(-127.0f),
                                      arith::FastMathFlags::nnan);
  Value magic = splat(12582912.0f); // 1.5 * 2^23
  Value shifted = arith::AddFOp::create(b, xc, magic);
  Value n = arith::SubFOp::create(b, shifted, magic);
  Value f = arith::SubFOp::create(b, xc, n);
  static constexpr float c[] = {1.32765e-3f, 9.67554e-3f, 5.550713e-2f,
                                2.402212e-1f, 6.9314694e-1f, 1.0000001f};
  // Estrin's scheme: 3 dependent steps instead of Horner's 5, so that the
  // exp2 of a few vectors fits the out-of-order window of a 5-cycle FMA.
  Value f2 = arith::MulFOp::create(b, f, f);
  auto fma = [&](Value x, Value y, Value z) -> Value {
    return vector::FMAOp::create(b, x, y, z);
  };
  Value t01 = fma(splat(c[0]), f, splat(c[1]));
  Value t23 = fma(splat(c[2]), f, splat(c[3]));
  Value t45 = fma(splat(c[4]), f, splat(c[5]));
  Value p = fma(fma(t01, f2, t23), f2, t45);
  // bits(shifted) - bits(magic) = n; the float 2^n has bits (n + 127) << 23.
  int32_t magicBits = 0x4b400000; // bits of 1.5 * 2^23
  Value biased = arith::SubIOp::create(
      b, arith::BitcastOp::create(b, maskType, shifted),
      arith::ConstantOp::create(
          b, DenseElementsAttr::get(maskType,
                                    b.getI32IntegerAttr(magicBits - 127))));
  Value twoN = arith::BitcastOp::create(
      b, vecType,
      arith::ShLIOp::create(
          b, biased,
          arith::ConstantOp::create(
              b, DenseElementsAttr::get(maskType, b.getI32IntegerAttr(23)))));
  return arith::MulFOp::create(b, p, twoN);
}

Value KernelBuilder::softmaxExp2Scalar(Value x) {
  Value v = softmaxExp2(vector::BroadcastOp::create(b, vecType, x));
  return vector::ExtractOp::create(b, v, ArrayRef<int64_t>{0});
}

SmallVector<int64_t> KernelBuilder::blockSizes(int64_t n) {
  SmallVector<int64_t> sizes = {n};
  int64_t p = 1;
  while (p * 2 < n)
    p *= 2;
  for (; p >= 1 && n > 1; p /= 2)
    if (p < n)
      sizes.push_back(p);
  return sizes;
}

SmallVector<Value> KernelBuilder::fmaBroadcasts(ValueRange acc,
                                                ArrayRef<Value> vecs,
                                                ArrayRef<Value> scalars) {
  SmallVector<Value> next(acc);
  int64_t nv = vecs.size();
  for (auto [r, x] : llvm::enumerate(scalars)) {
    Value xb = vector::BroadcastOp::create(b, vecType,
                                           buildWidenToF32(b, b.getLoc(), x));
    for (int64_t v = 0; v < nv; ++v)
      next[r * nv + v] = vector::FMAOp::create(b, xb, vecs[v], acc[r * nv + v]);
  }
  return next;
}

SmallVector<Value> KernelBuilder::dotPairs(ValueRange acc,
                                           ArrayRef<Value> vecs,
                                           ArrayRef<Value> pairs) {
  SmallVector<Value> next(acc);
  int64_t nv = vecs.size();
  for (auto [r, pair] : llvm::enumerate(pairs))
    for (int64_t v = 0; v < nv; ++v)
      next[r * nv + v] = x86vector::DotBF16Op::create(b, vecType,
                                                      acc[r * nv + v], vecs[v],
                                                      pair);
  return next;
}

Value KernelBuilder::bf16Zero() {
  return arith::ConstantOp::create(b, b.getBF16Type(),
                                   b.getFloatAttr(b.getBF16Type(), 0.0));
}

VectorType KernelBuilder::pairType() {
  return VectorType::get({2 * cfg.width}, b.getBF16Type());
}

Value KernelBuilder::pairBroadcast(Value lo, Value hi) {
  Type i16 = b.getI16Type(), i32 = b.getI32Type();
  auto widen = [&](Value x) -> Value {
    return arith::ExtUIOp::create(b, i32, arith::BitcastOp::create(b, i16, x));
  };
  Value hi32 = arith::ShLIOp::create(
      b, widen(hi),
      arith::ConstantOp::create(b, b.getI32IntegerAttr(16)).getResult());
  Value pair = arith::OrIOp::create(b, widen(lo), hi32);
  Value lanes = vector::BroadcastOp::create(b, maskType, pair);
  return vector::BitCastOp::create(b, pairType(), lanes);
}

Value KernelBuilder::pairAt(Value tensor, ValueRange lo, ValueRange hi) {
  Value a = tensor::ExtractOp::create(b, tensor, lo);
  Value c = hi.empty() ? bf16Zero()
                       : tensor::ExtractOp::create(b, tensor, hi).getResult();
  return pairBroadcast(a, c);
}

SmallVector<Value> KernelBuilder::readPairRow(Value tensor, Value row,
                                              int64_t nv) {
  SmallVector<Value> vecs;
  for (int64_t v = 0; v < nv; ++v)
    vecs.push_back(vector::TransferReadOp::create(
        b, pairType(), tensor, ValueRange{row, idx(v * 2 * cfg.width)},
        /*padding=*/std::nullopt, ArrayRef<bool>{true}));
  return vecs;
}
