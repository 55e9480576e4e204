#pragma once
// tpp predict: per-event next-event predictions (or intensity curves) of a saved model on a data
// file, as JSON lines in file time units and type names; or an SVG of one sequence's intensity; or
// one user's next event after its data, in words (--user).
#include <cstddef>
#include <iosfwd>
#include <string>

#include "tpp/cli/command.h"
#include "tpp/models/registry.h"

namespace tpp {

struct PredictCommandOptions {
  CommonOptions common;
  std::string model;
  std::string data;
  std::string output;  // JSONL path; empty or "-" writes to stdout
  int top_k{3};
  std::size_t batch_size{64};
  double target_fraction{1.0};
  double tolerance{1e-10};  // relative accuracy of the next-event quadrature (PredictOptions)
  std::string predictor{"intensity"};  // per-event rows: intensity | heads (infer/head_prediction.h)
  bool curve{false};     // one row per sequence with λ_k on a grid instead of predictions
  int curve_points{200};
  std::string plot;               // SVG path: draw one sequence's intensity instead of predictions
  std::size_t plot_sequence{0};   // its index in the data file
  std::string user;               // print this user's next event after its data instead (plain text or --json)
};

int run_predict(const PredictCommandOptions& options);

// After reading (see evaluate_command): writes the rows to out.
void predict_command(const SavedModel& model, const Dataset& data, const PredictCommandOptions& options,
                     std::ostream& out);

}  // namespace tpp
