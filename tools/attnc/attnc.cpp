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
#include "codegen/Abi.h"
#include "codegen/Header.h"
#include "codegen/Pipelines.h"
#include "codegen/Target.h"
#include "runtime/attn_runtime.h"
#include "dialect/Attn/AttnDialect.h"
#include "tools/attnc/Report.h"
#include "tools/attnc/Version.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
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
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Linker/Linker.h"
#include "llvm/MC/MCSubtargetInfo.h"
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
cl::opt<bool> countBlocks(
    "count-blocks",
    cl::desc("The kernels count the blocks they visit and skip, for "
             "attn_get_block_stats (a runtime call per key step)"),
    cl::init(false), cl::cat(attncCat));
cl::opt<int64_t> gatherDensity(
    "gather-density",
    cl::desc("Tasks whose #attn.csr rows list at most 1/N of the keys of "
             "their span gather those keys instead of running the block "
             "body (default 8; 0: never)"),
    cl::init(8), cl::cat(attncCat));
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
cl::opt<std::string> multiversion(
    "multiversion",
    cl::desc("Compile the kernels once per CPU in this comma-separated list "
             "(e.g. x86-64-v3,x86-64-v4) into one object whose entry points "
             "pick a version at run time from the CPU's features; the "
             "dispatch code is for --mcpu (default: x86-64)"),
    cl::value_desc("cpu,cpu,..."), cl::cat(attncCat));
cl::opt<std::string> report(
    "report", cl::ValueOptional,
    cl::desc("Print each kernel's masks and how its blocks are classed, "
             "then exit (--report=json: as JSON)"),
    cl::value_desc("text|json"), cl::cat(attncCat));
cl::opt<std::string> reportShape(
    "report-shape",
    cl::desc("With --report: count the empty, partial and full blocks and "
             "the FLOPs against dense for this shape"),
    cl::value_desc("batch,q_heads,q_len,kv_len,head_dim"), cl::cat(attncCat));
cl::list<std::string> weights(
    "weights", cl::CommaSeparated,
    cl::desc("Also export, for each function F, F__lse (every attn.sdpa's "
             "logsumexp as extra results) and/or F__probs (their attention "
             "weights); F is unchanged"),
    cl::value_desc("lse,probs"), cl::cat(attncCat));
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

/// The ATTN_CPU_* sets (runtime/attn_runtime.h) code for `tm` may use.
uint32_t requiredCpuFeatures(TargetMachine &tm) {
  const MCSubtargetInfo *sti = tm.getMCSubtargetInfo();
  if (!sti || !tm.getTargetTriple().isX86())
    return 0;
  uint32_t f = 0;
  if (sti->checkFeatures("+avx2,+fma,+bmi,+bmi2"))
    f |= ATTN_CPU_AVX2;
  if (sti->checkFeatures("+avx512f,+avx512bw,+avx512cd,+avx512dq,+avx512vl"))
    f |= ATTN_CPU_AVX512 | ATTN_CPU_AVX2;
  if (sti->checkFeatures("+avx512bf16"))
    f |= ATTN_CPU_AVX512BF16 | ATTN_CPU_AVX512 | ATTN_CPU_AVX2;
  // Any other AVX-512 set (a CPU name with some but not all of v4) still
  // needs the v4 check.
  if (!(f & ATTN_CPU_AVX512) && sti->checkFeatures("+avx512f"))
    f |= ATTN_CPU_AVX512 | ATTN_CPU_AVX2;
  return f;
}

/// The versions (lowered modules, one per CPU) translated, optimized for
/// their CPUs and linked into one LLVM module: version i's entry point E
/// becomes E__<cpu>, its other symbols local, and a new E calls the version
/// with the most features the running CPU has (attn_cpu_features), or
/// returns ATTN_ERR_UNSUPPORTED_CPU through attn_unsupported_cpu.
Expected<std::unique_ptr<llvm::Module>>
linkVersions(ArrayRef<OwningOpRef<ModuleOp>> versions,
             ArrayRef<std::string> cpus,
             ArrayRef<std::unique_ptr<TargetMachine>> tms,
             ArrayRef<std::string> entries, llvm::LLVMContext &ctx,
             unsigned optLevel) {
  auto tagOf = [](StringRef cpu) {
    std::string t;
    for (char c : cpu)
      t += isalnum((unsigned char)c) ? c : '_';
    return t;
  };
  llvm::StringSet<> entrySet;
  for (const std::string &e : entries)
    entrySet.insert(e);
  std::unique_ptr<llvm::Module> linked;
  SmallVector<std::pair<uint32_t, std::string>> order; // (features, tag)
  for (auto [i, version] : llvm::enumerate(versions)) {
    auto m = attn::translateAndOptimize(version.get(), ctx, *tms[i], optLevel);
    if (!m)
      return m.takeError();
    std::string tag = tagOf(cpus[i]);
    for (llvm::GlobalValue &g : (*m)->global_values()) {
      if (g.isDeclaration() || g.hasLocalLinkage())
        continue;
      std::string name = g.getName().str();
      if (entrySet.contains(name)) {
        g.setName(name + "__" + tag);
      } else {
        g.setName(name + "." + tag);
        g.setLinkage(llvm::GlobalValue::InternalLinkage);
      }
    }
    order.push_back({requiredCpuFeatures(*tms[i]), tag});
    if (!linked) {
      linked = std::move(*m);
    } else if (llvm::Linker::linkModules(*linked, std::move(*m))) {
      return createStringError("cannot link the version for '" + cpus[i] +
                               "'");
    }
  }
  // Most features first.
  llvm::stable_sort(order, [](auto &a, auto &b) {
    return llvm::popcount(a.first) > llvm::popcount(b.first);
  });
  llvm::Type *i32 = llvm::Type::getInt32Ty(ctx);
  llvm::Type *ptr = llvm::PointerType::get(ctx, 0);
  llvm::FunctionCallee features = linked->getOrInsertFunction(
      "attn_cpu_features", llvm::FunctionType::get(i32, false));
  llvm::FunctionCallee unsupported = linked->getOrInsertFunction(
      "attn_unsupported_cpu", llvm::FunctionType::get(i32, {ptr}, false));
  for (const std::string &entry : entries) {
    llvm::Function *first =
        linked->getFunction(entry + "__" + order.front().second);
    if (!first)
      return createStringError("no version of entry point '" + entry + "'");
    auto *dispatch = llvm::Function::Create(
        first->getFunctionType(), llvm::GlobalValue::ExternalLinkage, entry,
        *linked);
    llvm::IRBuilder<> ib(llvm::BasicBlock::Create(ctx, "entry", dispatch));
    SmallVector<llvm::Value *> args;
    for (llvm::Argument &a : dispatch->args())
      args.push_back(&a);
    llvm::Value *have = ib.CreateCall(features);
    for (auto &[need, tag] : order) {
      llvm::Function *version = linked->getFunction(entry + "__" + tag);
      llvm::BasicBlock *take =
          llvm::BasicBlock::Create(ctx, "take_" + tag, dispatch);
      llvm::BasicBlock *next =
          llvm::BasicBlock::Create(ctx, "next", dispatch);
      llvm::Value *ok = ib.CreateICmpEQ(
          ib.CreateAnd(have, ib.getInt32(need)), ib.getInt32(need));
      ib.CreateCondBr(ok, take, next);
      ib.SetInsertPoint(take);
      llvm::CallInst *call = ib.CreateCall(version, args);
      call->setTailCall();
      ib.CreateRet(call);
      ib.SetInsertPoint(next);
    }
    llvm::Value *name = ib.CreateGlobalString(entry, "__attn_mv_name_" + entry);
    llvm::CallInst *fail = ib.CreateCall(unsupported, {name});
    fail->setTailCall();
    ib.CreateRet(fail);
  }
  return linked;
}

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
  if (gatherDensity < 0)
    return fail("--gather-density must be 0 (never gather) or positive");

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
  auto fillOptions = [&](attn::LowerToLLVMOptions &o, TargetMachine &machine,
                         bool host) {
    attn::TargetModel model = attn::getTargetModel(machine, host);
    o.tile = !noTile;
    o.qBlock = qBlock;
    o.kvBlock = kvBlock;
    o.vectorWidth = vectorWidth >= 0 ? vectorWidth.getValue() : model.f32Lanes();
    o.vectorRegisters = vectorRegisters
                            ? vectorRegisters.getValue()
                            : std::max<int64_t>(model.vectorRegisters, 4);
    o.bf16Dot = model.bf16Dot && o.vectorWidth > 0;
    o.l1Bytes = model.l1Bytes;
    o.countBlocks = countBlocks;
    o.gatherDensity = gatherDensity;
    o.weights = ArrayRef<std::string>(weights);
  };
  for (const std::string &w : weights)
    if (w != "lse" && w != "probs")
      return fail("--weights takes lse and probs, comma separated, got '" +
                  w + "'");
  attn::LowerToLLVMOptions pipelineOptions;
  fillOptions(pipelineOptions, **tm, mcpu.empty() || mcpu == "host");
  // --multiversion: a target machine per listed CPU.
  SmallVector<std::string> versionCpus;
  SmallVector<std::unique_ptr<TargetMachine>> versionTms;
  if (!multiversion.empty()) {
    for (StringRef cpu : llvm::split(multiversion.getValue(), ','))
      if (!cpu.trim().empty())
        versionCpus.push_back(cpu.trim().str());
    if (versionCpus.size() < 2)
      return fail("--multiversion needs at least two CPUs, comma separated");
    if (emitKind == Emit::MLIR)
      return fail("--multiversion applies to --emit=llvm, asm, obj and "
                  "header; for MLIR use --mcpu");
    if (printPipeline)
      return fail("--multiversion runs one pipeline per CPU; print one with "
                  "--mcpu and --print-pipeline");
    for (const std::string &cpu : versionCpus) {
      attn::TargetOptions vo = targetOptions;
      vo.cpu = cpu;
      auto vtm = attn::createTargetMachine(vo);
      if (!vtm)
        return fail(toString(vtm.takeError()));
      versionTms.push_back(std::move(*vtm));
    }
    // The dispatch code: --mcpu when given, else the baseline x86-64.
    if (!mcpu.getNumOccurrences()) {
      attn::TargetOptions base = targetOptions;
      base.cpu = "x86-64";
      auto btm = attn::createTargetMachine(base);
      if (!btm)
        return fail(toString(btm.takeError()));
      tm = std::move(btm);
    }
  }
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

  if (report.getNumOccurrences()) {
    if (report != "" && report != "text" && report != "json")
      return fail("--report takes text or json, got '" + report + "'");
    std::optional<attn::ReportShape> shape;
    if (reportShape.getNumOccurrences()) {
      SmallVector<StringRef> parts;
      StringRef(reportShape).split(parts, ',');
      SmallVector<int64_t> v;
      for (StringRef p : parts) {
        int64_t x;
        if (p.trim().getAsInteger(10, x) || x < 0)
          return fail("--report-shape takes batch,q_heads,q_len,kv_len,"
                      "head_dim as non-negative integers, got '" +
                      reportShape + "'");
        v.push_back(x);
      }
      if (v.size() != 5)
        return fail("--report-shape takes 5 sizes (batch,q_heads,q_len,"
                    "kv_len,head_dim), got '" + reportShape + "'");
      shape = attn::ReportShape{v[0], v[1], v[2], v[3], v[4]};
    }
    const attn::LowerToLLVMOptions &o = pipelineOptions;
    attn::tile::BlockOptions blocks{o.qBlock,          o.kvBlock,
                                    o.vectorWidth,     o.vectorRegisters,
                                    o.l1Bytes,         o.bf16Dot};
    attn::writeMaskReport(*module, outs(), report == "json", shape, blocks,
                          o.tile);
    return 0;
  }
  if (reportShape.getNumOccurrences())
    return fail("--report-shape needs --report");

  auto lower = [&](ModuleOp m, const attn::LowerToLLVMOptions &o) {
    mlir::PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return fail("bad pass manager options"), false;
    applyDefaultTimingPassManagerCLOptions(pm);
    if (failed(attn::buildLowerToLLVMPipeline(pm, o)))
      return fail("internal error: cannot build the pass pipeline"), false;
    return succeeded(pm.run(m));
  };
  // --multiversion: each version lowered from a copy of the input.
  SmallVector<OwningOpRef<ModuleOp>> versions;
  for (auto &vtm : versionTms) {
    versions.push_back(module->clone());
    attn::LowerToLLVMOptions o;
    fillOptions(o, *vtm, /*host=*/false);
    if (!lower(*versions.back(), o))
      return 1;
  }
  if (versions.empty()) {
    if (!lower(*module, pipelineOptions))
      return 1;
  } else {
    module = versions.front()->clone(); // for the header: the same ABI
  }
  // The exported entry points (with --weights, the F__lse and F__probs
  // copies too): the kernels attn-export-functions named.
  SmallVector<std::string> entries;
  for (auto f : module->getOps<LLVM::LLVMFuncOp>())
    if (auto n = f->getAttrOfType<StringAttr>(attn::abi::kExportNameAttr))
      entries.push_back(n.str());

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
  Expected<std::unique_ptr<llvm::Module>> llvmModule =
      std::unique_ptr<llvm::Module>();
  if (versions.empty()) {
    llvmModule = attn::translateAndOptimize(*module, llvmContext, **tm,
                                            targetOptions.optLevel);
    if (!llvmModule)
      return fail(toString(llvmModule.takeError()));
  } else {
    auto linked = linkVersions(versions, versionCpus, versionTms, entries,
                               llvmContext, targetOptions.optLevel);
    if (!linked)
      return fail(toString(linked.takeError()));
    llvmModule = std::move(*linked);
  }

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
