//===- Abi.h - The attnc C ABI, seen from the compiler ----------*- C++ -*-===//
//
// Helpers shared by attn-export-functions, attn-emit-entry-points and the
// C header writer: dtype codes and the signature encoding of
// runtime/attn_runtime.h (docs/abi.md, "Signature encoding").
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CODEGEN_ABI_H
#define ATTN_CODEGEN_ABI_H

#include "runtime/attn_runtime.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Types.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

namespace mlir::attn::abi {

/// Attribute names set by attn-export-functions.
inline constexpr llvm::StringLiteral kExportNameAttr = "attn.export_name";
inline constexpr llvm::StringLiteral kSignatureAttr = "attn.signature";
inline constexpr llvm::StringLiteral kArgNamesAttr = "attn.arg_names";
/// Set when calls may be split along dim 0 (batch) of the outputs: the
/// function is independent across that dim (attn-export-functions checks).
inline constexpr llvm::StringLiteral kBatchParallelAttr = "attn.batch_parallel";
/// Optional argument attribute: per-dim inclusive upper bounds (-1 = none)
/// that the runtime enforces, e.g. a model's maximum context length.
inline constexpr llvm::StringLiteral kMaxDimsAttr = "attn.max_dims";
/// Optional argument/result attribute naming it in the C ABI.
inline constexpr llvm::StringLiteral kNameAttr = "attn.name";
/// Prefix of the internal kernel symbol.
inline constexpr llvm::StringLiteral kKernelPrefix = "__attn_kernel_";
/// Suffix of a kernel's copy specialized to unit innermost strides.
inline constexpr llvm::StringLiteral kUnitStrideSuffix = "__unit_stride";

/// The runtime's ABI constants (runtime/attn_runtime.h is the source).
inline constexpr int64_t kSignatureMagic = ATTN_SIGNATURE_MAGIC;
inline constexpr int64_t kMaxRank = ATTN_MAX_RANK;
inline constexpr int64_t kMaxArgs = ATTN_MAX_ARGS;
/// The static size of a dim that may be 1 at run time and then broadcasts.
inline constexpr int64_t kBroadcastDim = ATTN_DIM_BROADCAST;

/// The attn_dtype_t code of an element type, or std::nullopt if the ABI has
/// none for it. (attn_dtype_size and attn_dtype_name of the runtime give a
/// code's size and name.)
std::optional<int64_t> dtypeCode(Type elementType);

/// True if `name` is a C identifier.
bool isCIdentifier(llvm::StringRef name);
/// Why `name` cannot be a symbol or parameter name in the generated C
/// header, or "" if it can: not an identifier, a C or C++ keyword, a name
/// reserved by C (leading "__" or "_" + capital), or, for exported
/// functions, one reserved by attnc ("attn_", "__attn") or used by the
/// object file itself (malloc, free, memset, memcpy, ...).
std::string cNameProblem(llvm::StringRef name, bool isFunction);

/// The ABI name of argument (or result) `i` of `func`: its `attn.name`
/// attribute, else `arg<i>` (`result<i>`).
std::string argumentName(FunctionOpInterface func, bool isResult,
                         unsigned i);


/// A decoded signature.
struct ArgSpec {
  std::string name;
  int64_t dtype = 0;
  bool isOutput = false;
  /// Per dim: its static size, -1 if dynamic, or kBroadcastDim if dynamic
  /// and allowed to be 1 at run time (it then broadcasts: the entry point
  /// passes the size of its symbol with stride 0).
  llvm::SmallVector<int64_t> staticDims;
  llvm::SmallVector<int64_t> symbols;
};
struct Signature {
  std::string kernelName;
  int64_t numInputs = 0, numOutputs = 0, numSymbols = 0;
  llvm::SmallVector<ArgSpec> args;
  llvm::SmallVector<std::pair<int64_t, int64_t>> divisibility;
  /// (symbol, inclusive upper bound) for dims bounded with attn.max_dims.
  llvm::SmallVector<std::pair<int64_t, int64_t>> bounds;
  /// Element counts of the kernel's largest temporaries, as products of
  /// symbols; the runtime checks that their byte sizes cannot overflow.
  llvm::SmallVector<llvm::SmallVector<int64_t>> workspace;
};

/// Encodes to the runtime's int64 form.
llvm::SmallVector<int64_t> encode(const Signature &sig);
/// Decodes from an exported function's attributes; std::nullopt if absent or
/// malformed.
std::optional<Signature> decode(Operation *func);
/// NUL-separated names: the kernel name, then each argument's.
std::string encodeNames(const Signature &sig);

} // namespace mlir::attn::abi

#endif // ATTN_CODEGEN_ABI_H
