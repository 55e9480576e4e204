#include "tpp/core/numerics.h"

#include <cmath>
#include <stdexcept>

namespace tpp {

namespace {
// LibTorch's fused softplus returns z itself above the threshold. At 40 the omitted term
// log1p(e^{-40}) ≈ 4e-18 is below the last bit of z in float64 (and float32), and e^{40} does not
// overflow either dtype, so the result is softplus to the precision of its dtype, in one kernel
// (and one backward) instead of the eight of a hand-written stable formula.
constexpr double kSoftplusThreshold = 40.0;
torch::Tensor softplus_of(const torch::Tensor& z) {
  return torch::nn::functional::softplus(z, torch::nn::functional::SoftplusFuncOptions().threshold(kSoftplusThreshold));
}
}  // namespace

torch::Tensor scaled_softplus(const torch::Tensor& x, const torch::Tensor& s) { return s * softplus_of(x / s); }

torch::Tensor scaled_softplus(const torch::Tensor& x, double s) {
  if (s == 1.0) return softplus_of(x);
  return torch::nn::functional::softplus(
      x, torch::nn::functional::SoftplusFuncOptions().beta(1.0 / s).threshold(kSoftplusThreshold));
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
