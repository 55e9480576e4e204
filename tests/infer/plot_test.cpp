// SVG intensity plots: well-formed XML, one polyline per type, markers, escaping, no NaN.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>

#include "../test_support.h"
#include "tpp/core/error.h"
#include "tpp/infer/plot.h"

namespace tpp {
namespace {

// A minimal XML well-formedness check: balanced, properly nested tags, quoted attributes, and no
// raw '<' or unknown entity in character data.
::testing::AssertionResult well_formed(const std::string& xml) {
  std::vector<std::string> stack;
  std::size_t i = 0;
  if (xml.rfind("<?xml", 0) == 0) i = xml.find("?>") + 2;
  bool root_seen = false;
  while (i < xml.size()) {
    if (xml[i] == '<') {
      const std::size_t close = xml.find('>', i);
      if (close == std::string::npos) return ::testing::AssertionFailure() << "unterminated tag at " << i;
      std::string tag = xml.substr(i + 1, close - i - 1);
      if (tag.find('<') != std::string::npos) return ::testing::AssertionFailure() << "'<' inside tag at " << i;
      if (std::count(tag.begin(), tag.end(), '"') % 2) return ::testing::AssertionFailure() << "unbalanced quotes at " << i;
      if (tag[0] == '/') {
        if (stack.empty() || stack.back() != tag.substr(1)) return ::testing::AssertionFailure() << "mismatched </" << tag;
        stack.pop_back();
      } else {
        const bool self_closing = tag.back() == '/';
        const std::string name = tag.substr(0, tag.find_first_of(" /\n"));
        if (stack.empty() && root_seen) return ::testing::AssertionFailure() << "second root element";
        root_seen = true;
        if (!self_closing) stack.push_back(name);
      }
      i = close + 1;
    } else if (xml[i] == '&') {
      const std::size_t semi = xml.find(';', i);
      const std::string entity = xml.substr(i, semi - i + 1);
      if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" && entity != "&apos;")
        return ::testing::AssertionFailure() << "bad entity " << entity;
      i = semi + 1;
    } else {
      ++i;
    }
  }
  if (!stack.empty()) return ::testing::AssertionFailure() << "unclosed <" << stack.back() << ">";
  return ::testing::AssertionSuccess();
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

IntensityPlot sample_plot() {
  IntensityPlot p;
  for (int s = 0; s <= 200; ++s) {
    const double t = 0.5 * s;
    p.grid.push_back(t);
    p.curves.push_back({1 + std::sin(t / 5), 0.5 + 0.01 * t, 2 * std::exp(-t / 30)});
  }
  p.type_names = {"fashion & shoes", "<groceries>", "\"books\""};
  p.stimulus_names = {"coupon:fashion", "expiry <soon>"};
  p.events = {Event{3.0, 0, false, {}, {}}, Event{10.0, 0, true, {}, {}}, Event{12.5, 1, false, {}, {}},
              Event{40.0, 1, true, {}, {}}, Event{77.0, 2, false, {}, {}}, Event{99.0, 1, false, {}, {}}};
  p.title = "user <u1> & friends";
  return p;
}

TEST(Plot, WellFormedWithOneCurvePerTypeAndMarkers) {
  const std::string svg = intensity_plot_svg(sample_plot());
  EXPECT_TRUE(well_formed(svg));
  EXPECT_EQ(count(svg, "<polyline"), 3u);
  EXPECT_EQ(count(svg, "class=\"action\""), 4u);
  EXPECT_EQ(count(svg, "class=\"stimulus\""), 2u);
  EXPECT_EQ(count(svg, "nan"), 0u);
  EXPECT_EQ(count(svg, "inf"), 0u);
  // Each polyline has one point per grid time.
  const std::regex points("points=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), points); it != std::sregex_iterator(); ++it) {
    const std::string pts = (*it)[1];
    EXPECT_EQ(count(pts, ",") , 201u);
  }
}

TEST(Plot, EscapesNames) {
  const std::string svg = intensity_plot_svg(sample_plot());
  EXPECT_NE(svg.find("fashion &amp; shoes"), std::string::npos);
  EXPECT_NE(svg.find("&lt;groceries&gt;"), std::string::npos);
  EXPECT_NE(svg.find("&quot;books&quot;"), std::string::npos);
  EXPECT_NE(svg.find("expiry &lt;soon&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("<groceries>"), std::string::npos);
  EXPECT_EQ(xml_escape("a<b>&'\"\x01"), "a&lt;b&gt;&amp;&apos;&quot; ");
}

TEST(Plot, NonFiniteValuesLeaveGapsNotNaN) {
  IntensityPlot p = sample_plot();
  p.curves[50][0] = std::nan("");
  p.curves[60][1] = INFINITY;
  const std::string svg = intensity_plot_svg(p);
  EXPECT_TRUE(well_formed(svg));
  EXPECT_EQ(count(svg, "<polyline"), 5u);  // two curves broken once each
  EXPECT_EQ(count(svg, "nan"), 0u);
  EXPECT_EQ(count(svg, "inf"), 0u);
  p.grid[3] = p.grid[2];  // a jump at one time is drawn...
  EXPECT_NO_THROW(intensity_plot_svg(p));
  p.grid[3] = p.grid[2] - 0.01;  // ...but time never runs backwards
  EXPECT_THROW(intensity_plot_svg(p), Error);
  p = sample_plot();
  p.curves[0].pop_back();
  EXPECT_THROW(intensity_plot_svg(p), Error);
}

TEST(Plot, FromTensorAndFile) {
  const auto t = torch::arange(6, torch::kFloat64).reshape({3, 2});
  const auto rows = curves_from_tensor(t);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2][1], 5.0);
  testing::TempDir dir;
  write_intensity_plot(dir.file("p.svg"), sample_plot());
  std::ifstream in(dir.file("p.svg"));
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), intensity_plot_svg(sample_plot()));
}

}  // namespace
}  // namespace tpp
