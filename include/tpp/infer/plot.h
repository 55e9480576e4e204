#pragma once
// Intensity plots as self-contained SVG (in the spirit of ExPERT's Fig. 4c): one coloured curve per
// action type, the sequence's actions as a rug of ticks, stimuli as dashed vertical lines with names.
#include <string>
#include <vector>

#include <torch/torch.h>

#include "tpp/data/dataset.h"

namespace tpp {

struct IntensityPlot {
  std::vector<double> grid;                  // S non-decreasing times (a repeat draws a jump)
  std::vector<std::vector<double>> curves;   // [S][K] intensities (non-finite values leave gaps)
  std::vector<std::string> type_names;       // K action type names
  std::vector<std::string> stimulus_names;   // names of the stimulus types (labels of the lines)
  std::vector<Event> events;                 // actions and stimuli of the sequence (inside the grid's span)
  std::string title;
  std::string x_label{"time"};
  std::string y_label{"intensity"};
  int width{960};
  int height{440};
};

// [S, K] tensor -> rows of doubles.
std::vector<std::vector<double>> curves_from_tensor(const torch::Tensor& intensity);

std::string intensity_plot_svg(const IntensityPlot& plot);
void write_intensity_plot(const std::string& path, const IntensityPlot& plot);

// Text safe inside SVG/XML character data and attribute values.
std::string xml_escape(const std::string& text);

}  // namespace tpp
