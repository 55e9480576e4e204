#include "tpp/models/inhibition.h"

#include <gtest/gtest.h>

#include <cmath>

#include "../test_support.h"
#include "classical_checks.h"
#include "tpp/core/error.h"
#include "tpp/core/numerics.h"
#include "tpp/models/registry.h"

namespace tpp {

namespace {

Dataset tiny_with_stimulus() {
  auto d = testing::make_dataset(2, {{{0.4, 0}, {0.9, 1}, {1.5, 1}, {2.2, 0}}, {{0.3, 1}, {1.1, 0}}}, {3.0, 2.0});
  d.schema.num_stimulus_types = 1;
  d.schema.stimulus_names = {"s"};
  d.sequences[0].events.insert(d.sequences[0].events.begin() + 1, Event{0.6, 0, true, {}, {}});
  d.sequences[1].events.insert(d.sequences[1].events.begin(), Event{0.1, 0, true, {}, {}});
  return d;
}

// Inhibition (negative α), inertia (negative μ) and decays of different speeds, so the intensity
// is not monotone between events.
const nlohmann::json kConfig = {{"model", "inhibition"},
                                {"mu", {0.4, -0.3}},
                                {"alpha", {{0.9, -0.7}, {-1.2, 1.1}, {0.5, 0.8}}},
                                {"delta", {{1.5, 0.4}, {3.0, 1.0}, {0.7, 2.2}}},
                                {"scale", {0.6, 1.4}}};

// λ_k(t) from the definition, given the first `n` events of the sequence as history.
double twin_intensity(const Sequence& seq, std::size_t n, double t, int k, int K) {
  double x = kConfig["mu"][k].get<double>();
  for (std::size_t j = 0; j < n; ++j) {
    const Event& e = seq.events[j];
    int c = e.is_stimulus ? K + e.type : e.type;
    x += kConfig["alpha"][c][k].get<double>() * std::exp(-kConfig["delta"][c][k].get<double>() * (t - e.time));
  }
  double s = kConfig["scale"][k].get<double>();
  return s * std::log1p(std::exp(x / s));
}

// Σ log λ at the actions minus the integral by composite Simpson (2000 panels between events).
double twin_log_likelihood(const Sequence& seq, int K) {
  double ll = 0;
  for (std::size_t i = 0; i < seq.events.size(); ++i)
    if (!seq.events[i].is_stimulus) ll += std::log(twin_intensity(seq, i, seq.events[i].time, seq.events[i].type, K));
  std::vector<double> cuts{seq.t_start};
  for (const Event& e : seq.events) cuts.push_back(e.time);
  cuts.push_back(seq.t_end);
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {  // (cuts[i], cuts[i+1]] follows i events
    const double a = cuts[i], b = cuts[i + 1];
    const int panels = 2000;
    const double h = (b - a) / panels;
    double sum = 0;
    for (int j = 0; j <= panels; ++j) {
      double total = 0;
      for (int k = 0; k < K; ++k) total += twin_intensity(seq, i, a + j * h, k, K);
      sum += (j == 0 || j == panels ? 1 : (j % 2 ? 4 : 2)) * total;
    }
    ll -= sum * h / 3;
  }
  return ll;
}

}  // namespace

TEST(Inhibition, GaussLegendreLikelihoodMatchesHandComputedTwin) {
  auto d = tiny_with_stimulus();
  auto model = ModelRegistry::instance().create(kConfig, d.schema);
  auto b = make_batch(d, Context{});
  // Exact has no closed form here: it is served by the same Gauss–Legendre rule.
  for (auto method : {IntegralOptions::Method::GaussLegendre, IntegralOptions::Method::Exact}) {
    auto ll = model->log_likelihood(b, {method, 32});
    for (int s = 0; s < 2; ++s) EXPECT_NEAR(ll[s].item<double>(), twin_log_likelihood(d.sequences[s], 2), 1e-9);
  }
}

TEST(Inhibition, BoundHoldsOnNonMonotoneIntensity) {
  auto d = tiny_with_stimulus();
  auto model = ModelRegistry::instance().create(kConfig, d.schema);
  auto b = make_batch(d, Context{});
  for (double window : {0.1, 1.0, 5.0}) testing::expect_bound_holds(*model, b, window);
}

TEST(Inhibition, GradientMatchesFiniteDifferences) {
  auto d = tiny_with_stimulus();
  auto model = ModelRegistry::instance().create(kConfig, d.schema);
  testing::expect_gradient_matches_finite_differences(*model, make_batch(d, Context{}),
                                                      {IntegralOptions::Method::GaussLegendre, 16});
}

TEST(Inhibition, SequenceLikelihoodDoesNotDependOnTheBatch) {
  auto d = tiny_with_stimulus();
  auto model = ModelRegistry::instance().create(kConfig, d.schema);
  testing::expect_padding_invariance(*model, d, {IntegralOptions::Method::GaussLegendre, 16});
}

TEST(Inhibition, ConfigRoundTrips) {
  auto d = tiny_with_stimulus();
  auto model = ModelRegistry::instance().create(kConfig, d.schema);
  auto copy = ModelRegistry::instance().create(model->config(), d.schema);
  auto b = make_batch(d, Context{});
  EXPECT_TRUE(torch::allclose(model->log_likelihood(b), copy->log_likelihood(b), 0, 1e-13));
  EXPECT_THROW(ModelRegistry::instance().create({{"model", "inhibition"}, {"delta", -1.0}}, d.schema), Error);
  EXPECT_THROW(ModelRegistry::instance().create({{"model", "inhibition"}, {"scale", {1.0}}}, d.schema), Error);
}

}  // namespace tpp
