#include "tpp/core/stats.h"

#include <algorithm>
#include <cmath>

#include "tpp/core/error.h"

namespace tpp {

double kolmogorov_survival(double x) {
  if (x <= 0) return 1.0;
  // For small x the alternating series converges slowly; use the Jacobi theta dual form
  // P(K <= x) = sqrt(2π)/x Σ_{j>=1} exp(−(2j−1)² π² / (8x²)).
  const double pi = std::acos(-1.0);
  if (x < 1.0) {
    double cdf = 0;
    for (int j = 1; j <= 50; ++j) {
      double term = std::exp(-(2.0 * j - 1) * (2.0 * j - 1) * pi * pi / (8 * x * x));
      cdf += term;
      if (term < 1e-300) break;
    }
    return std::clamp(1.0 - std::sqrt(2 * pi) / x * cdf, 0.0, 1.0);
  }
  double sum = 0;
  for (int j = 1; j <= 100; ++j) {
    double term = std::exp(-2.0 * j * j * x * x);
    sum += (j % 2 == 1 ? term : -term);
    if (term < 1e-300) break;
  }
  return std::clamp(2 * sum, 0.0, 1.0);
}

KsResult ks_test(std::vector<double> samples, const std::function<double(double)>& cdf) {
  if (samples.empty()) throw Error("ks_test: no samples");
  for (double x : samples)
    if (!std::isfinite(x)) throw Error("ks_test: non-finite sample");
  std::sort(samples.begin(), samples.end());
  const double n = static_cast<double>(samples.size());
  double d = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    const double f = cdf(samples[i]);
    d = std::max({d, (i + 1) / n - f, f - i / n});
  }
  KsResult r;
  r.statistic = d;
  r.n = samples.size();
  const double root = std::sqrt(n);
  r.p_value = kolmogorov_survival((root + 0.12 + 0.11 / root) * d);
  return r;
}

KsResult ks_test_exponential(std::vector<double> samples, double rate) {
  if (!(rate > 0)) throw Error("ks_test_exponential: rate must be positive");
  return ks_test(std::move(samples), [rate](double x) { return x <= 0 ? 0.0 : -std::expm1(-rate * x); });
}

}  // namespace tpp
