//===- AttnOps.h - attn dialect ops -----------------------------*- C++ -*-===//
#ifndef ATTN_DIALECT_ATTN_ATTNOPS_H
#define ATTN_DIALECT_ATTN_ATTNOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialect/Attn/AttnDialect.h"

#define GET_OP_CLASSES
#include "dialect/Attn/AttnOps.h.inc"

#endif // ATTN_DIALECT_ATTN_ATTNOPS_H
