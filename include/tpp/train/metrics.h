#pragma once
// Evaluation metrics, identical for every model (docs/prediction.md):
// - log-likelihood per event: Σ_sequences LL / number of actions (data/batch.h's convention);
// - next-event metrics over the scored events (Batch::targets(): actions, optionally restricted by
//   target_mask), event i predicted from interval i, i.e. from the history before it:
//   time RMSE of the predictive mean E[t_i | H_i] and MAE of the predictive median against t_i,
//   in the data file's time units, type accuracy of
//   argmax_k P(k_i = k | H_i), top-k accuracy (or the same from the model's time and type heads,
//   EvaluationOptions::predictor), and the mean one-step predictive log-density
//   log λ_{k_i}(t_i) − ∫_{t_{i−1}}^{t_i} Σ_k λ_k.
#include <torch/torch.h>

#include <cstddef>

#include <nlohmann/json.hpp>

#include "tpp/core/context.h"
#include "tpp/data/batch.h"
#include "tpp/data/dataset.h"
#include "tpp/infer/head_prediction.h"
#include "tpp/infer/predict.h"
#include "tpp/models/model.h"

namespace tpp {

struct EvaluationOptions {
  int top_k{5};
  PredictOptions predict;  // its top_k is replaced by top_k
  // The point prediction behind the time and type metrics (infer/head_prediction.h); the
  // likelihoods do not depend on it.
  PointPredictor predictor{PointPredictor::Intensity};
  IntegralOptions integral{IntegralOptions::Method::Exact, 64, std::nullopt};
  std::size_t batch_size{64};
  // evaluate() scores only the last `target_fraction` of each sequence's actions (ExPERT: 0.3),
  // each from its full history; 1 scores all actions.
  double target_fraction{1.0};
  std::ostream* progress{nullptr};  // a line per batch when ctx.progress (CLI: stderr)
};

struct Metrics {
  int top_k{5};
  std::size_t num_sequences{0};
  std::size_t num_actions{0};      // actions in the windows: the log-likelihood's denominator
  std::size_t num_targets{0};      // scored events: the prediction metrics' denominator
  std::size_t num_unconverged{0};  // scored events whose prediction missed a quadrature tolerance
  std::size_t num_at_window_start{0};  // actions at t_start: history only (data/batch.h)
  int num_types{0};                // the model's action types (top-k is trivial when top_k >= it)
  double log_likelihood{0};        // Σ over sequences, nats
  double target_log_likelihood{0};  // Σ over targets of the one-step predictive log-density
  double squared_time_error{0};    // Σ over targets, file time units²
  double absolute_time_error{0};   // Σ over targets of |median − t_i|, file time units
  std::size_t type_correct{0};
  std::size_t top_k_correct{0};

  double log_likelihood_per_event() const;
  double target_log_likelihood_per_event() const;
  double time_rmse() const;
  double time_mae() const;
  double type_accuracy() const;
  double top_k_accuracy() const;
  void merge(const Metrics& other);
  nlohmann::json to_json() const;
};

// One batch; `scale` converts model-unit time errors to file units (divides by scale.scale).
Metrics evaluate_batch(Model& model, const Batch& batch, const TimeScale& scale, const EvaluationOptions& options = {});
// All sequences of `data` (its time_scale must be the model's), in batches of options.batch_size.
Metrics evaluate(Model& model, const Dataset& data, const Context& ctx, const EvaluationOptions& options = {});

// A target_mask keeping each sequence's last actions: the first floor((1 − fraction)·a) of its a
// actions are history only. fraction in (0, 1].
torch::Tensor last_fraction_targets(const Batch& batch, double fraction);

}  // namespace tpp
