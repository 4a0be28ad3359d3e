//===- heatmap_test.cpp - attnc-heatmap's pictures follow the weights ------===//
//
// Renders weights with tools/attnc-heatmap/Heatmap.h, decodes the PNG with
// libpng's simplified API (png_image_*), and checks the pixels: each
// cell is the colour map's colour of its weight, colours are ordered as the
// weights are, the grid draws the heads asked for where the layout says,
// and the colour bar runs from 0 at the bottom to vmax at the top.
//
//===----------------------------------------------------------------------===//
#include "tools/attnc-heatmap/Heatmap.h"

#include <gtest/gtest.h>
#include <png.h>

#include <algorithm>
#include <cstring>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

using namespace attn::heatmap;

namespace {

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
  std::array<int, 3> at(int x, int y) const {
    const uint8_t *p = &rgb[3 * ((size_t)y * width + x)];
    return {p[0], p[1], p[2]};
  }
};

Image decode(const std::string &path) {
  png_image img;
  std::memset(&img, 0, sizeof(img));
  img.version = PNG_IMAGE_VERSION;
  Image out;
  if (!png_image_begin_read_from_file(&img, path.c_str())) {
    ADD_FAILURE() << "libpng cannot read " << path << ": " << img.message;
    return out;
  }
  img.format = PNG_FORMAT_RGB;
  out.width = (int)img.width;
  out.height = (int)img.height;
  out.rgb.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, out.rgb.data(), 0, nullptr))
    ADD_FAILURE() << "libpng cannot decode " << path << ": " << img.message;
  return out;
}

/// The colour map's colour of t as 8-bit RGB (Cairo's RGB24 rounds each
/// channel to one of 256 levels).
std::array<int, 3> expected(double t) {
  std::array<double, 3> c = colour(t);
  return {(int)std::lround(c[0] * 255), (int)std::lround(c[1] * 255),
          (int)std::lround(c[2] * 255)};
}

bool near(std::array<int, 3> a, std::array<int, 3> b) {
  for (int k = 0; k < 3; ++k)
    if (std::abs(a[k] - b[k]) > 1)
      return false;
  return true;
}

double luminance(std::array<int, 3> c) {
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

std::string tempPng(const char *name) {
  return std::string(::testing::TempDir()) + "heatmap_" + name + "_" +
         std::to_string(getpid()) + ".png";
}

TEST(Heatmap, ColourMapLightnessRises) {
  double last = -1;
  for (int i = 0; i <= 64; ++i) {
    std::array<double, 3> c = colour(i / 64.0);
    double l = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    EXPECT_GT(l, last) << "t = " << i / 64.0;
    last = l;
  }
  // Clamped outside [0, 1], NaN as 0.
  EXPECT_EQ(colour(-1), colour(0));
  EXPECT_EQ(colour(2), colour(1));
  EXPECT_EQ(colour(NAN), colour(0));
}

TEST(Heatmap, CellsFollowTheWeights) {
  // 6 queries x 9 keys of distinct weights in a random order, with token
  // labels on both axes.
  const int64_t rows = 6, cols = 9;
  std::vector<float> w(rows * cols);
  std::iota(w.begin(), w.end(), 0.f);
  std::mt19937 rng(3);
  std::shuffle(w.begin(), w.end(), rng);
  for (float &x : w)
    x = x / (rows * cols);
  Options o;
  o.cell = 10;
  for (int j = 0; j < cols; ++j)
    o.xLabels.push_back("key" + std::to_string(j));
  for (int i = 0; i < rows; ++i)
    o.yLabels.push_back("query " + std::to_string(i));
  o.title = "test";
  std::string path = tempPng("cells");
  auto layout = render({w.data(), {rows, cols}, w.size()}, o, path);
  ASSERT_TRUE((bool)layout) << toString(layout.takeError());
  Image img = decode(path);
  ASSERT_EQ(img.width, layout->width);
  ASSERT_EQ(img.height, layout->height);
  ASSERT_EQ(layout->panels.size(), 1u);
  const Layout::Panel &p = layout->panels[0];
  float vmax = *std::max_element(w.begin(), w.end());
  EXPECT_FLOAT_EQ(layout->vmax, vmax);
  std::vector<std::pair<float, double>> byWeight;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      float x = w[i * cols + j];
      // Every pixel of the cell, corners included, is its colour.
      for (int dy : {0, o.cell / 2, o.cell - 1})
        for (int dx : {0, o.cell / 2, o.cell - 1}) {
          std::array<int, 3> got = img.at(p.x + (int)j * o.cell + dx,
                                          p.y + (int)i * o.cell + dy);
          EXPECT_TRUE(near(got, expected(x / vmax)))
              << "cell (" << i << ", " << j << ") weight " << x << ": got "
              << got[0] << "," << got[1] << "," << got[2];
        }
      byWeight.push_back(
          {x, luminance(img.at(p.x + (int)j * o.cell + o.cell / 2,
                               p.y + (int)i * o.cell + o.cell / 2))});
    }
  // Heavier weights are lighter, cell by cell.
  std::sort(byWeight.begin(), byWeight.end());
  for (size_t r = 1; r < byWeight.size(); ++r)
    EXPECT_GE(byWeight[r].second, byWeight[r - 1].second)
        << "weights " << byWeight[r - 1].first << " and "
        << byWeight[r].first;
  EXPECT_GT(byWeight.back().second, byWeight.front().second + 100);
  // Labels are drawn left of and below the cells: dark pixels there.
  int dark = 0;
  for (int y = p.y; y < p.y + rows * o.cell; ++y)
    for (int x = 0; x < p.x; ++x)
      dark += luminance(img.at(x, y)) < 128;
  EXPECT_GT(dark, 20);
  std::remove(path.c_str());
}

TEST(Heatmap, XLabelsSitBelowTheirColumn) {
  // One label, on key 3 of 8: every dark pixel below the cells is in
  // key 3's column.
  std::vector<float> w(2 * 8, 0.5f);
  Options o;
  o.cell = 12;
  o.xLabels.assign(8, "");
  o.xLabels[3] = "WWWW";
  std::string path = tempPng("xlabels");
  auto layout = render({w.data(), {2, 8}, w.size()}, o, path);
  ASSERT_TRUE((bool)layout) << toString(layout.takeError());
  Image img = decode(path);
  const Layout::Panel &p = layout->panels[0];
  int dark = 0, outside = 0;
  for (int y = p.y + 2 * o.cell; y < img.height; ++y)
    for (int x = 0; x < layout->barX; ++x)
      if (luminance(img.at(x, y)) < 128) {
        ++dark;
        outside += x < p.x + 3 * o.cell || x >= p.x + 4 * o.cell;
      }
  EXPECT_GT(dark, 20);
  EXPECT_EQ(outside, 0);
  std::remove(path.c_str());
}

TEST(Heatmap, GridDrawsTheHeadsAskedFor) {
  // [batch 2, heads 3, 4 x 5]: weight = (b * 3 + h + 1) / 6 everywhere, so
  // each panel is flat; heads 2 and 0 of batch 1, one per row.
  std::vector<float> w(2 * 3 * 4 * 5);
  for (int b = 0; b < 2; ++b)
    for (int h = 0; h < 3; ++h)
      for (int e = 0; e < 20; ++e)
        w[(b * 3 + h) * 20 + e] = (b * 3 + h + 1) / 6.f;
  Options o;
  o.batch = 1;
  o.heads = {2, 0};
  o.columns = 1;
  o.cell = 6;
  o.vmax = 1;
  std::string path = tempPng("grid");
  auto layout = render({w.data(), {2, 3, 4, 5}, w.size()}, o, path);
  ASSERT_TRUE((bool)layout) << toString(layout.takeError());
  Image img = decode(path);
  ASSERT_EQ(layout->panels.size(), 2u);
  EXPECT_EQ(layout->panels[0].head, 2);
  EXPECT_EQ(layout->panels[1].head, 0);
  EXPECT_EQ(layout->panels[0].x, layout->panels[1].x);
  EXPECT_LT(layout->panels[0].y + 4 * o.cell, layout->panels[1].y);
  for (const Layout::Panel &p : layout->panels) {
    std::array<int, 3> want = expected((3 + p.head + 1) / 6.0);
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 5; ++j)
        EXPECT_TRUE(near(img.at(p.x + j * o.cell + 3, p.y + i * o.cell + 3),
                         want))
            << "head " << p.head << " cell (" << i << ", " << j << ")";
  }
  std::remove(path.c_str());
}

TEST(Heatmap, ColourBarRunsFromZeroToVmax) {
  std::vector<float> w = {0.f, 0.25f, 0.5f, 1.f};
  Options o;
  o.vmax = 2; // Above every weight: the top cell is half way up.
  std::string path = tempPng("bar");
  auto layout = render({w.data(), {2, 2}, w.size()}, o, path);
  ASSERT_TRUE((bool)layout) << toString(layout.takeError());
  Image img = decode(path);
  const Layout &L = *layout;
  int mid = L.barX + L.barWidth / 2;
  EXPECT_TRUE(near(img.at(mid, L.barY), expected(1 - 0.5 / L.barHeight)));
  EXPECT_TRUE(near(img.at(mid, L.barY + L.barHeight - 1),
                   expected(0.5 / L.barHeight)));
  // The weight 1 is drawn as the bar's middle.
  const Layout::Panel &p = L.panels[0];
  EXPECT_TRUE(near(img.at(p.x + L.cell + 1, p.y + L.cell + 1), expected(0.5)));
  std::remove(path.c_str());
}

std::string errorOf(const Weights &w, const Options &o) {
  auto layout = render(w, o, tempPng("error"));
  if (layout)
    return "no error";
  return toString(layout.takeError());
}

TEST(Heatmap, BadInputIsAnErrorThatNamesIt) {
  std::vector<float> w(2 * 3 * 4, 0.1f);
  Options o;
  EXPECT_EQ(errorOf({w.data(), {24}, w.size()}, o),
            "weights must have rank 2 ([q_len, kv_len]), 3 ([heads, q_len, "
            "kv_len]) or 4 ([batch, heads, q_len, kv_len]), got rank 1");
  o.heads = {2};
  EXPECT_EQ(errorOf({w.data(), {2, 3, 4}, w.size()}, o),
            "head 2 is out of range: the weights have 2 heads");
  o.heads = {};
  o.batch = 1;
  EXPECT_EQ(errorOf({w.data(), {1, 2, 3, 4}, w.size()}, o),
            "batch 1 is out of range: the weights have 1");
  o.batch = 0;
  o.xLabels = {"a", "b"};
  EXPECT_EQ(errorOf({w.data(), {2, 3, 4}, w.size()}, o),
            "got 2 x labels for 4 keys");
  o.xLabels = {};
  w[5] = -0.5f;
  EXPECT_EQ(errorOf({w.data(), {2, 3, 4}, w.size()}, o),
            "weight [0, 0, 1, 1] is -0.5; attention weights are finite and "
            "not negative");
  w[5] = NAN;
  EXPECT_NE(errorOf({w.data(), {2, 3, 4}, w.size()}, o).find("is nan"),
            std::string::npos);
  w[5] = 0.1f;
  EXPECT_EQ(errorOf({w.data(), {2, 0, 4}, 0}, o),
            "weights have no cells (q_len 0, kv_len 4)");
  EXPECT_EQ(errorOf({w.data(), {2, 3, 5}, w.size()}, o),
            "the weights hold 24 values but their shape needs 30");
  EXPECT_EQ(errorOf({w.data(), {1ll << 32, 1ll << 32}, w.size()}, o),
            "the weights' shape has too many elements");
  o.yLabels = {"a", "b", "\xff\xfe"};
  EXPECT_EQ(errorOf({w.data(), {2, 3, 4}, w.size()}, o),
            "y label 2 is not valid UTF-8");
  o.yLabels = {};
  o.cell = 300;
  EXPECT_EQ(errorOf({w.data(), {2, 3, 4}, w.size()}, o),
            "the cell size must be 0 (automatic) to 256 pixels, got 300");
  o.cell = 256; // 8 x 256 keys of 256 pixels: too wide for Cairo.
  std::vector<float> wide(2 * 2048, 0.1f);
  EXPECT_NE(errorOf({wide.data(), {2, 2048}, wide.size()}, o)
                .find("the image would be over 32767 pixels a side"),
            std::string::npos);
  o.cell = 0;
  o.vmax = -1;
  EXPECT_EQ(errorOf({w.data(), {2, 3, 4}, w.size()}, o),
            "vmax must be finite and not negative");
  o.vmax = 0;
  auto bad = render({w.data(), {2, 3, 4}, w.size()}, o,
                    "/nonexistent/dir/x.png");
  ASSERT_FALSE((bool)bad);
  EXPECT_NE(toString(bad.takeError()).find("cannot write"),
            std::string::npos);
}

} // namespace
