#include "tpp/infer/sampling.h"

#include <gtest/gtest.h>

#include <limits>

#include <cmath>

#include "../test_support.h"
#include "tpp/core/error.h"
#include "exp_hawkes_fixture.h"
#include "tpp/infer/predict.h"
#include "tpp/models/registry.h"

namespace tpp {

namespace {
Sequence prefix_of(const std::vector<std::pair<double, int>>& events, double t_end) {
  Sequence s;
  s.user = "p";
  s.t_start = 0;
  s.t_end = t_end;
  for (auto [t, k] : events) s.events.push_back(Event{t, k, false, {}, {}});
  return s;
}
}  // namespace

TEST(ModelThinningTarget, PoissonIntensitiesAndBoundAreTheRates) {
  auto d = testing::make_dataset(2, {{}}, {1.0});
  auto model = ModelRegistry::instance().create({{"model", "poisson"}, {"rate", {0.5, 2.0}}}, d.schema);
  ModelThinningTarget target(*model, d.schema, prefix_of({}, 0.0));
  EXPECT_EQ(target.num_types(), 2);
  std::vector<double> lambda;
  target.intensities(0.7, lambda);
  ASSERT_EQ(lambda.size(), 2u);
  EXPECT_NEAR(lambda[0], 0.5, 1e-14);
  EXPECT_NEAR(lambda[1], 2.0, 1e-14);
  target.observe(Event{1.0, 1, false, {}, {}});
  // The rates' sum, widened by the 64-epsilon rounding margin of ModelThinningTarget.
  EXPECT_GE(target.upper_bound(1.5, 10.0), 2.5);
  EXPECT_NEAR(target.upper_bound(1.5, 10.0), 2.5, 2.5 * 64 * std::numeric_limits<double>::epsilon() + 1e-15);
  EXPECT_THROW(target.observe(Event{0.5, 0, false, {}, {}}), Error);
}

TEST(ModelThinningTarget, ReencodedHistoryGivesTheHawkesIntensityAndAValidBound) {
  testing::ExpHawkesTestModel model({0.3, 0.1}, {1.0, 2.0}, 3.0);
  Schema schema;
  schema.num_action_types = 2;
  schema.action_names = {"a", "b"};
  ModelThinningTarget target(model, schema, prefix_of({{0.5, 0}}, 0.5));
  target.observe(Event{0.9, 1, false, {}, {}});
  std::vector<double> lambda;
  for (double t : {0.9, 1.0, 2.5}) {
    target.intensities(t, lambda);
    const double excite = std::exp(-3.0 * (t - 0.5)) + std::exp(-3.0 * (t - 0.9));
    EXPECT_NEAR(lambda[0], 0.3 + 1.0 * excite, 1e-12);
    EXPECT_NEAR(lambda[1], 0.1 + 2.0 * excite, 1e-12);
    EXPECT_GE(target.upper_bound(0.9, 3.0) + 1e-12, lambda[0] + lambda[1]);
  }
  EXPECT_EQ(target.num_events(), 2u);
}

TEST(Generate, PoissonNextEventsHaveGammaMeansAndRateFrequencies) {
  auto d = testing::make_dataset(2, {{}}, {1.0});
  auto model = ModelRegistry::instance().create({{"model", "poisson"}, {"rate", {0.5, 1.5}}}, d.schema);
  GenerateOptions o;
  o.num_events = 2;
  o.num_samples = 2000;
  o.horizon = 1e3;  // P(fewer than 2 events in it) is astronomically small
  o.seed = 11;
  auto g = generate_next_events(*model, d.schema, prefix_of({{0.25, 0}}, 2.0), o);
  ASSERT_EQ(g.samples.size(), 2000u);
  const double M = 2000, rate = 2.0;
  for (int j = 0; j < 2; ++j) {
    EXPECT_EQ(g.reached[j], 2000u);
    // The j-th arrival after t_end = 2 is Gamma(j+1, rate): mean (j+1)/rate, sd sqrt(j+1)/rate.
    const double sd = std::sqrt(j + 1.0) / rate / std::sqrt(M);
    EXPECT_NEAR(g.mean_time[j], 2.0 + (j + 1) / rate, 5 * sd) << j;
    const double p = 0.25, sd_p = std::sqrt(p * (1 - p) / M);
    EXPECT_NEAR(g.type_frequency[j][0], p, 5 * sd_p) << j;
  }
  auto again = generate_next_events(*model, d.schema, prefix_of({{0.25, 0}}, 2.0), o);
  EXPECT_EQ(again.samples[1999][1].time, g.samples[1999][1].time);
}

TEST(Generate, GenericSamplerAgreesWithQuadraturePrediction) {
  // The first sampled event after a Hawkes history must follow the density λ_k S that the
  // predictor integrates: compare means and type frequencies within 5 standard errors.
  testing::ExpHawkesTestModel model({0.4, 0.2}, {1.2, 0.6}, 2.5);
  auto d = testing::make_dataset(2, {{{0.2, 0}, {0.6, 1}, {0.7, 0}}}, {0.7});
  auto prediction = predict_next_event(model, make_batch(d, Context{}));
  GenerateOptions o;
  o.num_samples = 1500;
  o.horizon = 200;  // S(200) < e^{-120}
  o.seed = 5;
  auto g = generate_next_events(model, d.schema, d.sequences[0], o);
  ASSERT_EQ(g.reached[0], 1500u);
  double sum2 = 0;
  for (const auto& s : g.samples) sum2 += (s[0].time - g.mean_time[0]) * (s[0].time - g.mean_time[0]);
  const double se = std::sqrt(sum2 / (o.num_samples - 1) / o.num_samples);
  EXPECT_NEAR(g.mean_time[0] - 0.7, prediction.expected_time[0][3].item<double>(), 5 * se);
  const double p0 = prediction.type_probability[0][3][0].item<double>();
  EXPECT_NEAR(g.type_frequency[0][0], p0, 5 * std::sqrt(p0 * (1 - p0) / o.num_samples));
}

TEST(Generate, RejectsAnUnboundedWindow) {
  auto d = testing::make_dataset(1, {{}}, {1.0});
  auto model = ModelRegistry::instance().create({{"model", "poisson"}}, d.schema);
  GenerateOptions o;
  EXPECT_THROW(generate_next_events(*model, d.schema, prefix_of({}, 1.0), o), Error);
}

TEST(StreamSeed, StreamsDifferAndAreStable) {
  EXPECT_NE(stream_seed(1, 0), stream_seed(1, 1));
  EXPECT_NE(stream_seed(1, 0), stream_seed(2, 0));
  EXPECT_EQ(stream_seed(7, 3), stream_seed(7, 3));
}

}  // namespace tpp
