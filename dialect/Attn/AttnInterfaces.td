//===- AttnInterfaces.td - attn op interfaces --------------*- tablegen -*-===//
#ifndef ATTN_INTERFACES_TD
#define ATTN_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Attn_ShapeRelationsOpInterface
    : OpInterface<"ShapeRelationsOpInterface"> {
  let cppNamespace = "::mlir::attn";
  let description = [{
    An op that states how the dims of its operands and results relate, so
    that `attn-export-functions` can derive the run-time shape checks of an
    exported function that uses it on dynamic shapes (and the symbol of
    every dynamic result dim). An op must tie each result dim to an operand
    dim; a dim it leaves free is checked only against the signature's
    static sizes. Ops that implement it need no code in the export pass: a
    new op of the attention family plugs in by implementing this method.
  }];
  let methods = [
    InterfaceMethod<
      /*desc=*/[{Adds the op's equal dims, and the dims of the workspace
        tensors its reference lowering allocates, to `relations`.}],
      /*retTy=*/"void",
      /*methodName=*/"getShapeRelations",
      /*args=*/(ins "::mlir::attn::ShapeRelations &":$relations)>
  ];
}

#endif // ATTN_INTERFACES_TD
