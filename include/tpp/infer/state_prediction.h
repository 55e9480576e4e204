#pragma once
// The next event of one user from its incremental state (models/user_state.h): the quantities of
// predict_next_event (infer/predict.h) for the open interval alone, computed by the same horizon
// and panel rules in plain double arithmetic. A served query then costs a few model calls (one per
// quadrature pass) instead of the hundreds of small tensor operations a batched pass issues, which
// dominate when the batch is one interval. Definitions and rules: docs/prediction.md.
#include <cstdint>
#include <vector>

#include "tpp/infer/predict.h"
#include "tpp/models/user_state.h"

namespace tpp {

struct StatePrediction {
  // Times are elapsed since the state's last event (model units of the state).
  double expected_time{0};  // E[τ | τ > quiet]; conditional on an event where the intensity dies out
  double median_time{0};    // NaN unless options.median
  std::vector<double> type_probability;  // [K], normalised
  std::vector<int> top_k_type;           // most probable first
  std::vector<double> top_k_probability;
  double no_event_probability{0};  // S(∞ | τ > quiet) where the intensity dies out, else 0
  double horizon{0};               // H beyond `quiet` with S(quiet + H | τ > quiet) < survival_tolerance
  bool converged{false};
  int panels{0};
  int model_calls{0};  // intensity evaluations issued (one per quadrature pass)
};

// `quiet` >= 0: the time since the last event without any event (a query "as of" last_time() +
// quiet); the law is conditioned on τ > quiet.
StatePrediction predict_from_state(Model& model, UserState& state, const PredictOptions& options = {},
                                   double quiet = 0.0);

}  // namespace tpp
