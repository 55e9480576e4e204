#include "tpp/core/numerics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tpp {

TEST(GaussLegendre, IntegratesPolynomialsOfDegree2nMinus1Exactly) {
  for (int n : {1, 2, 5, 16, 33}) {
    auto q = gauss_legendre(n);
    for (int degree = 0; degree <= 2 * n - 1; ++degree) {
      double sum = 0.0;
      for (int i = 0; i < n; ++i) sum += q.weights[i] * std::pow(q.nodes[i], degree);
      double exact = degree % 2 == 1 ? 0.0 : 2.0 / (degree + 1);
      EXPECT_NEAR(sum, exact, 1e-13) << "n=" << n << " degree=" << degree;
    }
  }
}

TEST(GaussLegendre, RejectsNonPositiveOrder) { EXPECT_THROW(gauss_legendre(0), std::invalid_argument); }

TEST(ScaledSoftplus, MatchesDefinitionAndStaysFiniteAtExtremes) {
  auto x = torch::tensor({-800.0, -3.0, 0.0, 2.5, 800.0}, torch::kFloat64);
  auto y = scaled_softplus(x, 2.0);
  EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
  EXPECT_NEAR(y[1].item<double>(), 2.0 * std::log1p(std::exp(-1.5)), 1e-14);
  EXPECT_NEAR(y[2].item<double>(), 2.0 * std::log(2.0), 1e-14);
  EXPECT_NEAR(y[4].item<double>(), 800.0, 1e-12);
  EXPECT_GT(y[0].item<double>(), 0.0);
  EXPECT_NEAR(softplus(inverse_softplus(0.37)), 0.37, 1e-14);
  EXPECT_NEAR(softplus(inverse_softplus(45.0)), 45.0, 1e-12);
}

}  // namespace tpp
