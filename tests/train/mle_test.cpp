#include "tpp/train/mle.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "../test_support.h"
#include "tpp/models/hawkes.h"
#include "tpp/models/poisson.h"
#include "tpp/models/registry.h"
#include "tpp/sim/simulate.h"
#include "tpp/train/standard_errors.h"

namespace tpp {

namespace {
Schema action_schema(int K) {
  Schema s;
  s.num_action_types = K;
  for (int k = 0; k < K; ++k) s.action_names.push_back(std::to_string(k));
  return s;
}
const IntegralOptions kExact{IntegralOptions::Method::Exact, 0};
}  // namespace

TEST(Mle, PoissonFitAndStandardErrorsMatchClosedForm) {
  // MLE of a Poisson rate is n_k / ΣT with standard error sqrt(n_k) / ΣT: checks the fit and the
  // delta method through the softplus reparametrisation.
  auto d = testing::make_dataset(2, {{{0.5, 0}, {1.0, 1}, {2.0, 1}, {2.5, 1}}, {{0.3, 0}, {0.7, 1}}}, {4.0, 2.0});
  auto model = std::dynamic_pointer_cast<PoissonImpl>(ModelRegistry::instance().create({{"model", "poisson"}}, d.schema));
  Batch b = make_batch(d, Context{});
  auto result = fit_mle(*model, b);
  EXPECT_TRUE(result.converged);
  EXPECT_EQ(result.num_events, 6u);
  EXPECT_NEAR(model->rate()[0].item<double>(), 2.0 / 6.0, 1e-7);
  EXPECT_NEAR(model->rate()[1].item<double>(), 4.0 / 6.0, 1e-7);
  EXPECT_NEAR(result.log_likelihood, model->log_likelihood(b, kExact).sum().item<double>(), 1e-12);
  auto info = observed_information(*model, b);
  auto se = natural_standard_errors(*model, info, [&] { return model->rate(); });
  EXPECT_NEAR(se[0].item<double>(), std::sqrt(2.0) / 6.0, 1e-6);
  EXPECT_NEAR(se[1].item<double>(), std::sqrt(4.0) / 6.0, 1e-6);
}

TEST(Mle, ObservedInformationMatchesFiniteDifferencesOfTheGradient) {
  auto d = testing::make_dataset(2, {{{0.4, 0}, {0.9, 1}, {1.5, 1}, {2.2, 0}}, {{0.3, 1}, {1.1, 0}}}, {3.0, 2.0});
  auto model = ModelRegistry::instance().create(
      {{"model", "hawkes"}, {"mu", {0.3, 0.7}}, {"alpha", {{0.2, 0.5}, {0.4, 0.1}}}, {"beta", 1.7}}, d.schema);
  Batch b = make_batch(d, Context{});
  auto info = observed_information(*model, b);
  auto params = model->parameters();
  auto gradient = [&] {
    model->zero_grad();
    (-model->log_likelihood(b, kExact).sum()).backward();
    std::vector<torch::Tensor> g;
    for (auto& p : params) g.push_back(p.grad().reshape({-1}).clone());
    return torch::cat(g);
  };
  const double h = 1e-5;
  int64_t col = 0;
  for (auto& p : params) {
    auto flat = p.data().view({-1});
    for (int64_t i = 0; i < flat.numel(); ++i, ++col) {
      const double x = flat[i].item<double>();
      flat[i] = x + h;
      auto up = gradient();
      flat[i] = x - h;
      auto down = gradient();
      flat[i] = x;
      auto numeric = (up - down) / (2 * h);
      EXPECT_TRUE(torch::allclose(info.select(1, col), numeric, 1e-6, 1e-6)) << "column " << col;
    }
  }
}

TEST(Mle, HawkesRecoversTrueParametersWithinThreeStandardErrors) {
  const nlohmann::json truth = {{"model", "hawkes"},
                                {"mu", {0.3, 0.2, 0.4}},
                                {"alpha", {{0.3, 0.2, 0.1}, {0.1, 0.4, 0.1}, {0.2, 0.1, 0.3}}},
                                {"beta", 2.0}};
  auto schema = action_schema(3);
  auto source = std::dynamic_pointer_cast<HawkesImpl>(ModelRegistry::instance().create(truth, schema));
  SimulateOptions sim;
  sim.num_sequences = 200;
  sim.t_end = 45.0;
  sim.seed = 2024;
  Dataset data = simulate(*source, schema, sim);
  Batch b = make_batch(data, Context{});

  // Start from the defaults (μ = 0.5, α = 1/6, β = 1), β learned with the rest.
  auto model = std::dynamic_pointer_cast<HawkesImpl>(ModelRegistry::instance().create({{"model", "hawkes"}}, schema));
  auto t0 = std::chrono::steady_clock::now();
  auto result = fit_mle(*model, b);
  auto t1 = std::chrono::steady_clock::now();
  auto info = observed_information(*model, b);
  auto se = natural_standard_errors(*model, info, [&] { return model->natural_parameters(); });
  auto t2 = std::chrono::steady_clock::now();
  auto fitted = model->natural_parameters().detach();
  auto expected = source->natural_parameters().detach();
  std::printf("hawkes recovery: %zu events, %d L-BFGS iterations, fit %.2f s, information %.2f s, LL/event %.5f\n",
              result.num_events, result.iterations, std::chrono::duration<double>(t1 - t0).count(),
              std::chrono::duration<double>(t2 - t1).count(), result.log_likelihood / result.num_events);
  ASSERT_GE(result.num_events, 18000u);
  EXPECT_TRUE(result.converged);
  const char* names[] = {"mu0", "mu1", "mu2", "a00", "a01", "a02", "a10", "a11", "a12", "a20", "a21", "a22", "beta"};
  for (int64_t i = 0; i < fitted.numel(); ++i) {
    std::printf("  %-4s true %.4f fitted %.4f se %.4f\n", names[i], expected[i].item<double>(), fitted[i].item<double>(),
                se[i].item<double>());
    EXPECT_LT(std::fabs(fitted[i].item<double>() - expected[i].item<double>()), 3 * se[i].item<double>()) << names[i];
  }
}

}  // namespace tpp
