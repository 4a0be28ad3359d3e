//===- Heatmap.cpp - Attention weights as PNG heatmaps ---------------------===//
#include "tools/attnc-heatmap/Heatmap.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/ConvertUTF.h"

#include <cairo.h>

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <memory>

using namespace attn::heatmap;
using llvm::createStringError;
using llvm::Twine;

std::array<double, 3> attn::heatmap::colour(double t) {
  // matplotlib.cm.viridis(i / 16), i = 0..16 (Python's matplotlib 3.6).
  static constexpr double kViridis[17][3] = {
      {0.2670, 0.0049, 0.3294}, {0.2823, 0.0950, 0.4173},
      {0.2788, 0.1755, 0.4834}, {0.2590, 0.2515, 0.5247},
      {0.2297, 0.3224, 0.5457}, {0.1994, 0.3876, 0.5546},
      {0.1727, 0.4488, 0.5579}, {0.1490, 0.5081, 0.5573},
      {0.1276, 0.5669, 0.5506}, {0.1206, 0.6258, 0.5335},
      {0.1579, 0.6838, 0.5017}, {0.2461, 0.7389, 0.4520},
      {0.3692, 0.7889, 0.3829}, {0.5160, 0.8312, 0.2943},
      {0.6785, 0.8637, 0.1895}, {0.8456, 0.8873, 0.0997},
      {0.9932, 0.9062, 0.1439}};
  if (!(t > 0))
    t = 0;
  t = std::min(t, 1.0) * 16;
  int i = std::min(static_cast<int>(t), 15);
  double f = t - i;
  std::array<double, 3> c;
  for (int k = 0; k < 3; ++k)
    c[k] = kViridis[i][k] * (1 - f) + kViridis[i + 1][k] * f;
  return c;
}

namespace {
constexpr double kFontSize = 11;
constexpr int kPad = 8;

struct CairoDeleter {
  void operator()(cairo_surface_t *s) const { cairo_surface_destroy(s); }
  void operator()(cairo_t *c) const { cairo_destroy(c); }
};
using Surface = std::unique_ptr<cairo_surface_t, CairoDeleter>;
using Context = std::unique_ptr<cairo_t, CairoDeleter>;

void useFont(cairo_t *cr, double size) {
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                         CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

double textWidth(cairo_t *cr, const std::string &s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  return e.x_advance;
}

std::string formatWeight(double x) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.3g", x);
  return buf;
}
} // namespace

llvm::Expected<Layout> attn::heatmap::render(const Weights &w,
                                             const Options &o,
                                             llvm::StringRef pngPath) {
  size_t rank = w.shape.size();
  if (rank < 2 || rank > 4)
    return createStringError(
        "weights must have rank 2 ([q_len, kv_len]), 3 ([heads, q_len, "
        "kv_len]) or 4 ([batch, heads, q_len, kv_len]), got rank " +
        Twine(rank));
  int64_t batches = rank == 4 ? w.shape[0] : 1;
  int64_t numHeads = rank >= 3 ? w.shape[rank - 3] : 1;
  int64_t rows = w.shape[rank - 2], cols = w.shape[rank - 1];
  size_t product = 1;
  for (int64_t d : w.shape)
    if (d < 0 || (d > 0 && product > SIZE_MAX / (size_t)d))
      return createStringError("the weights' shape has too many elements");
    else
      product *= (size_t)d;
  if (product != w.count)
    return createStringError("the weights hold " + Twine(w.count) +
                             " values but their shape needs " +
                             Twine(product));
  if (rows <= 0 || cols <= 0)
    return createStringError("weights have no cells (q_len " + Twine(rows) +
                             ", kv_len " + Twine(cols) + ")");
  if (o.batch < 0 || o.batch >= batches)
    return createStringError("batch " + Twine(o.batch) +
                             " is out of range: the weights have " +
                             Twine(batches));
  std::vector<int64_t> heads = o.heads;
  if (heads.empty())
    for (int64_t h = 0; h < numHeads; ++h)
      heads.push_back(h);
  for (int64_t h : heads)
    if (h < 0 || h >= numHeads)
      return createStringError("head " + Twine(h) +
                               " is out of range: the weights have " +
                               Twine(numHeads) + " heads");
  if (!o.xLabels.empty() && (int64_t)o.xLabels.size() != cols)
    return createStringError("got " + Twine(o.xLabels.size()) +
                             " x labels for " + Twine(cols) + " keys");
  if (!o.yLabels.empty() && (int64_t)o.yLabels.size() != rows)
    return createStringError("got " + Twine(o.yLabels.size()) +
                             " y labels for " + Twine(rows) + " queries");
  auto isUTF8 = [](const std::string &t) {
    auto *begin = reinterpret_cast<const llvm::UTF8 *>(t.data());
    return llvm::isLegalUTF8String(&begin, begin + t.size());
  };
  for (auto [labels, axis] : {std::pair{&o.xLabels, "x"},
                              std::pair{&o.yLabels, "y"}})
    for (auto [i, t] : llvm::enumerate(*labels))
      if (!isUTF8(t))
        return createStringError(Twine(axis) + " label " + Twine(i) +
                                 " is not valid UTF-8");
  if (!isUTF8(o.title))
    return createStringError("the title is not valid UTF-8");
  if (o.cell < 0 || o.cell > 256)
    return createStringError("the cell size must be 0 (automatic) to 256 "
                             "pixels, got " + Twine(o.cell));
  if (!(o.vmax >= 0) || std::isinf(o.vmax))
    return createStringError("vmax must be finite and not negative");
  auto at = [&](int64_t h, int64_t i, int64_t j) {
    return w.data[((o.batch * numHeads + h) * rows + i) * cols + j];
  };
  double vmax = o.vmax;
  for (int64_t h : heads)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        float x = at(h, i, j);
        if (!std::isfinite(x) || x < 0)
          return createStringError(
              "weight [" + Twine(o.batch) + ", " + Twine(h) + ", " +
              Twine(i) + ", " + Twine(j) + "] is " + formatWeight(x) +
              "; attention weights are finite and not negative");
        if (o.vmax == 0)
          vmax = std::max(vmax, (double)x);
      }
  if (vmax == 0)
    vmax = 1; // All zeros: drawn as the bottom of a 0..1 scale.

  Layout L;
  L.vmax = vmax;
  L.cell = o.cell ? o.cell
                  : (int)std::clamp<int64_t>(
                        600 / std::max<int64_t>(std::max(rows, cols), 1), 4,
                        24);
  // Text sizes, measured on a scratch surface.
  Surface scratch(cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1));
  Context measure(cairo_create(scratch.get()));
  useFont(measure.get(), kFontSize);
  double yLabelWidth = 0, xLabelHeight = 0;
  for (const std::string &s : o.yLabels)
    yLabelWidth = std::max(yLabelWidth, textWidth(measure.get(), s));
  for (const std::string &s : o.xLabels)
    xLabelHeight = std::max(xLabelHeight, textWidth(measure.get(), s));
  // The layout in int64_t, checked against Cairo's limit of 32767 pixels a
  // side before it is narrowed to the image's ints.
  int64_t left =
      kPad + (int64_t)std::ceil(yLabelWidth) + (o.yLabels.empty() ? 0 : 4);
  int64_t panelTitle = (int64_t)kFontSize + 6;
  int64_t top = kPad + (o.title.empty() ? 0 : (int64_t)(kFontSize * 1.4) + 6);
  int64_t below =
      (int64_t)std::ceil(xLabelHeight) + (o.xLabels.empty() ? 0 : 4);
  int64_t ncol = o.columns > 0
                     ? o.columns
                     : (int64_t)std::ceil(std::sqrt((double)heads.size()));
  ncol = std::min<int64_t>(ncol, heads.size());
  int64_t nrow = ((int64_t)heads.size() + ncol - 1) / ncol;
  int64_t gridW = cols * L.cell, gridH = rows * L.cell;
  int64_t panelW = left + gridW + kPad,
          panelH = panelTitle + gridH + below + kPad;
  int64_t barLabel =
      (int64_t)std::ceil(textWidth(measure.get(), formatWeight(vmax))) +
      (int64_t)textWidth(measure.get(), "0.00");
  int64_t barX = ncol * panelW + kPad, barY = top + panelTitle;
  int64_t barHeight = std::max<int64_t>(gridH, 60);
  constexpr int64_t kBarWidth = 14, kMaxSide = 32767;
  int64_t width = barX + kBarWidth + 6 + barLabel + kPad;
  int64_t height = std::max(top + nrow * panelH, barY + barHeight + kPad);
  if (width > kMaxSide || height > kMaxSide)
    return createStringError(
        "the image would be over " + Twine(kMaxSide) + " pixels a side (" +
        Twine(ncol) + " x " + Twine(nrow) + " panels of " + Twine(rows) +
        " x " + Twine(cols) + " cells of " + Twine(L.cell) +
        " pixels); draw fewer heads or smaller cells");
  for (auto [p, h] : llvm::enumerate(heads))
    L.panels.push_back({h, (int)((int64_t)p % ncol * panelW + left),
                        (int)(top + (int64_t)p / ncol * panelH + panelTitle)});
  L.barX = (int)barX;
  L.barY = (int)barY;
  L.barWidth = (int)kBarWidth;
  L.barHeight = (int)barHeight;
  L.width = (int)width;
  L.height = (int)height;

  Surface surface(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, L.width, L.height));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
    return createStringError(
        Twine("cannot create the image: ") +
        cairo_status_to_string(cairo_surface_status(surface.get())));
  Context ctx(cairo_create(surface.get()));
  cairo_t *cr = ctx.get();
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  useFont(cr, kFontSize);
  auto text = [&](double x, double y, const std::string &s) {
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, s.c_str());
  };
  cairo_set_source_rgb(cr, 0, 0, 0);
  if (!o.title.empty()) {
    useFont(cr, kFontSize * 1.4);
    text(kPad, kPad + kFontSize * 1.4, o.title);
    useFont(cr, kFontSize);
  }
  for (const Layout::Panel &p : L.panels) {
    // Cells: whole pixels, no antialiasing, so each is one flat colour.
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        std::array<double, 3> c = colour(at(p.head, i, j) / vmax);
        cairo_set_source_rgb(cr, c[0], c[1], c[2]);
        cairo_rectangle(cr, p.x + j * L.cell, p.y + i * L.cell, L.cell,
                        L.cell);
        cairo_fill(cr);
      }
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
    cairo_set_source_rgb(cr, 0, 0, 0);
    std::string name = (rank == 4 ? "batch " + std::to_string(o.batch) + ", "
                                  : std::string()) +
                       "head " + std::to_string(p.head);
    text(p.x, p.y - 5, name);
    double fontSize = std::min<double>(kFontSize, std::max(L.cell - 1, 6));
    useFont(cr, fontSize);
    for (int64_t i = 0; i < (int64_t)o.yLabels.size(); ++i) {
      const std::string &s = o.yLabels[i];
      text(p.x - 4 - textWidth(cr, s), p.y + (i + 0.5) * L.cell + fontSize / 3,
           s);
    }
    for (int64_t j = 0; j < (int64_t)o.xLabels.size(); ++j) {
      cairo_save(cr);
      // Turned a quarter clockwise, a glyph's ascent points to +x: the
      // baseline goes left of the cell's centre by about half of it.
      cairo_translate(cr, p.x + (j + 0.5) * L.cell - fontSize / 3,
                      p.y + gridH + 4);
      cairo_rotate(cr, M_PI / 2);
      text(0, 0, o.xLabels[j]);
      cairo_restore(cr);
    }
    useFont(cr, kFontSize);
  }
  // The colour bar, vmax at the top, with ticks at 0, vmax / 2 and vmax.
  cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
  for (int y = 0; y < L.barHeight; ++y) {
    std::array<double, 3> c =
        colour(1.0 - (y + 0.5) / static_cast<double>(L.barHeight));
    cairo_set_source_rgb(cr, c[0], c[1], c[2]);
    cairo_rectangle(cr, L.barX, L.barY + y, L.barWidth, 1);
    cairo_fill(cr);
  }
  cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
  cairo_set_source_rgb(cr, 0, 0, 0);
  for (double f : {0.0, 0.5, 1.0})
    text(L.barX + L.barWidth + 4,
         L.barY + (1 - f) * L.barHeight + kFontSize / 3,
         formatWeight(f * vmax));

  // A failed drawing call leaves the context in an error state and draws
  // nothing after it: refuse to write a partial picture.
  if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
    return createStringError(Twine("cannot draw the image: ") +
                             cairo_status_to_string(cairo_status(cr)));
  cairo_surface_flush(surface.get());
  std::string path = pngPath.str();
  cairo_status_t st = cairo_surface_write_to_png(surface.get(), path.c_str());
  if (st != CAIRO_STATUS_SUCCESS)
    return createStringError("cannot write '" + path +
                             "': " + cairo_status_to_string(st));
  return L;
}
