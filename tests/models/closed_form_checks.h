#pragma once
// Checks shared by the models with a closed-form next-event law (intensity-free models, RMTPP,
// one-decay Hawkes): the closed-form predictions against the quadrature predictor on the same
// model, on every interval of a batch and from a user state after quiet periods.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "tpp/core/stats.h"
#include "tpp/infer/predict.h"
#include "tpp/infer/sampling.h"
#include "tpp/infer/state_prediction.h"

namespace tpp::testing {

inline double relative_gap(double a, double b) { return std::abs(a - b) / std::max(1e-300, std::abs(b)); }

// E[τ] within `time_tolerance` relative (the quadrature's tail extrapolation limits it for heavy
// tails), the median within 1e−8, P(no event) within 1e−8 and the type probabilities within 1e−9.
inline void expect_closed_form_matches_quadrature(Model& model, const Batch& batch, double time_tolerance) {
  PredictOptions closed;
  closed.top_k = 2;
  PredictOptions quadrature = closed;
  quadrature.closed_form = false;
  const auto c = predict_next_event(model, batch, closed);
  const auto q = predict_next_event(model, batch, quadrature);
  EXPECT_EQ(c.panels, 0);
  const int K = model.num_types();
  for (int64_t b = 0; b < batch.batch_size(); ++b)
    for (int64_t i = 0; i <= batch.length[b].item<int64_t>(); ++i) {
      SCOPED_TRACE("sequence " + std::to_string(b) + " interval " + std::to_string(i));
      ASSERT_TRUE(q.converged[b][i].item<bool>());
      EXPECT_LT(relative_gap(c.expected_time[b][i].item<double>(), q.expected_time[b][i].item<double>()),
                time_tolerance);
      EXPECT_LT(relative_gap(c.median_time[b][i].item<double>(), q.median_time[b][i].item<double>()), 1e-8);
      EXPECT_NEAR(c.no_event_probability[b][i].item<double>(), q.no_event_probability[b][i].item<double>(), 1e-8);
      for (int k = 0; k < K; ++k)
        EXPECT_NEAR(c.type_probability[b][i][k].item<double>(), q.type_probability[b][i][k].item<double>(), 1e-9);
      EXPECT_EQ(c.predicted_type[b][i].item<int64_t>(), q.predicted_type[b][i].item<int64_t>());
    }
}

// The same from a user state after quiet periods of 0, 0.3 and 1.7: one model call each.
inline void expect_state_prediction_matches_quadrature(Model& model, UserState& state, double time_tolerance) {
  PredictOptions closed;
  PredictOptions quadrature;
  quadrature.closed_form = false;
  for (double quiet : {0.0, 0.3, 1.7}) {
    SCOPED_TRACE("quiet " + std::to_string(quiet));
    const auto c = predict_from_state(model, state, closed, quiet);
    const auto q = predict_from_state(model, state, quadrature, quiet);
    ASSERT_TRUE(q.converged);
    EXPECT_EQ(c.model_calls, 1);
    EXPECT_LT(relative_gap(c.expected_time, q.expected_time), time_tolerance);
    EXPECT_LT(relative_gap(c.median_time, q.median_time), 1e-8);
    EXPECT_NEAR(c.no_event_probability, q.no_event_probability, 1e-8);
    for (int k = 0; k < model.num_types(); ++k) EXPECT_NEAR(c.type_probability[k], q.type_probability[k], 1e-9);
    EXPECT_GT(c.median_time, quiet);
  }
}

// The next action after `prefix` drawn by the generic sampler from the closed-form law: given no
// event by prefix.t_end (quiet time q after the last event), the share of draws with no event is
// S(∞)/S(q) (binomial, 4.5 standard deviations), the gaps follow S(τ)/S(q) (Kolmogorov–Smirnov,
// α = 0.001) and are >= q, and each type's count matches its probability after q (5 binomial
// standard deviations; a τ-dependent mark law's masses after q, else the interval's marks).
inline void expect_next_event_draws_follow_the_law(Model& model, const Schema& schema, const Sequence& prefix,
                                                   int samples, std::uint64_t seed) {
  GenerateOptions o;
  o.num_events = 1;
  o.num_samples = samples;
  o.horizon = 1e12;
  o.seed = seed;
  o.prefer_model_target = false;
  const auto g = generate_next_events(model, schema, prefix, o);
  auto state = model.start(schema, prefix);
  auto law = model.next_event_law(state->current());
  ASSERT_TRUE(law.has_value());
  const double last = prefix.events.back().time, q = prefix.t_end - last;
  auto log_s = [&](double tau) {
    return law->gap->log_survival(torch::full({1, 1, 1}, tau, torch::kFloat64)).item<double>();
  };
  const double log_sq = log_s(q), never = law->gap->never_probability().item<double>();
  std::vector<double> gaps;
  std::vector<double> count(model.num_types(), 0.0);
  for (const auto& sample : g.samples)
    if (!sample.empty()) {
      gaps.push_back(sample[0].time - last);
      count[sample[0].type] += 1;
    }
  const double p_never = never / std::exp(log_sq);
  const double n = static_cast<double>(g.samples.size());
  EXPECT_LE(std::abs((n - gaps.size()) - n * p_never), 4.5 * std::sqrt(n * p_never * (1 - p_never)) + 1e-9);
  const KsResult ks = ks_test(gaps, [&](double tau) { return (1 - std::exp(log_s(tau) - log_sq)) / (1 - p_never); });
  EXPECT_LT(ks.statistic, 1.949 / std::sqrt(static_cast<double>(gaps.size()))) << ks.statistic;
  for (double gap : gaps) EXPECT_GE(gap, q);
  auto marks = law->marks ? law->marks->after(torch::full({1, 1}, q, torch::kFloat64)) : law->mark_probability;
  const double events = static_cast<double>(gaps.size());
  for (int k = 0; k < model.num_types(); ++k) {
    const double p = marks[0][0][k].item<double>();
    EXPECT_LE(std::abs(count[k] - events * p), 5 * std::sqrt(events * p * (1 - p)) + 1e-9) << "type " << k;
  }
}

}  // namespace tpp::testing
