// The next event from a user's incremental state (infer/state_prediction.h): against closed forms
// (exponential Hawkes series, Poisson memorylessness, a dying intensity) and against the batched
// predictor on the same interval for every model with its own state.
#include "tpp/infer/state_prediction.h"

#include <gtest/gtest.h>

#include <cmath>

#include "../test_support.h"
#include "exp_hawkes_fixture.h"
#include "tpp/core/error.h"
#include "tpp/models/registry.h"

namespace tpp {

namespace {

double rel(double a, double b) { return std::fabs(a - b) / std::fabs(b); }

// Λ(m) = level for λ(s) = μ + a e^{−βs} (Λ increasing): bisection on the closed-form compensator.
double root(const testing::ExpHawkesTestModel& m, double excite, double level) {
  double lo = 0, hi = 1;
  while (m.compensator(excite, hi) < level) hi *= 2;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (m.compensator(excite, mid) < level ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

Sequence header_of(const Sequence& s) {
  Sequence h = s;
  h.events.clear();
  return h;
}

}  // namespace

TEST(StatePrediction, SharpBurstMatchesSeriesClosedFormAfterEveryEvent) {
  // The burst case of the batched predictor's tests: horizon growth and refinement both needed.
  testing::ExpHawkesTestModel model({0.004, 0.006}, {100.0, 300.0}, 20.0);
  auto d = testing::make_dataset(2, {{{1.0, 0}, {1.01, 1}, {1.5, 1}, {40.0, 0}}}, {50.0});
  auto excite = model.encode(make_batch(d, Context{})).parts.at("excite");
  auto state = model.start(d.schema, header_of(d.sequences[0]));
  for (int i = 0; i <= 4; ++i) {
    if (i > 0) state->observe(d.sequences[0].events[i - 1]);
    const double e = excite[0][i].item<double>();
    const auto ref = model.reference(e);
    const auto p = predict_from_state(model, *state);
    EXPECT_TRUE(p.converged) << i;
    EXPECT_LT(rel(p.expected_time, ref.expected_time), 1e-7) << i;
    EXPECT_LT(rel(p.median_time, root(model, e, std::log(2.0))), 1e-8) << i;
    for (int k = 0; k < 2; ++k) EXPECT_LT(rel(p.type_probability[k], ref.type_probability[k]), 1e-7) << i << k;
    EXPECT_EQ(p.top_k_type.size(), 1u);
    EXPECT_EQ(p.top_k_type[0], p.type_probability[1] > p.type_probability[0] ? 1 : 0);
    EXPECT_DOUBLE_EQ(p.no_event_probability, 0.0);
  }
}

TEST(StatePrediction, QuietTimeConditionsOnNoEventSince) {
  // Beyond a quiet time q the interval is again exponential Hawkes, with excitation e·exp(−βq).
  const double beta = 2.0;
  testing::ExpHawkesTestModel model({0.2, 0.1}, {1.5, 0.5}, beta);
  auto d = testing::make_dataset(2, {{{1.0, 0}}}, {3.0});
  auto state = model.start(d.schema, d.sequences[0]);
  for (double quiet : {0.0, 0.3, 2.5}) {
    const double e = std::exp(-beta * quiet);
    const auto ref = model.reference(e);
    const auto p = predict_from_state(model, *state, {}, quiet);
    EXPECT_LT(rel(p.expected_time, quiet + ref.expected_time), 1e-9) << quiet;
    EXPECT_LT(rel(p.median_time, quiet + root(model, e, std::log(2.0))), 1e-9) << quiet;
    for (int k = 0; k < 2; ++k) EXPECT_LT(rel(p.type_probability[k], ref.type_probability[k]), 1e-8) << quiet;
  }
  // A Poisson process forgets: E[τ | τ > q] = q + 1/Σλ.
  auto poisson = ModelRegistry::instance().create({{"model", "poisson"}, {"rate", {0.5, 1.5}}}, d.schema);
  auto flat = poisson->start(d.schema, d.sequences[0]);
  const auto p = predict_from_state(*poisson, *flat, {}, 4.0);
  EXPECT_LT(rel(p.expected_time, 4.5), 1e-12);
  EXPECT_LT(rel(p.median_time, 4.0 + std::log(2.0) / 2), 1e-12);
  EXPECT_LT(rel(p.type_probability[1], 0.75), 1e-12);
  EXPECT_THROW(predict_from_state(*poisson, *flat, {}, -1.0), Error);
}

TEST(StatePrediction, DyingIntensityConditionsOnAnEvent) {
  // μ = 0: λ(s) = A β e^{−βs} after the event, A = Σα/β; S(∞) = e^{−A}. The conditional median m
  // solves S(m) = (1 + S(∞))/2, i.e. A (1 − e^{−βm}) = −log((1 + e^{−A})/2).
  const double beta = 2.0;
  testing::ExpHawkesTestModel model({0.0, 0.0}, {0.3, 0.2}, beta);
  auto d = testing::make_dataset(2, {{{1.0, 0}}}, {3.0});
  auto state = model.start(d.schema, d.sequences[0]);
  const auto p = predict_from_state(model, *state);
  const double A = 0.5 / beta;
  double ein = 0, term = 1;
  for (int n = 1; n < 40; ++n) {
    term *= A / n;
    ein += term / n;
  }
  EXPECT_TRUE(p.converged);
  EXPECT_LT(rel(p.no_event_probability, std::exp(-A)), 1e-8);
  EXPECT_LT(rel(p.expected_time, std::exp(-A) * ein / (beta * (1 - std::exp(-A)))), 1e-8);
  const double level = -std::log((1 + std::exp(-A)) / 2);
  EXPECT_LT(rel(p.median_time, -std::log(1 - level / A) / beta), 1e-8);
  EXPECT_LT(rel(p.type_probability[0], 0.6), 1e-8);
  // The batched predictor gives the same conditional median.
  const auto batch = predict_next_event(model, make_batch(d, Context{}));
  EXPECT_LT(rel(batch.median_time[0][1].item<double>(), p.median_time), 1e-8);
}

struct StateModelCase {
  std::string label;
  nlohmann::json config;
  friend void PrintTo(const StateModelCase& c, std::ostream* os) { *os << c.label; }
};

class StatePredictionModels : public ::testing::TestWithParam<StateModelCase> {};

// The same horizon and panel rules in another arithmetic: E[τ] and P(k) agree with the batched
// predictor to rounding, unless a panel decision falls on the other side of relative_tolerance
// (1e−10), which moves them by that order; the medians come from different root finders on the
// same converged quadrature.
TEST_P(StatePredictionModels, EqualsTheBatchedPredictorOnTheOpenInterval) {
  auto d = testing::make_dataset(3, {{{0.4, 0}, {0.9, 2}, {0.95, 1}, {2.1, 0}, {2.6, 2}}}, {2.6});
  torch::manual_seed(3);
  auto model = ModelRegistry::instance().create(GetParam().config, d.schema);
  model->eval();
  auto state = model->start(d.schema, d.sequences[0]);
  PredictOptions o;
  o.top_k = 2;
  const auto p = predict_from_state(*model, *state, o);
  const auto b = predict_next_event(*model, make_batch(d, Context{}), o);
  const int64_t open = 5;
  EXPECT_TRUE(p.converged) << p.panels << " panels, horizon " << p.horizon << ", batch converged "
                           << b.converged[0][open].item<bool>() << ", E " << p.expected_time << " vs "
                           << b.expected_time[0][open].item<double>();
  EXPECT_LT(rel(p.expected_time, b.expected_time[0][open].item<double>()), 1e-9);
  EXPECT_LT(rel(p.median_time, b.median_time[0][open].item<double>()), 1e-8);
  for (int k = 0; k < 3; ++k)
    EXPECT_LT(rel(p.type_probability[k], b.type_probability[0][open][k].item<double>()), 1e-9) << k;
  for (int k = 0; k < 2; ++k) EXPECT_EQ(p.top_k_type[k], b.top_k_type[0][open][k].item<int64_t>());
}

INSTANTIATE_TEST_SUITE_P(
    Models, StatePredictionModels,
    ::testing::Values(
        StateModelCase{"hawkes", {{"model", "hawkes"}, {"mu", {0.3, 0.2, 0.1}}, {"alpha", {{0.4, 0.1, 0.0}, {0.2, 0.5, 0.1}, {0.0, 0.3, 0.2}}}, {"beta", 1.3}}},
        StateModelCase{"self_correcting", {{"model", "self_correcting"}, {"mu", {0.5, 0.3, 0.2}}}},
        StateModelCase{"rmtpp", {{"model", "rmtpp"}, {"embed_dim", 3}, {"hidden", 4}, {"w_init", -0.3}}},
        StateModelCase{"nhp", {{"model", "nhp"}, {"hidden_size", 4}}},
        StateModelCase{"lognormmix", {{"model", "lognormmix"}, {"embed_dim", 3}, {"hidden", 4}, {"components", 3}}},
        StateModelCase{"burr", {{"model", "burr"}, {"embed_dim", 3}, {"hidden", 4}}},
        StateModelCase{"burr_defective", {{"model", "burr"}, {"embed_dim", 3}, {"hidden", 4}, {"defective", true}}},
        StateModelCase{"thp", {{"model", "thp"}, {"d_model", 4}, {"heads", 2}, {"layers", 2}, {"d_ff", 8}}},
        StateModelCase{"sahp", {{"model", "sahp"}, {"d_model", 4}, {"heads", 2}, {"layers", 1}, {"d_ff", 8}}}),
    [](const ::testing::TestParamInfo<StateModelCase>& info) { return info.param.label; });

}  // namespace tpp
