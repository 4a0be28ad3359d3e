//===- Abi.cpp - The attnc C ABI, seen from the compiler ------------------===//
#include "codegen/Abi.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::attn;

std::string abi::argumentName(FunctionOpInterface func, bool isResult,
                              unsigned i) {
  DictionaryAttr attrs =
      isResult ? func.getResultAttrDict(i) : func.getArgAttrDict(i);
  if (attrs)
    if (auto name = attrs.getAs<StringAttr>(kNameAttr))
      return name.str();
  return ((isResult ? "result" : "arg") + llvm::Twine(i)).str();
}

std::optional<int64_t> abi::dtypeCode(Type t) {
  if (t.isF32()) return ATTN_DTYPE_F32;
  if (t.isF16()) return ATTN_DTYPE_F16;
  if (t.isBF16()) return ATTN_DTYPE_BF16;
  if (t.isF64()) return ATTN_DTYPE_F64;
  if (t.isInteger(1)) return ATTN_DTYPE_I1;
  if (t.isInteger(32)) return ATTN_DTYPE_I32;
  if (t.isInteger(64)) return ATTN_DTYPE_I64;
  return std::nullopt;
}

bool abi::isCIdentifier(llvm::StringRef name) {
  if (name.empty() || !(llvm::isAlpha(name[0]) || name[0] == '_'))
    return false;
  return llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

std::string abi::cNameProblem(llvm::StringRef name, bool isFunction) {
  static const char *const keywords[] = {
      // C17 and C23.
      "auto", "break", "case", "char", "const", "continue", "default", "do",
      "double", "else", "enum", "extern", "float", "for", "goto", "if",
      "inline", "int", "long", "register", "restrict", "return", "short",
      "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
      "unsigned", "void", "volatile", "while", "bool", "true", "false",
      "nullptr", "alignas", "alignof", "static_assert", "thread_local",
      "typeof", "constexpr",
      // C++ (the header is also included from C++).
      "and", "and_eq", "asm", "bitand", "bitor", "catch", "char8_t",
      "char16_t", "char32_t", "class", "compl", "concept", "consteval",
      "constinit", "const_cast", "co_await", "co_return", "co_yield",
      "decltype", "delete", "dynamic_cast", "explicit", "export", "friend",
      "mutable", "namespace", "new", "noexcept", "not", "not_eq", "operator",
      "or", "or_eq", "private", "protected", "public", "reinterpret_cast",
      "requires", "static_cast", "template", "this", "throw", "try",
      "typeid", "typename", "using", "virtual", "wchar_t", "xor", "xor_eq"};
  // Symbols the object file or the runtime defines or uses.
  static const char *const taken[] = {
      "main", "malloc", "calloc", "realloc", "free", "aligned_alloc",
      "memset", "memcpy", "memmove", "abort", "exit", "setjmp", "longjmp"};
  if (!isCIdentifier(name))
    return "is not a C identifier";
  for (const char *k : keywords)
    if (name == k)
      return "is a C or C++ keyword";
  if (name.starts_with("__") ||
      (name.size() > 1 && name[0] == '_' && llvm::isUpper(name[1])))
    return "is reserved by C (a leading '__' or '_' and a capital)";
  if (isFunction) {
    if (name.starts_with("attn_") || name.starts_with("_mlir"))
      return "uses a prefix reserved by attnc ('attn_', '__attn', '_mlir')";
    for (const char *t : taken)
      if (name == t)
        return "is a C library function the kernel object uses";
  }
  return "";
}

llvm::SmallVector<int64_t> abi::encode(const Signature &sig) {
  llvm::SmallVector<int64_t> out = {kSignatureMagic, sig.numInputs,
                                    sig.numOutputs, sig.numSymbols,
                                    (int64_t)sig.divisibility.size(),
                                    (int64_t)sig.bounds.size(),
                                    (int64_t)sig.workspace.size()};
  for (const ArgSpec &a : sig.args) {
    out.push_back(a.dtype);
    out.push_back((int64_t)a.staticDims.size());
    for (auto [s, sym] : llvm::zip(a.staticDims, a.symbols)) {
      out.push_back(s);
      out.push_back(sym);
    }
  }
  for (auto [n, d] : sig.divisibility) {
    out.push_back(n);
    out.push_back(d);
  }
  for (auto [sym, max] : sig.bounds) {
    out.push_back(sym);
    out.push_back(max);
  }
  for (const auto &product : sig.workspace) {
    out.push_back((int64_t)product.size());
    out.append(product.begin(), product.end());
  }
  return out;
}

std::string abi::encodeNames(const Signature &sig) {
  std::string s = sig.kernelName;
  s.push_back('\0');
  for (const ArgSpec &a : sig.args) {
    s += a.name;
    s.push_back('\0');
  }
  return s;
}

std::optional<abi::Signature> abi::decode(Operation *func) {
  auto name = func->getAttrOfType<StringAttr>(kExportNameAttr);
  auto enc = func->getAttrOfType<DenseI64ArrayAttr>(kSignatureAttr);
  auto names = func->getAttrOfType<ArrayAttr>(kArgNamesAttr);
  if (!name || !enc || !names)
    return std::nullopt;
  ArrayRef<int64_t> w = enc.asArrayRef();
  if (w.size() < 7 || w[0] != kSignatureMagic)
    return std::nullopt;
  Signature sig;
  sig.kernelName = name.str();
  sig.numInputs = w[1];
  sig.numOutputs = w[2];
  sig.numSymbols = w[3];
  int64_t numDivs = w[4], numBounds = w[5], numProducts = w[6];
  if ((int64_t)names.size() != sig.numInputs + sig.numOutputs)
    return std::nullopt;
  size_t p = 7;
  for (int64_t i = 0; i < sig.numInputs + sig.numOutputs; ++i) {
    if (p + 2 > w.size())
      return std::nullopt;
    ArgSpec a;
    a.name = cast<StringAttr>(names[i]).str();
    a.isOutput = i >= sig.numInputs;
    a.dtype = w[p];
    int64_t rank = w[p + 1];
    p += 2;
    if (rank < 0 || p + 2 * rank > w.size())
      return std::nullopt;
    for (int64_t k = 0; k < rank; ++k) {
      a.staticDims.push_back(w[p + 2 * k]);
      a.symbols.push_back(w[p + 2 * k + 1]);
    }
    p += 2 * rank;
    sig.args.push_back(std::move(a));
  }
  if (numDivs < 0 || numBounds < 0 || numProducts < 0 ||
      p + 2 * numDivs + 2 * numBounds > w.size())
    return std::nullopt;
  for (int64_t d = 0; d < numDivs; ++d)
    sig.divisibility.push_back({w[p + 2 * d], w[p + 2 * d + 1]});
  p += 2 * numDivs;
  for (int64_t d = 0; d < numBounds; ++d)
    sig.bounds.push_back({w[p + 2 * d], w[p + 2 * d + 1]});
  p += 2 * numBounds;
  for (int64_t i = 0; i < numProducts; ++i) {
    if (p >= w.size() || w[p] < 0 || p + 1 + w[p] > w.size())
      return std::nullopt;
    sig.workspace.emplace_back(w.begin() + p + 1, w.begin() + p + 1 + w[p]);
    p += 1 + w[p];
  }
  if (p != w.size())
    return std::nullopt;
  return sig;
}
