#include "tpp/infer/plot.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include <fmt/format.h>

#include "tpp/core/atomic_output.h"
#include "tpp/core/error.h"

namespace tpp {

namespace {

const std::vector<std::string> kPalette{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

// Tick step of 1, 2 or 5 times a power of ten giving about `target` ticks over `span`.
double nice_step(double span, int target) {
  if (!(span > 0)) return 1.0;
  const double raw = span / target;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) return m * power;
  return 10 * power;
}

std::string number(double x) {
  if (std::abs(x) < 1e-12) return "0";
  std::string s = fmt::format("{:.6g}", x);
  return s;
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') out += ' ';
        else out += c;
    }
  }
  return out;
}

std::vector<std::vector<double>> curves_from_tensor(const torch::Tensor& intensity) {
  if (intensity.dim() != 2) throw Error("plot: intensity must be [S, K]");
  const auto t = intensity.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  const auto S = t.size(0), K = t.size(1);
  const double* p = t.data_ptr<double>();
  std::vector<std::vector<double>> rows(S, std::vector<double>(K));
  for (int64_t s = 0; s < S; ++s)
    for (int64_t k = 0; k < K; ++k) rows[s][k] = p[s * K + k];
  return rows;
}

std::string intensity_plot_svg(const IntensityPlot& plot) {
  const std::size_t S = plot.grid.size();
  if (S < 2) throw Error("plot: the time grid needs at least two points");
  if (plot.curves.size() != S) throw Error("plot: curves must have one row per grid time");
  const std::size_t K = plot.type_names.size();
  for (const auto& row : plot.curves)
    if (row.size() != K) throw Error("plot: each curve row needs one value per type name");
  for (std::size_t s = 0; s < S; ++s)
    if (!std::isfinite(plot.grid[s]) || (s > 0 && !(plot.grid[s] >= plot.grid[s - 1])))
      throw Error("plot: the time grid must be finite and non-decreasing");
  // A repeated time draws the jump at an event (left and right limits).
  if (!(plot.grid.back() > plot.grid.front())) throw Error("plot: the time grid must span an interval");
  if (plot.width < 200 || plot.height < 150) throw Error("plot: width/height too small");

  const double left = 70, right = 190, top = 40, bottom = 90;
  const double W = plot.width, H = plot.height;
  const double pw = W - left - right, ph = H - top - bottom;
  const double x0 = plot.grid.front(), x1 = plot.grid.back();
  double ymax = 0;
  for (const auto& row : plot.curves)
    for (double v : row)
      if (std::isfinite(v)) ymax = std::max(ymax, v);
  const double ystep = nice_step(ymax > 0 ? ymax : 1.0, 5);
  const double ytop = ystep * std::ceil((ymax > 0 ? ymax : 1.0) / ystep);
  auto X = [&](double t) { return left + pw * (t - x0) / (x1 - x0); };
  auto Y = [&](double v) { return top + ph * (1 - std::clamp(v, 0.0, ytop) / ytop); };

  std::string svg;
  svg += fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n",
      plot.width, plot.height);
  if (!plot.title.empty())
    svg += fmt::format("<text x=\"{:.2f}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{}</text>\n", left + pw / 2,
                       xml_escape(plot.title));
  // Axes, ticks and grid lines.
  svg += "<g class=\"axes\" stroke=\"#333\" stroke-width=\"1\">\n";
  svg += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{2:.2f}\" y2=\"{1:.2f}\"/>\n", left, top + ph, left + pw);
  svg += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{0:.2f}\" y2=\"{2:.2f}\"/>\n", left, top, top + ph);
  svg += "</g>\n<g class=\"ticks\" fill=\"#333\">\n";
  const double xstep = nice_step(x1 - x0, 8);
  for (double t = xstep * std::ceil(x0 / xstep); t <= x1 + 1e-9 * xstep; t += xstep) {
    svg += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{0:.2f}\" y2=\"{2:.2f}\" stroke=\"#333\"/>\n", X(t), top + ph,
                       top + ph + 5);
    svg += fmt::format("<text x=\"{:.2f}\" y=\"{:.2f}\" text-anchor=\"middle\">{}</text>\n", X(t), top + ph + 18, number(t));
  }
  for (double v = 0; v <= ytop + 1e-9 * ystep; v += ystep) {
    svg += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{2:.2f}\" y2=\"{1:.2f}\" stroke=\"#e5e5e5\"/>\n", left, Y(v),
                       left + pw);
    svg += fmt::format("<text x=\"{:.2f}\" y=\"{:.2f}\" text-anchor=\"end\">{}</text>\n", left - 6, Y(v) + 4, number(v));
  }
  svg += "</g>\n";
  svg += fmt::format("<text x=\"{:.2f}\" y=\"{:.2f}\" text-anchor=\"middle\">{}</text>\n", left + pw / 2, H - 12,
                     xml_escape(plot.x_label));
  svg += fmt::format("<text x=\"16\" y=\"{0:.2f}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {0:.2f})\">{1}</text>\n",
                     top + ph / 2, xml_escape(plot.y_label));
  // Stimuli: dashed vertical lines with their names.
  svg += "<g class=\"stimuli\">\n";
  for (const Event& e : plot.events) {
    if (!e.is_stimulus || !std::isfinite(e.time) || e.time < x0 || e.time > x1) continue;
    const std::string name = e.type >= 0 && e.type < static_cast<int>(plot.stimulus_names.size())
                                 ? plot.stimulus_names[e.type]
                                 : "stimulus " + std::to_string(e.type);
    svg += fmt::format(
        "<line class=\"stimulus\" x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{0:.2f}\" y2=\"{2:.2f}\" stroke=\"#555\" "
        "stroke-dasharray=\"4 3\"/>\n",
        X(e.time), top, top + ph);
    svg += fmt::format(
        "<text x=\"{0:.2f}\" y=\"{1:.2f}\" font-size=\"10\" fill=\"#555\" transform=\"rotate(-90 {0:.2f} {1:.2f})\">{2}</text>\n",
        X(e.time) - 3, top + 4, xml_escape(name));
  }
  svg += "</g>\n";
  // Curves: non-finite values break a curve into several polylines.
  svg += "<g class=\"curves\" fill=\"none\" stroke-width=\"1.6\">\n";
  for (std::size_t k = 0; k < K; ++k) {
    std::string points;
    auto flush = [&]() {
      if (!points.empty())
        svg += fmt::format("<polyline class=\"curve\" stroke=\"{}\" points=\"{}\"/>\n", kPalette[k % kPalette.size()], points);
      points.clear();
    };
    for (std::size_t s = 0; s < S; ++s) {
      const double v = plot.curves[s][k];
      if (!std::isfinite(v)) {
        flush();
        continue;
      }
      points += fmt::format("{}{:.2f},{:.2f}", points.empty() ? "" : " ", X(plot.grid[s]), Y(v));
    }
    flush();
  }
  svg += "</g>\n";
  // Actions: a rug of ticks under the axis, coloured by type.
  svg += "<g class=\"rug\" stroke-width=\"1.2\">\n";
  for (const Event& e : plot.events) {
    if (e.is_stimulus || !std::isfinite(e.time) || e.time < x0 || e.time > x1) continue;
    const std::string colour = e.type >= 0 ? kPalette[e.type % kPalette.size()] : "#000";
    svg += fmt::format("<line class=\"action\" x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{0:.2f}\" y2=\"{2:.2f}\" stroke=\"{3}\"/>\n",
                       X(e.time), top + ph + 26, top + ph + 40, colour);
  }
  svg += "</g>\n";
  // Legend.
  svg += "<g class=\"legend\">\n";
  for (std::size_t k = 0; k < K; ++k) {
    const double y = top + 10 + 18 * k;
    svg += fmt::format("<line x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{2:.2f}\" y2=\"{1:.2f}\" stroke=\"{3}\" stroke-width=\"3\"/>\n",
                       left + pw + 15, y, left + pw + 40, kPalette[k % kPalette.size()]);
    svg += fmt::format("<text x=\"{:.2f}\" y=\"{:.2f}\">{}</text>\n", left + pw + 46, y + 4, xml_escape(plot.type_names[k]));
  }
  const double ys = top + 10 + 18 * K;
  svg += fmt::format(
      "<line x1=\"{0:.2f}\" y1=\"{1:.2f}\" x2=\"{2:.2f}\" y2=\"{1:.2f}\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>\n"
      "<text x=\"{3:.2f}\" y=\"{4:.2f}\">stimulus</text>\n",
      left + pw + 15, ys, left + pw + 40, left + pw + 46, ys + 4);
  svg += "</g>\n</svg>\n";
  return svg;
}

void write_intensity_plot(const std::string& path, const IntensityPlot& plot) {
  write_file_atomically(path, intensity_plot_svg(plot));
}

}  // namespace tpp
