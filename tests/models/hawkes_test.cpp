#include "tpp/models/hawkes.h"

#include <gtest/gtest.h>

#include <cmath>

#include "../test_support.h"
#include "classical_checks.h"
#include "closed_form_checks.h"
#include "tpp/core/error.h"
#include "tpp/core/stats.h"
#include "tpp/infer/predict.h"
#include "tpp/infer/sampling.h"
#include "tpp/infer/state_prediction.h"
#include "tpp/models/registry.h"

namespace tpp {

namespace {

// 2 action types, 1 stimulus type; two sequences of different lengths.
Dataset tiny_with_stimulus() {
  auto d = testing::make_dataset(2, {{{0.4, 0}, {0.9, 1}, {1.5, 1}, {2.2, 0}}, {{0.3, 1}, {1.1, 0}}}, {3.0, 2.0});
  d.schema.num_stimulus_types = 1;
  d.schema.stimulus_names = {"s"};
  d.sequences[0].events.insert(d.sequences[0].events.begin() + 1, Event{0.6, 0, true, {}, {}});
  d.sequences[1].events.insert(d.sequences[1].events.begin(), Event{0.1, 0, true, {}, {}});
  return d;
}

const nlohmann::json kScalarConfig = {{"model", "hawkes"},
                                      {"mu", {0.3, 0.7}},
                                      {"alpha", {{0.2, 0.5}, {0.4, 0.1}, {0.6, 0.3}}},
                                      {"beta", 1.7}};
const nlohmann::json kMatrixConfig = {{"model", "hawkes"},
                                      {"mu", {0.3, 0.7}},
                                      {"alpha", {{0.2, 0.5}, {0.4, 0.1}, {0.6, 0.3}}},
                                      {"beta_matrix", true},
                                      {"beta", {{1.7, 0.8}, {2.5, 1.2}, {0.6, 3.0}}}};

// The likelihood from the definition: every intensity sums over all earlier events (no recursion).
double twin_log_likelihood(const Sequence& seq, const nlohmann::json& cfg, int K) {
  auto beta = [&](int c, int k) { return cfg.value("beta_matrix", false) ? cfg["beta"][c][k].get<double>() : cfg["beta"].get<double>(); };
  auto source = [&](const Event& e) { return e.is_stimulus ? K + e.type : e.type; };
  double ll = 0;
  for (std::size_t i = 0; i < seq.events.size(); ++i) {
    const Event& e = seq.events[i];
    if (e.is_stimulus) continue;
    double lambda = cfg["mu"][e.type].get<double>();
    for (std::size_t j = 0; j < i; ++j) {
      int c = source(seq.events[j]);
      double b = beta(c, e.type);
      lambda += cfg["alpha"][c][e.type].get<double>() * b * std::exp(-b * (e.time - seq.events[j].time));
    }
    ll += std::log(lambda);
  }
  const double T = seq.t_end - seq.t_start;
  for (int k = 0; k < K; ++k) {
    ll -= cfg["mu"][k].get<double>() * T;
    for (const Event& e : seq.events) {
      int c = source(e);
      ll -= cfg["alpha"][c][k].get<double>() * (1 - std::exp(-beta(c, k) * (seq.t_end - e.time)));
    }
  }
  return ll;
}

}  // namespace

TEST(Hawkes, ExactLikelihoodMatchesHandComputedTwinWithStimulus) {
  auto d = tiny_with_stimulus();
  for (const auto& cfg : {kScalarConfig, kMatrixConfig}) {
    auto model = ModelRegistry::instance().create(cfg, d.schema);
    auto ll = model->log_likelihood(make_batch(d, Context{}), {IntegralOptions::Method::Exact, 0});
    for (int s = 0; s < 2; ++s) EXPECT_NEAR(ll[s].item<double>(), twin_log_likelihood(d.sequences[s], cfg, 2), 1e-12);
  }
}

TEST(Hawkes, GaussLegendreMatchesExactIntegral) {
  auto d = tiny_with_stimulus();
  for (const auto& cfg : {kScalarConfig, kMatrixConfig}) {
    auto model = ModelRegistry::instance().create(cfg, d.schema);
    auto b = make_batch(d, Context{});
    auto exact = model->log_likelihood(b, {IntegralOptions::Method::Exact, 0});
    auto gauss = model->log_likelihood(b, {IntegralOptions::Method::GaussLegendre, 32});
    EXPECT_TRUE(torch::allclose(exact, gauss, 0, 1e-11)) << exact << gauss;
  }
}

TEST(Hawkes, IntensityAtEventsMatchesTwinAndBoundHolds) {
  auto d = tiny_with_stimulus();
  auto model = ModelRegistry::instance().create(kMatrixConfig, d.schema);
  auto b = make_batch(d, Context{});
  testing::expect_bound_holds(*model, b, 2.0);
  // The stimulus at 0.6 lifts λ_1 by α_{s,1} β_{s,1}.
  History h = model->encode(b);
  auto before = model->intensity(h, torch::full({2, 6, 1}, 0.2 - 1e-9, torch::kFloat64)).index({0, 1, 0});
  auto after = model->intensity(h, torch::full({2, 6, 1}, 1e-9, torch::kFloat64)).index({0, 2, 0});
  EXPECT_NEAR(after[1].item<double>() - before[1].item<double>(), 0.3 * 3.0, 1e-6);
}

TEST(Hawkes, GradientMatchesFiniteDifferences) {
  auto d = tiny_with_stimulus();
  for (const auto& cfg : {kScalarConfig, kMatrixConfig}) {
    auto model = ModelRegistry::instance().create(cfg, d.schema);
    testing::expect_gradient_matches_finite_differences(*model, make_batch(d, Context{}), {IntegralOptions::Method::Exact, 0});
  }
}

TEST(Hawkes, SequenceLikelihoodDoesNotDependOnTheBatch) {
  auto d = tiny_with_stimulus();
  auto model = ModelRegistry::instance().create(kMatrixConfig, d.schema);
  testing::expect_padding_invariance(*model, d, {IntegralOptions::Method::Exact, 0});
  testing::expect_padding_invariance(*model, d, {IntegralOptions::Method::GaussLegendre, 16});
}

TEST(Hawkes, ConfigRoundTripsAndAccessorsReturnNaturalValues) {
  auto d = tiny_with_stimulus();
  auto model = std::dynamic_pointer_cast<HawkesImpl>(ModelRegistry::instance().create(kScalarConfig, d.schema));
  ASSERT_TRUE(model);
  EXPECT_NEAR(model->beta().item<double>(), 1.7, 1e-14);
  EXPECT_NEAR(model->alpha()[2][0].item<double>(), 0.6, 1e-14);
  EXPECT_NEAR(model->mu()[1].item<double>(), 0.7, 1e-14);
  auto copy = ModelRegistry::instance().create(model->config(), d.schema);
  auto b = make_batch(d, Context{});
  EXPECT_TRUE(torch::allclose(model->log_likelihood(b, {IntegralOptions::Method::Exact, 0}),
                              copy->log_likelihood(b, {IntegralOptions::Method::Exact, 0}), 0, 1e-13));
  EXPECT_EQ(copy->config().dump(), model->config().dump());
}

TEST(Hawkes, SchemaAffectsMasksStimulusRows) {
  auto d = tiny_with_stimulus();
  d.schema.affects = {{1}};  // the stimulus can only excite action type 1
  auto model = std::dynamic_pointer_cast<HawkesImpl>(ModelRegistry::instance().create(kScalarConfig, d.schema));
  EXPECT_EQ(model->alpha()[2][0].item<double>(), 0.0);
  EXPECT_NEAR(model->alpha()[2][1].item<double>(), 0.3, 1e-14);
}

TEST(Hawkes, BadConfigAndBatchThrowLocatedErrors) {
  auto d = tiny_with_stimulus();
  auto& registry = ModelRegistry::instance();
  EXPECT_THROW(registry.create({{"model", "hawkes"}, {"mu", {1.0}}}, d.schema), Error);
  EXPECT_THROW(registry.create({{"model", "hawkes"}, {"mu", {1.0, -1.0}}}, d.schema), Error);
  EXPECT_THROW(registry.create({{"model", "hawkes"}, {"alpha", {{1.0, 2.0}}}}, d.schema), Error);
  EXPECT_THROW(registry.create({{"model", "hawkes"}, {"beta", {{1.0, 2.0}}}}, d.schema), Error);
  Schema other = d.schema;
  other.num_stimulus_types = 0;
  auto model = registry.create({{"model", "hawkes"}}, other);
  EXPECT_THROW(model->log_likelihood(make_batch(d, Context{})), Error);
}

// With one scalar β the next event has a closed form (models/decaying_rate_law.h): every
// prediction agrees with the quadrature predictor on the same model, also the type shares,
// which move with τ as the excitation decays; a β matrix keeps the quadrature route.
TEST(Hawkes, ClosedFormPredictionMatchesTheQuadraturePredictor) {
  auto d = tiny_with_stimulus();
  // The default config's small excitation, and a burst (α β up to 24 per event).
  for (const auto& cfg : {kScalarConfig, nlohmann::json{{"model", "hawkes"},
                                                        {"mu", {0.05, 0.02}},
                                                        {"alpha", {{3.0, 1.0}, {0.5, 2.0}, {4.0, 0.1}}},
                                                        {"beta", 6.0}}}) {
    SCOPED_TRACE(cfg.dump());
    auto model = ModelRegistry::instance().create(cfg, d.schema);
    Batch batch = make_batch(d, Context{});
    testing::expect_closed_form_matches_quadrature(*model, batch, 1e-8);
    PredictOptions closed;
    // The compensator over each interval's span is the model's exact one.
    auto history = model->encode(batch);
    auto exact = dynamic_cast<HawkesImpl&>(*model).compensator(history);
    auto from_law = compensator(*model, history, batch.span, closed);
    EXPECT_TRUE(torch::allclose(from_law, exact, 1e-12, 1e-12));
  }
  auto matrix = ModelRegistry::instance().create(kMatrixConfig, d.schema);
  EXPECT_FALSE(matrix->next_event_law(matrix->encode(make_batch(d, Context{}))).has_value());
}

TEST(Hawkes, StatePredictionAfterAQuietPeriodMatchesQuadrature) {
  auto d = tiny_with_stimulus();
  auto model = ModelRegistry::instance().create(kScalarConfig, d.schema);
  auto state = model->start(d.schema, d.sequences[0]);
  testing::expect_state_prediction_matches_quadrature(*model, *state, 1e-8);
}

// The draw from the closed-form law (the generic sampler, not Hawkes' own simulator), with types
// drawn at the drawn gap.
TEST(Hawkes, ClosedFormDrawsFollowTheConditionalLaw) {
  auto d = tiny_with_stimulus();
  auto model = ModelRegistry::instance().create(kScalarConfig, d.schema);
  Sequence prefix = d.sequences[0];
  prefix.t_end = 2.6;  // 0.4 after the last event
  testing::expect_next_event_draws_follow_the_law(*model, d.schema, prefix, 1500, 9);
}

}  // namespace tpp
