#pragma once
// Goodness-of-fit statistics used to check simulators and fits (time-rescaling theorem).
#include <cstddef>
#include <functional>
#include <vector>

namespace tpp {

struct KsResult {
  double statistic{0.0};  // D_n = sup_x |F_n(x) − F(x)|
  double p_value{1.0};    // asymptotic (Kolmogorov distribution, Stephens' small-n correction)
  std::size_t n{0};
};

// P(K > x) for the Kolmogorov distribution: 2 Σ_{j>=1} (−1)^{j−1} exp(−2 j² x²).
double kolmogorov_survival(double x);

// One-sample Kolmogorov–Smirnov test of `samples` against a continuous CDF.
KsResult ks_test(std::vector<double> samples, const std::function<double(double)>& cdf);
// Against Exp(rate): the time-rescaling check of compensator increments.
KsResult ks_test_exponential(std::vector<double> samples, double rate = 1.0);

}  // namespace tpp
