//===- attn-opt.cpp - mlir-opt for the attn dialect -------------------------===//
#include "codegen/Pipelines.h"
#include "dialect/Attn/AttnDialect.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  // Upstream dialects too: attn lowers through linalg, bufferization, scf
  // and LLVM, and a pass author needs to parse and print all of them.
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<mlir::attn::AttnDialect>();
  mlir::registerAllPasses();
  mlir::attn::registerAttnPassesAndPipelines();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "attn optimizer driver\n", registry));
}
