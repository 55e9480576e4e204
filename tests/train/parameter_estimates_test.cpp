#include "tpp/train/parameter_estimates.h"

#include <gtest/gtest.h>

#include <cmath>

#include "../test_support.h"
#include "tpp/data/batch.h"
#include "tpp/models/registry.h"
#include "tpp/train/mle.h"

namespace tpp {

namespace {

Dataset two_type_data() {
  // Type "a": 2 events, type "b": 4, over windows of 4 + 2 time units.
  auto d = testing::make_dataset(2, {{{0.5, 0}, {1.0, 1}, {2.0, 1}, {2.5, 1}}, {{0.3, 0}, {0.7, 1}}}, {4.0, 2.0});
  d.schema.action_names = {"a", "b"};
  return d;
}

}  // namespace

TEST(ParameterEstimates, PoissonRatesAndErrorsAreTheClosedForms) {
  // MLE of a rate is n_k / ΣT with standard error sqrt(n_k) / ΣT.
  const Dataset d = two_type_data();
  auto model = ModelRegistry::instance().create({{"model", "poisson"}}, d.schema);
  fit_mle(*model, make_batch(d, Context{}));
  const auto estimates = parameter_estimates(*model, d, Context{});
  ASSERT_EQ(estimates.size(), 2u);
  EXPECT_EQ(estimates[0].name, "rate[a]");
  EXPECT_EQ(estimates[1].name, "rate[b]");
  EXPECT_NEAR(estimates[0].value, 2.0 / 6.0, 1e-7);
  EXPECT_NEAR(estimates[1].value, 4.0 / 6.0, 1e-7);
  EXPECT_NEAR(estimates[0].standard_error, std::sqrt(2.0) / 6.0, 1e-6);
  EXPECT_NEAR(estimates[1].standard_error, std::sqrt(4.0) / 6.0, 1e-6);
  const auto j = to_json(estimates);
  EXPECT_EQ(j[1]["name"], "rate[b]");
  EXPECT_DOUBLE_EQ(j[1]["standard_error"].get<double>(), estimates[1].standard_error);
}

TEST(ParameterEstimates, HawkesNamesFollowNaturalParameters) {
  // μ per type, α per (source -> target), then one β; values are the model's own.
  const Dataset d = two_type_data();
  auto model = ModelRegistry::instance().create(
      {{"model", "hawkes"}, {"mu", {0.3, 0.5}}, {"alpha", {{0.2, 0.1}, {0.1, 0.3}}}, {"beta", 1.5}}, d.schema);
  fit_mle(*model, make_batch(d, Context{}));
  const auto estimates = parameter_estimates(*model, d, Context{});
  const std::vector<std::string> names{"mu[a]",       "mu[b]",       "alpha[a->a]", "alpha[a->b]",
                                       "alpha[b->a]", "alpha[b->b]", "beta"};
  ASSERT_EQ(estimates.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(estimates[i].name, names[i]);
    EXPECT_TRUE(std::isfinite(estimates[i].standard_error)) << names[i];
    EXPECT_GE(estimates[i].standard_error, 0) << names[i];
  }
  EXPECT_DOUBLE_EQ(estimates.back().value, model->config()["beta"].get<double>());
}

TEST(ParameterEstimates, NoneForNeuralModelsOrTooManyParameters) {
  const Dataset d = two_type_data();
  auto rmtpp = ModelRegistry::instance().create({{"model", "rmtpp"}, {"embed_dim", 2}, {"hidden", 3}}, d.schema);
  EXPECT_TRUE(parameter_estimates(*rmtpp, d, Context{}).empty());
  auto poisson = ModelRegistry::instance().create({{"model", "poisson"}}, d.schema);
  EXPECT_TRUE(parameter_estimates(*poisson, d, Context{}, /*max_parameters=*/1).empty());
}

}  // namespace tpp
