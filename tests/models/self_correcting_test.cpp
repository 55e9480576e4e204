#include "tpp/models/self_correcting.h"

#include <gtest/gtest.h>

#include <cmath>

#include "../test_support.h"
#include "classical_checks.h"
#include "tpp/core/error.h"
#include "tpp/models/registry.h"

namespace tpp {

namespace {

Dataset tiny_with_stimulus() {
  auto d = testing::make_dataset(2, {{{0.4, 0}, {0.9, 1}, {1.5, 1}, {2.2, 0}}, {{0.3, 1}, {1.1, 0}}}, {3.0, 2.0});
  d.schema.num_stimulus_types = 1;
  d.schema.stimulus_names = {"s"};
  d.sequences[0].events.insert(d.sequences[0].events.begin() + 1, Event{0.6, 0, true, {}, {}});
  d.sequences[1].events.insert(d.sequences[1].events.begin(), Event{0.1, 0, true, {}, {}});
  for (auto& s : d.sequences) {  // a window that does not start at 0
    s.t_start += 5.0;
    s.t_end += 5.0;
    for (auto& e : s.events) e.time += 5.0;
  }
  return d;
}

const nlohmann::json kConfig = {{"model", "self_correcting"},
                                {"mu", {0.8, 1.3}},
                                {"alpha", {{0.5, 0.2}, {0.3, 0.9}, {0.4, 0.1}}}};

double twin_log_intensity(const Sequence& seq, std::size_t n, double t, int k, int K) {
  double x = kConfig["mu"][k].get<double>() * (t - seq.t_start);
  for (std::size_t j = 0; j < n; ++j) {
    const Event& e = seq.events[j];
    x -= kConfig["alpha"][e.is_stimulus ? K + e.type : e.type][k].get<double>();
  }
  return x;
}

// Closed form per interval: ∫_a^b exp(μ(t − t0) − A) dt = (λ(b−) − λ(a+)) / μ.
double twin_log_likelihood(const Sequence& seq, int K) {
  double ll = 0;
  for (std::size_t i = 0; i < seq.events.size(); ++i)
    if (!seq.events[i].is_stimulus) ll += twin_log_intensity(seq, i, seq.events[i].time, seq.events[i].type, K);
  std::vector<double> cuts{seq.t_start};
  for (const Event& e : seq.events) cuts.push_back(e.time);
  cuts.push_back(seq.t_end);
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i)
    for (int k = 0; k < K; ++k)
      ll -= (std::exp(twin_log_intensity(seq, i, cuts[i + 1], k, K)) - std::exp(twin_log_intensity(seq, i, cuts[i], k, K))) /
            kConfig["mu"][k].get<double>();
  return ll;
}

}  // namespace

TEST(SelfCorrecting, ExactLikelihoodMatchesHandComputedTwin) {
  auto d = tiny_with_stimulus();
  auto model = ModelRegistry::instance().create(kConfig, d.schema);
  auto ll = model->log_likelihood(make_batch(d, Context{}), {IntegralOptions::Method::Exact, 0});
  for (int s = 0; s < 2; ++s) EXPECT_NEAR(ll[s].item<double>(), twin_log_likelihood(d.sequences[s], 2), 1e-12);
}

TEST(SelfCorrecting, GaussLegendreMatchesExactIntegral) {
  auto d = tiny_with_stimulus();
  auto model = ModelRegistry::instance().create(kConfig, d.schema);
  auto b = make_batch(d, Context{});
  EXPECT_TRUE(torch::allclose(model->log_likelihood(b, {IntegralOptions::Method::Exact, 0}),
                              model->log_likelihood(b, {IntegralOptions::Method::GaussLegendre, 32}), 0, 1e-11));
}

TEST(SelfCorrecting, BoundIsTheValueAtTheWindowEnd) {
  auto d = tiny_with_stimulus();
  auto model = ModelRegistry::instance().create(kConfig, d.schema);
  auto b = make_batch(d, Context{});
  for (double window : {0.1, 1.0}) testing::expect_bound_holds(*model, b, window);
  History h = model->encode(b);
  auto w = torch::full_like(h.start, 0.5);
  auto at_end = model->intensity(h, w.unsqueeze(-1)).sum(-1).squeeze(-1);
  EXPECT_TRUE(torch::allclose(model->intensity_upper_bound(h, w), at_end, 1e-14, 0));
}

TEST(SelfCorrecting, GradientMatchesFiniteDifferences) {
  auto d = tiny_with_stimulus();
  auto model = ModelRegistry::instance().create(kConfig, d.schema);
  testing::expect_gradient_matches_finite_differences(*model, make_batch(d, Context{}), {IntegralOptions::Method::Exact, 0});
}

TEST(SelfCorrecting, SequenceLikelihoodDoesNotDependOnTheBatch) {
  auto d = tiny_with_stimulus();
  auto model = ModelRegistry::instance().create(kConfig, d.schema);
  testing::expect_padding_invariance(*model, d, {IntegralOptions::Method::Exact, 0});
}

TEST(SelfCorrecting, ConfigRoundTrips) {
  auto d = tiny_with_stimulus();
  auto model = ModelRegistry::instance().create(kConfig, d.schema);
  auto copy = ModelRegistry::instance().create(model->config(), d.schema);
  auto b = make_batch(d, Context{});
  EXPECT_TRUE(torch::allclose(model->log_likelihood(b, {IntegralOptions::Method::Exact, 0}),
                              copy->log_likelihood(b, {IntegralOptions::Method::Exact, 0}), 0, 1e-13));
  EXPECT_THROW(ModelRegistry::instance().create({{"model", "self_correcting"}, {"alpha", -0.5}}, d.schema), Error);
}

}  // namespace tpp
