#include "tpp/core/numerics.h"

#include <cmath>
#include <stdexcept>

namespace tpp {

torch::Tensor scaled_softplus(const torch::Tensor& x, const torch::Tensor& s) {
  auto z = x / s;
  // log1p(exp(-|z|)) + max(z, 0) never overflows.
  return s * (torch::log1p(torch::exp(-z.abs())) + torch::clamp_min(z, 0));
}

torch::Tensor scaled_softplus(const torch::Tensor& x, double s) {
  auto z = x / s;
  return s * (torch::log1p(torch::exp(-z.abs())) + torch::clamp_min(z, 0));
}

double softplus(double x) { return std::log1p(std::exp(-std::fabs(x))) + std::max(x, 0.0); }

double inverse_softplus(double y) {
  if (y > 30) return y;  // exp(y) - 1 == exp(y) to double precision
  return std::log(std::expm1(y));
}

torch::Tensor safe_log(const torch::Tensor& intensity) { return torch::log(torch::clamp_min(intensity, kIntensityFloor)); }

Quadrature gauss_legendre(int n) {
  if (n < 1) throw std::invalid_argument("gauss_legendre: n must be >= 1");
  Quadrature q;
  q.nodes.resize(n);
  q.weights.resize(n);
  const double pi = std::acos(-1.0);
  for (int i = 0; i < (n + 1) / 2; ++i) {
    double x = std::cos(pi * (i + 0.75) / (n + 0.5));
    double dp = 0.0;
    for (int iter = 0; iter < 100; ++iter) {
      double p0 = 1.0, p1 = 0.0;
      for (int j = 1; j <= n; ++j) {
        double p2 = p1;
        p1 = p0;
        p0 = ((2.0 * j - 1.0) * x * p1 - (j - 1.0) * p2) / j;
      }
      dp = n * (x * p0 - p1) / (x * x - 1.0);
      double dx = p0 / dp;
      x -= dx;
      if (std::fabs(dx) < 1e-15) break;
    }
    q.nodes[i] = -x;
    q.nodes[n - 1 - i] = x;
    q.weights[i] = q.weights[n - 1 - i] = 2.0 / ((1.0 - x * x) * dp * dp);
  }
  return q;
}

}  // namespace tpp
