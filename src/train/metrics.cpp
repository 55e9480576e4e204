#include "tpp/train/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tpp/core/error.h"
#include "tpp/core/numerics.h"
#include "tpp/core/progress.h"

namespace tpp {

namespace {
double ratio(double num, std::size_t den) {
  return den == 0 ? std::numeric_limits<double>::quiet_NaN() : num / static_cast<double>(den);
}
std::size_t count(const torch::Tensor& mask) { return static_cast<std::size_t>(mask.sum().item<int64_t>()); }
}  // namespace

double Metrics::log_likelihood_per_event() const { return ratio(log_likelihood, num_actions); }
double Metrics::target_log_likelihood_per_event() const { return ratio(target_log_likelihood, num_targets); }
double Metrics::time_rmse() const { return std::sqrt(ratio(squared_time_error, num_targets)); }
double Metrics::time_mae() const { return ratio(absolute_time_error, num_targets); }
double Metrics::type_accuracy() const { return ratio(static_cast<double>(type_correct), num_targets); }
double Metrics::top_k_accuracy() const { return ratio(static_cast<double>(top_k_correct), num_targets); }

void Metrics::merge(const Metrics& o) {
  num_sequences += o.num_sequences;
  num_actions += o.num_actions;
  num_targets += o.num_targets;
  num_unconverged += o.num_unconverged;
  num_at_window_start += o.num_at_window_start;
  num_types = std::max(num_types, o.num_types);
  log_likelihood += o.log_likelihood;
  target_log_likelihood += o.target_log_likelihood;
  squared_time_error += o.squared_time_error;
  absolute_time_error += o.absolute_time_error;
  type_correct += o.type_correct;
  top_k_correct += o.top_k_correct;
}

nlohmann::json Metrics::to_json() const {
  return {{"log_likelihood_per_event", log_likelihood_per_event()},
          {"target_log_likelihood_per_event", target_log_likelihood_per_event()},
          {"time_rmse", time_rmse()},
          {"time_mae", time_mae()},
          {"type_accuracy", type_accuracy()},
          {"top_k_accuracy", top_k_accuracy()},
          {"top_k", top_k},
          {"num_sequences", num_sequences},
          {"num_actions", num_actions},
          {"num_targets", num_targets},
          {"num_unconverged", num_unconverged},
          {"num_at_window_start", num_at_window_start},
          {"num_types", num_types}};
}

Metrics evaluate_batch(Model& model, const Batch& batch, const TimeScale& scale, const EvaluationOptions& options) {
  if (options.top_k < 1) throw Error("evaluation: top_k must be at least 1");
  if (batch.num_action_types != model.num_types())
    throw Error("evaluation: data has " + std::to_string(batch.num_action_types) + " action types, model " +
                std::to_string(model.num_types()));
  torch::NoGradGuard no_grad;
  Metrics m;
  m.top_k = options.top_k;
  m.num_sequences = static_cast<std::size_t>(batch.batch_size());
  m.num_actions = count(batch.action_mask);
  m.num_at_window_start = count(batch.mask & ~batch.is_stimulus & ~batch.action_mask);
  m.num_types = model.num_types();
  History history = model.encode(batch);
  LikelihoodTerms terms = model.likelihood_terms(history, options.integral);
  m.log_likelihood = terms.log_likelihood().sum().item<double>();
  const int64_t L = batch.max_length();
  const auto targets = batch.targets();
  m.num_targets = count(targets);
  if (m.num_targets == 0) return m;

  PredictOptions po = options.predict;
  po.top_k = options.top_k;
  po.median = true;  // the time MAE's point estimate
  auto p = predict_next_event(model, history, po, options.predictor);
  auto first = [L](const torch::Tensor& t) { return t.narrow(1, 0, L); };  // interval i predicts event i
  auto zero = torch::zeros({}, batch.dtime.options());
  // RMSE of the predictive mean and MAE of the predictive median: each the predictor that minimises
  // its loss, so neither metric penalises a model for the other's point estimate.
  auto error = (first(p.expected_time) - batch.dtime) / scale.scale;
  m.squared_time_error = torch::where(targets, error * error, zero).sum().item<double>();
  auto median_error = (first(p.median_time) - batch.dtime) / scale.scale;
  m.absolute_time_error = torch::where(targets, median_error.abs(), zero).sum().item<double>();
  m.type_correct = count(targets & (first(p.predicted_type) == batch.type));
  m.top_k_correct = count(targets & (first(p.top_k_type) == batch.type.unsqueeze(-1)).any(-1));
  m.num_unconverged = count(targets & ~first(p.converged));

  // The one-step predictive log-density of each target: its log intensity minus the compensator
  // of the interval it closes, by the prediction's own quadrature (exact where the terms are).
  auto integral = first(compensator(model, history, batch.span, po));
  m.target_log_likelihood = torch::where(targets, terms.log_intensity - integral, zero).sum().item<double>();
  return m;
}

torch::Tensor last_fraction_targets(const Batch& batch, double fraction) {
  if (!(fraction > 0 && fraction <= 1)) throw Error("evaluation: target fraction must lie in (0, 1]");
  auto actions = batch.action_mask.to(torch::kLong);
  auto rank = actions.cumsum(1);  // 1-based rank of each action within its sequence
  // floor, as in a split at int(0.7·n); the guard keeps 0.7·10 from landing just below 7.
  auto history_only = torch::floor((1 - fraction) * actions.sum(1).to(torch::kFloat64) + 1e-9).to(torch::kLong);
  return batch.action_mask & (rank > history_only.to(rank.device()).unsqueeze(1));
}

Metrics evaluate(Model& model, const Dataset& data, const Context& ctx, const EvaluationOptions& options) {
  if (options.batch_size == 0) throw Error("evaluation: batch_size must be positive");
  Metrics total;
  total.top_k = options.top_k;
  BatchProgress progress(ctx.progress ? options.progress : nullptr, "evaluate", data.sequences.size());
  for (const auto& indices : length_sorted_batch_indices(data, options.batch_size)) {
    Batch batch = make_batch(data, indices, ctx);
    if (options.target_fraction < 1) batch.target_mask = last_fraction_targets(batch, options.target_fraction);
    Metrics part = evaluate_batch(model, batch, data.time_scale, options);
    progress.update(indices.size(), part.num_targets);
    total.merge(part);
  }
  return total;
}

}  // namespace tpp
