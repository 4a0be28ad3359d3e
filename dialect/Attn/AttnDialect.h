//===- AttnDialect.h - The attn dialect -------------------------*- C++ -*-===//
#ifndef ATTN_DIALECT_ATTN_ATTNDIALECT_H
#define ATTN_DIALECT_ATTN_ATTNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialect/Attn/AttnDialect.h.inc"

#endif // ATTN_DIALECT_ATTN_ATTNDIALECT_H
