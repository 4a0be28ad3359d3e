//===- AttnDialect.td - The attn dialect -------------------*- tablegen -*-===//
#ifndef ATTN_DIALECT_TD
#define ATTN_DIALECT_TD

include "mlir/IR/OpBase.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::mlir::attn";
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
  let summary = "Attention graphs: scaled dot-product attention and its kin";
  let description = [{
    The `attn` dialect expresses attention at the level a researcher writes it:
    query, key and value tensors in the layout
    `[batch, num_heads, seq_len, head_dim]`, a scale, a causal flag and an
    optional mask. Ops are value-semantic (tensors). They carry enough
    structure (masks, GQA grouping) for later passes to tile them into
    FlashAttention-style online-softmax kernels; today they lower through
    `linalg` to native code with the `attn-decompose` pass.
  }];
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

#endif // ATTN_DIALECT_TD
