//===- Heatmap.h - Attention weights as PNG heatmaps ------------*- C++ -*-===//
//
// Renders attention weights (an attn.sdpa's `probs`, attnc --weights=probs)
// as a heatmap: one cell per (query, key), a colour bar, token labels. The
// drawing, the text and the PNG encoding are Cairo's (libcairo2, which
// writes PNG through libpng); only the layout and the colour map are ours.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_TOOLS_HEATMAP_H
#define ATTN_TOOLS_HEATMAP_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace attn::heatmap {

/// The weights to draw: `data` in C order with `shape` [q_len, kv_len],
/// [heads, q_len, kv_len] or [batch, heads, q_len, kv_len] (the `probs`
/// layout), f32.
struct Weights {
  const float *data = nullptr;
  std::vector<int64_t> shape;
  /// The number of floats at `data`; it must be the shape's product.
  size_t count = 0;
};

struct Options {
  /// The batch index and the heads to draw (empty: every head, as a grid
  /// of panels, row-major, `columns` per row; 0 columns: about square).
  int64_t batch = 0;
  std::vector<int64_t> heads;
  int64_t columns = 0;
  /// Token labels: one per key (x axis, drawn vertically below the cells)
  /// and one per query (y axis, left of the cells); empty for none.
  std::vector<std::string> xLabels, yLabels;
  /// Side of a cell in pixels (0: from the sizes, 4 to 24).
  int cell = 0;
  /// The weight drawn at the top of the colour scale (0: the largest
  /// weight drawn). The scale starts at 0.
  double vmax = 0;
  std::string title;
};

/// Where each panel's cell (0, 0) lies in the image, for callers (and
/// tests) that read the picture back: cell (i, j) of panel p spans
/// [x + j * cell, x + (j + 1) * cell) x [y + i * cell, y + (i + 1) * cell).
struct Layout {
  int width = 0, height = 0, cell = 0;
  struct Panel {
    int64_t head;
    int x, y;
  };
  std::vector<Panel> panels;
  /// The colour bar: [barX, barX + barWidth) x [barY, barY + barHeight),
  /// vmax at the top, 0 at the bottom.
  int barX = 0, barY = 0, barWidth = 0, barHeight = 0;
  double vmax = 0;
};

/// The colour of `t` in [0, 1] (clamped; NaN as 0): matplotlib's viridis,
/// whose lightness rises monotonically from dark purple to yellow, sampled
/// at 17 points and interpolated linearly. RGB in [0, 1].
std::array<double, 3> colour(double t);

/// Draws `w` with `options` and writes it to `pngPath`. Errors (shape or
/// count, batch or head out of range, label counts or labels that are not
/// UTF-8, a non-finite or negative weight, an image over Cairo's 32767
/// pixels a side, the file) name the problem in one line.
llvm::Expected<Layout> render(const Weights &w, const Options &options,
                              llvm::StringRef pngPath);

} // namespace attn::heatmap

#endif // ATTN_TOOLS_HEATMAP_H
