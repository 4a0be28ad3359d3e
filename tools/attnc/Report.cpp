//===- Report.cpp - attnc --report: the masks of each kernel ----------------===//
//
// What a user asks of a masked kernel before running it: which masks it
// has, whether its blocks are classed at compile time or at run time, and,
// for a given shape, how much of the dense work it does. The block counts
// come from the masks' element predicates evaluated here on the host (the
// same semantics as MaskAttrInterface::buildKeep, in C++), at the kernels'
// own blocks (chooseKernelBlocks, for the target attnc compiles for) and
// over the key spans their tasks visit (BlockIteration's KeyRange, mirrored
// in spanOf). Blocks are skipped as the kernels' classes skip them
// (classEmpty); visited ones are called full here when all their elements
// are kept, where the kernels' own full class can be coarser (a union is
// full only where a part is): a block may move from full to partial, never
// between skipped and visited. A
// --count-blocks build reports the kernels' own counts at run time
// (attn_get_block_stats).
//
//===----------------------------------------------------------------------===//
#include "tools/attnc/Report.h"

#include "dialect/Attn/AttnOps.h"
#include "passes/tile/ModIntervals.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

/// The mask as the IR writes it, a block layout's table summarized.
std::string str(Attribute a) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (auto l = dyn_cast<BlockLayoutAttr>(a)) {
    auto t = cast<ShapedType>(l.getLayout().getType());
    int64_t on = llvm::count(l.getLayout().getValues<bool>(), true);
    os << "#attn.block_layout<block = " << l.getBlock() << ", layout = "
       << t.getDimSize(0) << "x" << t.getDimSize(1) << " blocks, " << on
       << " kept>";
    return s;
  }
  a.print(os);
  return s;
}

/// How the kernels class blocks for named mask `m` (`top`: a top-level
/// mask of the list).
std::string howClassed(Attribute m, bool top) {
  return llvm::TypeSwitch<Attribute, std::string>(m)
      .Case([](CausalAttr) {
        return "compile time: band, interval arithmetic on the diagonals";
      })
      .Case([](WindowAttr) {
        return "compile time: band, interval arithmetic on the diagonals";
      })
      .Case([](StridedAttr a) -> std::string {
        return a.getStride() == 1
                   ? "compile time: every block full"
                   : "compile time: interval arithmetic on the diagonals "
                     "(blocks without a multiple of the stride skipped, the "
                     "others partial)";
      })
      .Case([](GlobalTokensAttr) {
        return "compile time: interval arithmetic on the token count";
      })
      .Case([](BlockLayoutAttr) {
        return "compile time: summed-area table of the layout, O(1) per "
               "block";
      })
      .Case([](KeyPaddingAttr) {
        return "run time: the batch's length, O(1) per block";
      })
      .Case([](DocumentAttr) {
        return "run time: the ranges of the rows' and keys' ids, "
               "O(kv-block) per block";
      })
      .Case([&](CsrAttr) -> std::string {
        return top ? "run time: tasks whose rows list at most 1/N of their "
                     "keys (--gather-density, default 8) visit their edges only; "
                     "else one edge search per row, per block (empty "
                     "blocks skipped; the element mask a tile scattered "
                     "from the edges)"
                   : "none: every block partial (a search per score)";
      })
      .Case([](AllOfAttr) {
        return "combined: empty where any part is, full where all are";
      })
      .Case([](AnyOfAttr) {
        return "combined: empty where all parts are, full where any is";
      })
      .Default([](Attribute) { return "none: every block partial"; });
}

/// keep(q_idx, kv_idx) for mask `m` when it needs no run-time data.
std::optional<bool> keepAt(Attribute m, int64_t i, int64_t j, int64_t lq,
                           int64_t lk) {
  auto diag = [&](Alignment a) {
    return a == Alignment::top_left ? i : i + (lk - lq);
  };
  return llvm::TypeSwitch<Attribute, std::optional<bool>>(m)
      .Case([&](CausalAttr a) { return j <= diag(a.getAlignment()); })
      .Case([&](WindowAttr a) {
        int64_t d = diag(a.getAlignment()) - j;
        return -a.getRight() <= d && d <= a.getLeft();
      })
      .Case([&](StridedAttr a) {
        return (diag(a.getAlignment()) - j) % a.getStride() == 0;
      })
      .Case([&](GlobalTokensAttr a) {
        return i < a.getCount() || j < a.getCount();
      })
      .Case([&](BlockLayoutAttr a) -> std::optional<bool> {
        auto t = cast<ShapedType>(a.getLayout().getType());
        int64_t r = i / a.getBlock(), c = j / a.getBlock();
        if (r >= t.getDimSize(0) || c >= t.getDimSize(1))
          return false;
        return a.getLayout().getValues<bool>()[r * t.getDimSize(1) + c];
      })
      .Case([&](AllOfAttr a) -> std::optional<bool> {
        bool all = true;
        for (Attribute p : a.getMasks()) {
          std::optional<bool> k = keepAt(p, i, j, lq, lk);
          if (!k)
            return std::nullopt;
          all = all && *k;
        }
        return all;
      })
      .Case([&](AnyOfAttr a) -> std::optional<bool> {
        bool any = false;
        for (Attribute p : a.getMasks()) {
          std::optional<bool> k = keepAt(p, i, j, lq, lk);
          if (!k)
            return std::nullopt;
          any = any || *k;
        }
        return any;
      })
      .Default([](Attribute) { return std::nullopt; });
}

/// The keys a task of rows [q0, q1) may see for mask `m`, as the kernels'
/// classifiers bound them (passes/tile/NamedMasks.cpp): [start, end), each
/// unbounded when absent.
struct Span {
  std::optional<int64_t> start, end;
};
Span spanOf(Attribute m, int64_t q0, int64_t q1, int64_t lq, int64_t lk) {
  auto offset = [&](Alignment a) { return a == Alignment::top_left ? 0 : lk - lq; };
  return llvm::TypeSwitch<Attribute, Span>(m)
      .Case([&](CausalAttr a) {
        return Span{std::nullopt, q1 + offset(a.getAlignment())};
      })
      .Case([&](WindowAttr a) {
        int64_t off = offset(a.getAlignment());
        return Span{q0 + off - a.getLeft(), q1 - 1 + off + a.getRight() + 1};
      })
      .Case([&](GlobalTokensAttr a) {
        return Span{std::nullopt, q0 < a.getCount() ? lk : a.getCount()};
      })
      .Case([&](BlockLayoutAttr a) {
        auto t = cast<ShapedType>(a.getLayout().getType());
        return Span{std::nullopt, q0 / a.getBlock() >= t.getDimSize(0)
                                      ? 0
                                      : t.getDimSize(1) * a.getBlock()};
      })
      .Case([&](AllOfAttr a) {
        Span out;
        for (Attribute p : a.getMasks()) {
          Span s = spanOf(p, q0, q1, lq, lk);
          if (s.start)
            out.start = out.start ? std::max(*out.start, *s.start) : *s.start;
          if (s.end)
            out.end = out.end ? std::min(*out.end, *s.end) : *s.end;
        }
        return out;
      })
      .Case([&](AnyOfAttr a) {
        Span out;
        bool openStart = false, openEnd = false;
        for (Attribute p : a.getMasks()) {
          Span s = spanOf(p, q0, q1, lq, lk);
          openStart |= !s.start;
          openEnd |= !s.end;
          if (s.start && !openStart)
            out.start = out.start ? std::min(*out.start, *s.start) : *s.start;
          if (s.end && !openEnd)
            out.end = out.end ? std::max(*out.end, *s.end) : *s.end;
        }
        if (openStart)
          out.start.reset();
        if (openEnd)
          out.end.reset();
        return out;
      })
      .Default([](Attribute) { return Span{}; });
}

/// Whether the kernels class the block of rows [q0, q1) x keys [j0, j1)
/// empty for mask `m` (and skip it): as the classifiers of
/// passes/tile/NamedMasks.cpp decide it. Bands, strides, global tokens and
/// layouts are exact (no kept element); an intersection is empty where one
/// of its parts is (not where the parts only fail to meet), a union where
/// all of them are.
bool classEmpty(Attribute m, int64_t q0, int64_t q1, int64_t j0, int64_t j1,
                int64_t lq, int64_t lk) {
  if (auto a = dyn_cast<AllOfAttr>(m))
    return llvm::any_of(a.getMasks(), [&](Attribute p) {
      return classEmpty(p, q0, q1, j0, j1, lq, lk);
    });
  if (auto a = dyn_cast<AnyOfAttr>(m))
    return llvm::all_of(a.getMasks(), [&](Attribute p) {
      return classEmpty(p, q0, q1, j0, j1, lq, lk);
    });
  for (int64_t i = q0; i < q1; ++i)
    for (int64_t j = j0; j < j1; ++j)
      if (*keepAt(m, i, j, lq, lk))
        return false;
  return true;
}

struct OpReport {
  std::string function, location;
  SmallVector<std::pair<std::string, std::string>> masks; // (mask, class)
  bool compileTime = true; // every mask classed without run-time data
  // With a shape:
  bool counted = false;
  std::string notCounted;
  int64_t empty = 0, partial = 0, full = 0;
  int64_t rowBlock = 0, keyBlock = 0; // the kernels' blocks
  bool decode = false;
  double keptFraction = 0, workFraction = 0, flopDense = 0, flopVisited = 0;
};

OpReport analyze(SdpaOp op, StringRef function,
                 std::optional<ReportShape> shape,
                 const tile::BlockOptions &options, bool tiled) {
  OpReport r;
  r.function = function.str();
  if (auto fl = op.getLoc()->findInstanceOf<FileLineColLoc>())
    r.location = (fl.getFilename().getValue() + ":" + Twine(fl.getLine()) +
                  ":" + Twine(fl.getColumn()))
                     .str();
  SmallVector<Attribute> named(op.getNamedMasks());
  if (op.getCausal()) {
    auto causal = CausalAttr::get(op.getContext(), Alignment::bottom_right);
    r.masks.push_back({"causal (bottom-right)", howClassed(causal, true)});
    named.push_back(causal);
  }
  for (Attribute m : op.getNamedMasks()) {
    r.masks.push_back({str(m), howClassed(m, true)});
    if (!keepAt(m, 0, 0, 1, 1))
      r.compileTime = false;
  }
  if (op.getMask()) {
    r.masks.push_back({"mask operand " + str(TypeAttr::get(op.getMask().getType())),
                       "data: applied on every block"});
    r.compileTime = false;
  }
  if (Block *mod = op.getMaskModBlock()) {
    tile::ModClassKinds kinds = tile::probeModClasses(mod);
    std::string how =
        !kinds.empty && !kinds.full
            ? "none: every block partial (the result depends on values the "
              "intervals do not bound, such as a read at an index that "
              "moves with both q_idx and kv_idx)"
            : std::string("run time: interval evaluation of the region per "
                          "block, O(its ops), with per-call block tables of its "
                          "reads at q_idx or kv_idx; ") +
                  (kinds.empty && kinds.full ? "empty and full blocks"
                   : kinds.empty             ? "empty blocks (none full)"
                                             : "full blocks (none empty)");
    r.masks.push_back({"mask_mod region", how});
    r.compileTime = false;
  }
  if (op.getScoreModBlock())
    r.masks.push_back({"score_mod region", "a score modifier: every block"});
  for (Attribute m : op.getNamedScoreMods())
    r.masks.push_back({str(m), "a score modifier: every block"});
  if (r.masks.empty())
    r.masks.push_back({"no mask", "dense: every block full"});
  if (!shape)
    return r;
  int64_t lq = shape->qLen, lk = shape->kvLen;
  r.flopDense = 4.0 * shape->batch * shape->qHeads * lq * lk * shape->headDim;
  if (!r.compileTime) {
    r.notCounted = "classed at run time (or not at all): the counts depend "
                   "on the data";
    return r;
  }
  if ((double)lq * (double)lk > double(int64_t(1) << 32)) {
    r.notCounted = "q_len x kv_len is past 2^32: too large to count here";
    return r;
  }
  tile::KernelBlocks blocks = tile::chooseKernelBlocks(op, options);
  if (!tiled) {
    r.notCounted = "the reference lowering (--no-tile): every score computed";
    return r;
  }
  if (!blocks.vec && op.hasCoordinateMasks()) {
    r.notCounted = "no vector width: lowered untiled (attn-decompose), every "
                   "score computed";
    return r;
  }
  // Decode tasks (q_len <= 4, contiguous rows: the entry points'
  // unit-stride variant) hold all the queries of a head group.
  r.decode = blocks.vec && lq <= 4;
  int64_t qb = r.decode ? std::max<int64_t>(lq, 1) : blocks.qBlock;
  int64_t kb = r.decode ? blocks.decodeKvBlock : blocks.kvBlock;
  r.rowBlock = qb;
  r.keyBlock = kb;
  r.counted = true;
  double kept = 0, visited = 0;
  for (int64_t q0 = 0; q0 < lq; q0 += qb) {
    int64_t q1 = std::min(lq, q0 + qb);
    // The task's keys, as KeyRange bounds them: the masks' spans, the
    // start rounded down to a multiple of the step.
    int64_t start = 0, end = lk;
    for (Attribute m : named) {
      Span s = spanOf(m, q0, q1, lq, lk);
      if (s.end)
        end = std::clamp<int64_t>(*s.end, 0, end);
      if (s.start)
        start = std::max(start, *s.start);
    }
    start = std::min(end, start / kb * kb);
    for (int64_t j0 = 0; j0 < lk; j0 += kb) {
      int64_t j1 = std::min(end, j0 + kb), n = 0;
      for (int64_t i = q0; i < q1; ++i)
        for (int64_t j = j0; j < std::min(lk, j0 + kb); ++j) {
          bool k = true;
          for (Attribute m : named)
            k = k && *keepAt(m, i, j, lq, lk);
          n += k;
        }
      kept += n;
      // Outside [start, end) or classed empty: skipped (a step is cut at
      // the span's end, and classed as it runs); a block with no kept
      // score that no class empties is still visited, as partial.
      int64_t area = (q1 - q0) * (j1 - j0);
      if (j0 < start || j1 <= j0 ||
          llvm::any_of(named, [&](Attribute m) {
            return classEmpty(m, q0, q1, j0, j1, lq, lk);
          })) {
        ++r.empty;
        continue;
      }
      ++(n == area ? r.full : r.partial);
      visited += area;
    }
  }
  double all = (double)lq * (double)lk;
  r.keptFraction = all ? kept / all : 0;
  r.workFraction = all ? visited / all : 0;
  r.flopVisited = r.flopDense * r.workFraction;
  return r;
}

} // namespace

void attn::writeMaskReport(ModuleOp module, raw_ostream &os, bool json,
                           std::optional<ReportShape> shape,
                           const tile::BlockOptions &blocks, bool tiled) {
  std::vector<OpReport> reports;
  for (auto f : module.getOps<func::FuncOp>()) {
    if (!f.isPublic() || f.isExternal())
      continue;
    f.walk([&](SdpaOp op) {
      reports.push_back(analyze(op, f.getName(), shape, blocks, tiled));
    });
  }
  if (json) {
    llvm::json::OStream j(os, 2);
    j.object([&] {
      if (shape) {
        j.attributeObject("shape", [&] {
          j.attribute("batch", shape->batch);
          j.attribute("q_heads", shape->qHeads);
          j.attribute("q_len", shape->qLen);
          j.attribute("kv_len", shape->kvLen);
          j.attribute("head_dim", shape->headDim);
        });
      }
      j.attributeArray("kernels", [&] {
        for (const OpReport &r : reports)
          j.object([&] {
            j.attribute("function", r.function);
            j.attribute("location", r.location);
            j.attribute("classified_at_compile_time", r.compileTime);
            j.attributeArray("masks", [&] {
              for (auto &[m, c] : r.masks)
                j.object([&] {
                  j.attribute("mask", m);
                  j.attribute("classification", c);
                });
            });
            if (!shape)
              return;
            if (!r.counted) {
              j.attribute("blocks", r.notCounted);
              return;
            }
            j.attribute("row_block", r.rowBlock);
            j.attribute("kv_block", r.keyBlock);
            j.attribute("decode", r.decode);
            j.attributeObject("blocks", [&] {
              j.attribute("empty", r.empty);
              j.attribute("partial", r.partial);
              j.attribute("full", r.full);
            });
            j.attribute("kept_fraction", r.keptFraction);
            j.attribute("flop_dense", r.flopDense);
            j.attribute("flop_visited", r.flopVisited);
            j.attribute("work_vs_dense", r.workFraction);
          });
      });
    });
    os << "\n";
    return;
  }
  for (const OpReport &r : reports) {
    os << r.function << " (" << r.location << "):\n";
    for (auto &[m, c] : r.masks)
      os << "  " << m << "\n    classified: " << c << "\n";
    if (!shape)
      continue;
    os << "  shape batch " << shape->batch << ", q_heads " << shape->qHeads
       << ", q_len " << shape->qLen << ", kv_len " << shape->kvLen
       << ", head_dim " << shape->headDim << ":\n";
    if (!r.counted) {
      os << "    " << r.notCounted << "\n";
      continue;
    }
    os << "    the kernel's " << (r.decode ? "decode " : "") << "blocks: "
       << r.rowBlock << (r.decode ? " queries (of each head group)" : " rows")
       << " x " << r.keyBlock << " keys\n";
    int64_t total = r.empty + r.partial + r.full;
    os << "    blocks: " << total << ", visited " << r.partial + r.full
       << " (" << r.full << " full, " << r.partial << " partial), skipped "
       << r.empty << "\n";
    os << llvm::format("    kept scores %.4f of dense; FLOPs %.4g of %.4g "
                       "dense (%.4f)\n",
                       r.keptFraction, r.flopVisited, r.flopDense,
                       r.workFraction);
  }
}
