//===- attnc.cpp - The attnc compiler driver --------------------------------===//
//
// attnc model.mlir -o model.o    writes model.o and model.h
// attnc model.mlir --emit=mlir|llvm|asm|obj|header [-o FILE]
//
// Runs the whole pipeline in-process: parse and verify, attn-lower-to-llvm,
// translation to LLVM IR, O3, and machine code for the host CPU (or
// --mcpu/--mattr/--mtriple). On bad input it prints one line per diagnostic
// (file:line:col: error: ...) and exits with status 1, writing nothing.
//
//===----------------------------------------------------------------------===//
#include "codegen/Header.h"
#include "codegen/Pipelines.h"
#include "codegen/Target.h"
#include "dialect/Attn/AttnDialect.h"
#include "tools/attnc/Version.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace llvm;

namespace {
enum class Emit { MLIR, LLVMIR, Asm, Obj, Header };

cl::OptionCategory attncCat("attnc options");

cl::opt<std::string> inputFilename(cl::Positional, cl::desc("<input.mlir>"),
                                   cl::init("-"), cl::cat(attncCat));
cl::opt<std::string>
    outputFilename("o",
                   cl::desc("Output file (default: stdout for text, "
                            "<input>.o for obj; '-' is stdout)"),
                   cl::value_desc("file"), cl::cat(attncCat));
cl::opt<Emit> emitKind(
    "emit", cl::desc("What to produce"), cl::init(Emit::Obj),
    cl::values(clEnumValN(Emit::MLIR, "mlir", "MLIR in the LLVM dialect"),
               clEnumValN(Emit::LLVMIR, "llvm", "optimized LLVM IR"),
               clEnumValN(Emit::Asm, "asm", "target assembly"),
               clEnumValN(Emit::Obj, "obj",
                          "object file, plus the C header beside it"),
               clEnumValN(Emit::Header, "header", "the C header only")),
    cl::cat(attncCat));
cl::opt<std::string> headerFilename(
    "header", cl::desc("With --emit=obj: where to write the C header "
                       "(default: the output path with .h)"),
    cl::value_desc("file"), cl::cat(attncCat));
cl::opt<std::string> mcpu("mcpu",
                          cl::desc("Target CPU, or 'host' to detect it"),
                          cl::init("host"), cl::cat(attncCat));
cl::opt<std::string> mattr("mattr",
                           cl::desc("Extra target features (+avx2,-avx512f)"),
                           cl::cat(attncCat));
cl::opt<std::string> mtriple("mtriple",
                             cl::desc("Target triple (default: the host's)"),
                             cl::cat(attncCat));
cl::opt<unsigned> optLevel("opt-level", cl::desc("LLVM optimization level"),
                           cl::init(3), cl::cat(attncCat));
cl::opt<bool> noTile("no-tile",
                     cl::desc("Use the reference lowering (materialized "
                              "scores) instead of the tiled online softmax"),
                     cl::init(false), cl::cat(attncCat));
cl::opt<int64_t> qBlock("q-block",
                        cl::desc("Query rows per parallel task (default: "
                                 "from the target's vector registers)"),
                        cl::init(0), cl::cat(attncCat));
cl::opt<int64_t> kvBlock("kv-block",
                         cl::desc("Keys per online-softmax step (default: "
                                  "64)"),
                         cl::init(0), cl::cat(attncCat));
cl::opt<int64_t>
    vectorWidth("vector-width",
                cl::desc("f32 lanes per vector register of the kernels "
                         "(default: the target's widest; 0: scalar loops)"),
                cl::init(-1), cl::cat(attncCat));
cl::opt<int64_t> vectorRegisters(
    "vector-registers",
    cl::desc("Vector registers the register blocking may use (default: the "
             "target's)"),
    cl::init(0), cl::cat(attncCat));
cl::opt<bool> printPipeline("print-pipeline",
                            cl::desc("Print the MLIR pass pipeline and exit"),
                            cl::init(false), cl::cat(attncCat));

/// One line per diagnostic: "file:line:col: error: message".
void printDiagnostic(Diagnostic &diag) {
  auto print = [](Location loc, mlir::DiagnosticSeverity sev, StringRef msg) {
    if (auto fl = loc->findInstanceOf<FileLineColLoc>())
      errs() << fl.getFilename().getValue() << ":" << fl.getLine() << ":"
             << fl.getColumn() << ": ";
    else
      errs() << "attnc: ";
    switch (sev) {
    case mlir::DiagnosticSeverity::Error: errs() << "error: "; break;
    case mlir::DiagnosticSeverity::Warning: errs() << "warning: "; break;
    case mlir::DiagnosticSeverity::Note: errs() << "note: "; break;
    case mlir::DiagnosticSeverity::Remark: errs() << "remark: "; break;
    }
    std::string text = msg.str();
    for (char &c : text)
      if (c == '\n')
        c = ' ';
    errs() << text << "\n";
  };
  print(diag.getLocation(), diag.getSeverity(), diag.str());
  for (Diagnostic &note : diag.getNotes())
    print(note.getLocation(), note.getSeverity(), note.str());
}

/// Output path for text outputs: -o, or stdout.
std::string textOut() {
  return outputFilename.empty() ? std::string("-") : outputFilename.getValue();
}

int fail(const Twine &msg) {
  errs() << "attnc: error: " << msg << "\n";
  return 1;
}

/// Writes `data` to `path` ('-' = stdout). Returns false (after printing)
/// on failure.
bool writeFile(StringRef path, StringRef data) {
  std::string err;
  auto file = openOutputFile(path, &err);
  if (!file) {
    fail("cannot write '" + path + "': " + err);
    return false;
  }
  file->os() << data;
  file->os().flush();
  if (file->os().has_error()) {
    fail("cannot write '" + path + "'");
    return false;
  }
  file->keep();
  return true;
}

/// Writes every (path, data) pair or none: each goes to a temporary file
/// beside its target first, and all are renamed into place only when all
/// were written. Returns false (after printing) on failure.
bool writeAll(ArrayRef<std::pair<std::string, StringRef>> files) {
  SmallVector<std::string> temps;
  auto cleanup = [&] {
    for (const std::string &t : temps)
      sys::fs::remove(t);
  };
  for (const auto &[path, data] : files) {
    SmallString<256> temp;
    int fd;
    if (std::error_code ec = sys::fs::createUniqueFile(path + ".tmp-%%%%%%",
                                                       fd, temp)) {
      cleanup();
      fail("cannot write '" + path + "': " + ec.message());
      return false;
    }
    temps.push_back(temp.str().str());
    raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << data;
    os.close();
    if (os.has_error()) {
      os.clear_error();
      cleanup();
      fail("cannot write '" + path + "'");
      return false;
    }
  }
  for (auto [temp, file] : llvm::zip(temps, files)) {
    if (std::error_code ec = sys::fs::rename(temp, file.first)) {
      cleanup();
      fail("cannot write '" + file.first + "': " + ec.message());
      return false;
    }
  }
  return true;
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  registerAllPasses();
  attn::registerAttnPassesAndPipelines();
  cl::SetVersionPrinter([](raw_ostream &os) {
    os << "attnc " << ATTNC_VERSION << " (MLIR/LLVM " << ATTNC_LLVM_VERSION
       << ")\n";
  });
  cl::ParseCommandLineOptions(
      argc, argv,
      "attnc: compiles attn-dialect MLIR into an object file and a C header\n");

  if (qBlock < 0 || kvBlock < 0 || qBlock.getNumOccurrences() && qBlock == 0 ||
      kvBlock.getNumOccurrences() && kvBlock == 0)
    return fail("--q-block and --kv-block must be positive");
  if (vectorWidth < -1)
    return fail("--vector-width must be 0 (scalar) or positive");
  if (vectorRegisters < 0 ||
      vectorRegisters.getNumOccurrences() && vectorRegisters < 4)
    return fail("--vector-registers must be at least 4");

  // Check the target first: an unknown CPU is an error before any work.
  attn::TargetOptions targetOptions;
  targetOptions.cpu = mcpu;
  targetOptions.features = mattr;
  targetOptions.triple = mtriple;
  targetOptions.optLevel = std::min(optLevel.getValue(), 3u);
  auto tm = attn::createTargetMachine(targetOptions);
  if (!tm)
    return fail(toString(tm.takeError()));

  // Tile sizes from the target model unless given.
  attn::TargetModel model = attn::getTargetModel(
      **tm, mcpu.empty() || mcpu == "host");
  attn::LowerToLLVMOptions pipelineOptions;
  pipelineOptions.tile = !noTile;
  pipelineOptions.qBlock = qBlock;
  pipelineOptions.kvBlock = kvBlock;
  pipelineOptions.vectorWidth =
      vectorWidth >= 0 ? vectorWidth.getValue() : model.f32Lanes();
  pipelineOptions.vectorRegisters =
      vectorRegisters ? vectorRegisters.getValue()
                      : std::max<int64_t>(model.vectorRegisters, 4);
  pipelineOptions.bf16Dot = model.bf16Dot && pipelineOptions.vectorWidth > 0;
  pipelineOptions.l1Bytes = model.l1Bytes;
  if (printPipeline) {
    outs() << attn::getLowerToLLVMPipelineText(pipelineOptions) << "\n";
    return 0;
  }

  std::string errorMessage;
  auto input = openInputFile(inputFilename, &errorMessage);
  if (!input)
    return fail("cannot read '" + inputFilename + "': " + errorMessage);

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<attn::AttnDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // One line per diagnostic: no dump of the op after each error.
  context.printOpOnDiagnostic(false);
  context.getDiagEngine().registerHandler([](Diagnostic &diag) {
    printDiagnostic(diag);
    return success();
  });

  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1; // The diagnostic handler printed file:line:col.

  // Nothing to export is almost certainly a mistake (a private function, a
  // typo'd file): say so rather than write an empty object.
  bool hasPublic = false;
  for (auto f : module->getOps<func::FuncOp>())
    hasPublic |= f.isPublic() && !f.isExternal();
  if (!hasPublic)
    return fail("'" + inputFilename +
                "' has no public func.func with a body to export");

  mlir::PassManager pm(&context);
  if (failed(applyPassManagerCLOptions(pm)))
    return fail("bad pass manager options");
  applyDefaultTimingPassManagerCLOptions(pm);
  if (failed(attn::buildLowerToLLVMPipeline(pm, pipelineOptions)))
    return fail("internal error: cannot build the pass pipeline");
  if (failed(pm.run(*module)))
    return 1;

  StringRef source = inputFilename == "-" ? StringRef("<stdin>")
                                          : StringRef(inputFilename);
  auto headerText = [&](StringRef guard, std::string &out) {
    raw_string_ostream os(out);
    return attn::writeCHeader(*module, os, guard, sys::path::filename(source));
  };
  auto stem = [&](StringRef path) {
    return sys::path::stem(path).str();
  };

  if (emitKind == Emit::MLIR) {
    std::string text;
    raw_string_ostream os(text);
    module->print(os);
    return writeFile(textOut(), text) ? 0
                                                                          : 1;
  }
  if (emitKind == Emit::Header) {
    std::string out = textOut();
    std::string text;
    if (failed(headerText(stem(out == "-" ? source : StringRef(out)), text)))
      return 1;
    return writeFile(out, text) ? 0 : 1;
  }

  llvm::LLVMContext llvmContext;
  auto llvmModule =
      attn::translateAndOptimize(*module, llvmContext, **tm,
                                 targetOptions.optLevel);
  if (!llvmModule)
    return fail(toString(llvmModule.takeError()));

  if (emitKind == Emit::LLVMIR) {
    std::string text;
    raw_string_ostream os(text);
    (*llvmModule)->print(os, nullptr);
    return writeFile(textOut(), text) ? 0
                                                                          : 1;
  }

  SmallVector<char, 0> code;
  CodeGenFileType fileType = emitKind == Emit::Asm
                                 ? CodeGenFileType::AssemblyFile
                                 : CodeGenFileType::ObjectFile;
  if (Error err = attn::emitMachineCode(**llvmModule, **tm, fileType, code))
    return fail(toString(std::move(err)));
  StringRef codeRef(code.data(), code.size());

  if (emitKind == Emit::Asm)
    return writeFile(textOut(), codeRef)
               ? 0
               : 1;

  // Object file plus header, both produced in memory before either is
  // written, so a failure leaves no partial output.
  std::string objPath = outputFilename;
  if (objPath.empty())
    objPath = (source == "<stdin>" ? std::string("a") : stem(source)) + ".o";
  if (objPath == "-")
    return fail("refusing to write an object file to stdout; use -o FILE");
  std::string hdrPath = headerFilename;
  if (hdrPath.empty()) {
    SmallString<256> p(objPath);
    sys::path::replace_extension(p, ".h");
    hdrPath = p.str().str();
  }
  if (sys::fs::equivalent(objPath, hdrPath) || objPath == hdrPath)
    return fail("the object file and the header would both be written to '" +
                objPath + "'; use -o FILE.o or --header");
  std::string header;
  if (failed(headerText(stem(objPath), header)))
    return 1;
  return writeAll({{objPath, codeRef}, {hdrPath, header}}) ? 0 : 1;
}
