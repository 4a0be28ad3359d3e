//===- attnc-heatmap.cpp - Draw attention weights as a PNG heatmap ---------===//
//
//   attnc-heatmap probs.npy -o probs.png [--head=h,h,...] [--batch=B]
//                 [--labels-x=keys.txt] [--labels-y=queries.txt] ...
//
// Reads attention weights from a float32 .npy file ([q_len, kv_len],
// [heads, q_len, kv_len] or [batch, heads, q_len, kv_len], as an attnc
// F__probs kernel writes them) and draws one head, or a grid of heads, with
// a colour scale and token labels. Errors print one line and exit 1.
//
//===----------------------------------------------------------------------===//
#include "examples/npy.h"
#include "tools/attnc-heatmap/Heatmap.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace llvm;

namespace {
cl::OptionCategory cat("attnc-heatmap options");
cl::opt<std::string> input(cl::Positional, cl::Required,
                           cl::desc("<weights.npy>"), cl::cat(cat));
cl::opt<std::string> output("o", cl::Required,
                            cl::desc("The PNG file to write"),
                            cl::value_desc("file"), cl::cat(cat));
cl::opt<int64_t> batch("batch", cl::desc("Batch index (rank-4 weights)"),
                       cl::init(0), cl::cat(cat));
cl::list<int64_t> heads("head", cl::CommaSeparated,
                        cl::desc("The heads to draw, as a grid of panels "
                                 "(default: every head)"),
                        cl::value_desc("h,h,..."), cl::cat(cat));
cl::opt<int64_t> columns("columns",
                         cl::desc("Panels per row of the grid (default: "
                                  "about square)"),
                         cl::init(0), cl::cat(cat));
cl::opt<std::string> labelsX("labels-x",
                             cl::desc("A text file with one label per key "
                                      "(x axis), one per line"),
                             cl::value_desc("file"), cl::cat(cat));
cl::opt<std::string> labelsY("labels-y",
                             cl::desc("A text file with one label per query "
                                      "(y axis), one per line"),
                             cl::value_desc("file"), cl::cat(cat));
cl::opt<int> cell("cell", cl::desc("Cell size in pixels (default: from the "
                                   "sizes)"),
                  cl::init(0), cl::cat(cat));
cl::opt<double> vmax("vmax",
                     cl::desc("The weight at the top of the colour scale "
                              "(default: the largest drawn)"),
                     cl::init(0), cl::cat(cat));
cl::opt<std::string> title("title", cl::desc("A title above the panels"),
                           cl::cat(cat));

int fail(const Twine &message) {
  WithColor::error(errs(), "attnc-heatmap") << message << "\n";
  return 1;
}

/// One label per line (a trailing newline ends the last one, not a new
/// empty label).
Expected<std::vector<std::string>> readLabels(StringRef path) {
  auto buf = MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buf)
    return createStringError("cannot read '" + path +
                             "': " + buf.getError().message());
  std::vector<std::string> labels;
  StringRef text = (*buf)->getBuffer();
  if (text.ends_with("\n"))
    text = text.drop_back();
  if (text.empty())
    return labels;
  SmallVector<StringRef> lines;
  text.split(lines, '\n');
  for (StringRef l : lines)
    labels.push_back(l.rtrim("\r").str());
  return labels;
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(cat);
  cl::ParseCommandLineOptions(argc, argv,
                              "attnc-heatmap: attention weights as a PNG "
                              "heatmap\n");
  npy_array a;
  char err[512];
  if (npy_read(input.c_str(), &a, err, sizeof(err)) != 0)
    return fail(err);
  struct Free {
    npy_array *a;
    ~Free() { npy_free(a); }
  } freeArray{&a};
  if (std::strcmp(a.dtype, "<f4") != 0)
    return fail("'" + input + "' holds " + a.dtype +
                "; attention weights are float32 ('<f4')");
  attn::heatmap::Weights w;
  w.data = static_cast<const float *>(a.data);
  w.shape.assign(a.shape, a.shape + a.rank);
  w.count = a.count;
  attn::heatmap::Options o;
  o.batch = batch;
  o.heads.assign(heads.begin(), heads.end());
  o.columns = columns;
  o.cell = cell;
  o.vmax = vmax;
  o.title = title;
  for (auto [path, dest] : {std::pair{&labelsX, &o.xLabels},
                            std::pair{&labelsY, &o.yLabels}}) {
    if (path->empty())
      continue;
    auto labels = readLabels(*path);
    if (!labels)
      return fail(toString(labels.takeError()));
    *dest = std::move(*labels);
  }
  auto layout = attn::heatmap::render(w, o, output);
  if (!layout)
    return fail("'" + input + "': " + toString(layout.takeError()));
  return 0;
}
