#pragma once
// tpp evaluate: log-likelihood per event, next-event time RMSE/MAE, type and top-k accuracy of a
// saved model on a data file (definitions: docs/prediction.md).
#include <cstddef>
#include <iosfwd>
#include <string>

#include "tpp/cli/command.h"
#include "tpp/models/registry.h"
#include "tpp/train/metrics.h"

namespace tpp {

struct EvaluateCommandOptions {
  CommonOptions common;
  std::string model;  // saved model file
  std::string data;   // data file
  int top_k{5};
  std::size_t batch_size{64};
  double target_fraction{1.0};  // score only the last fraction of each sequence's actions
  double tolerance{1e-10};      // relative accuracy of the next-event quadrature (PredictOptions)
  std::string predictor{"intensity"};  // intensity | heads (infer/head_prediction.h)
  bool intensity_mae{false};    // also the intensity error against `truth` (infer/intensity_error.h)
  std::string truth;            // truth JSON file
  int grid_points{1000};        // uniform grid points per window for the intensity error
};

int run_evaluate(const EvaluateCommandOptions& options);

// After reading: `data` in file units under any schema (aligned to the model by type names);
// prints a table, or JSON when options.common.json.
Metrics evaluate_command(const SavedModel& model, const Dataset& data, const EvaluateCommandOptions& options,
                         std::ostream& out);

}  // namespace tpp
