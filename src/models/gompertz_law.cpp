#include "tpp/models/gompertz_law.h"

#include <cmath>
#include <limits>

#include "tpp/core/error.h"

namespace tpp {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// e^A E₁(A) for A > 0. Below 1 from the library's Ei (E₁(A) = −Ei(−A)); above, the continued
// fraction E₁(A) = e^{−A} / (A + 1 − 1²/(A + 3 − 2²/(A + 5 − …))) by the modified Lentz method,
// which converges in a few dozen terms there and never forms e^A.
double scaled_e1(double a) {
  if (a < 1) return -std::exp(a) * std::expint(-a);
  constexpr double tiny = 1e-300, eps = 1e-16;
  double b = a + 1, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i <= 1000; ++i) {
    const double an = -static_cast<double>(i) * i;
    b += 2;
    d = 1 / (an * d + b);
    c = b + an / c;
    const double delta = c * d;
    h *= delta;
    if (std::fabs(delta - 1) < eps) return h;
  }
  throw Error("Gompertz mean: the exponential-integral fraction did not converge");
}

// e^{−c} Ein(c) for c > 0, Ein(c) = Σ_{k>=1} c^k/(k·k!): every term positive, so the series is
// stable for any c, and up to c = 50 its terms stay far from overflow. Above 50, e^{−c} Ein(c) =
// e^{−c} (Ei(c) − γ − log c) and e^{−c} Ei(c) = Σ_k k!/c^{k+1} asymptotically; e^{−c}(γ + log c)
// and the series' truncation error are both below 1e−19 there.
double scaled_ein(double c) {
  if (c <= 50) {
    double term = 1, sum = 0;  // term = c^k / k!
    for (int k = 1; k <= 1000; ++k) {
      term *= c / k;
      sum += term / k;
      if (term / k < 1e-17 * sum) break;
    }
    return std::exp(-c) * sum;
  }
  double term = 1 / c, sum = 0;  // k!/c^{k+1}
  for (int k = 0; k < 200; ++k) {
    sum += term;
    const double next = term * (k + 1) / c;
    if (next > term || next < 1e-17 * sum) break;
    term = next;
  }
  return sum - std::exp(-c) * (0.57721566490153286 + std::log(c));
}

}  // namespace

namespace timing {
torch::Tensor expm1_ratio(const torch::Tensor& x) {
  auto small = x.abs() < 1e-3;
  auto safe = torch::where(small, torch::ones_like(x), x);
  auto series = 1 + x * (0.5 + x * (1.0 / 6 + x / 24));
  return torch::where(small, series, torch::expm1(safe) / safe);
}
}  // namespace timing

double gompertz_mean(double log_rate, double slope) {
  const double rate = std::exp(log_rate);
  if (slope == 0) return 1 / rate;
  if (slope > 0) return scaled_e1(rate / slope) / slope;
  const double c = rate / -slope;
  // 1 − e^{−c} by expm1: a nearly certain "never" (small c) keeps its precision.
  return scaled_ein(c) / (-slope * -std::expm1(-c));
}

GompertzLaw::GompertzLaw(torch::Tensor log_rate, torch::Tensor slope)
    : log_rate_(std::move(log_rate)), slope_(slope.expand_as(log_rate_)) {}

torch::Tensor GompertzLaw::log_hazard(const torch::Tensor& tau) const {
  return log_rate_.unsqueeze(-1) + slope_.unsqueeze(-1) * tau;
}

torch::Tensor GompertzLaw::log_survival(const torch::Tensor& tau) const {
  auto w = slope_.unsqueeze(-1);
  return -torch::exp(log_rate_.unsqueeze(-1)) * tau * timing::expm1_ratio(w * tau);
}

torch::Tensor GompertzLaw::log_density(const torch::Tensor& tau) const { return log_hazard(tau) + log_survival(tau); }

torch::Tensor GompertzLaw::inverse_log_survival(const torch::Tensor& log_s) const {
  // Λ(τ) = L = −log S: e^{wτ} = 1 + x with x = w L e^{−b}, τ = L e^{−b} · log1p(x)/x; x <= −1
  // (w < 0 and L at or beyond the total hazard) has no finite solution.
  auto w = slope_.unsqueeze(-1);
  auto total = -log_s.clamp_max(0);
  auto scaled = total * torch::exp(-log_rate_.unsqueeze(-1));
  auto x = w * scaled;
  auto small = x.abs() < 1e-8;
  auto safe = torch::where(small | (x <= -1), torch::ones_like(x), x);
  auto ratio = torch::where(small, 1 - x / 2, torch::log1p(safe) / safe);
  auto tau = scaled * ratio;
  return torch::where(x <= -1, torch::full_like(tau, kInf), tau);
}

torch::Tensor GompertzLaw::never_probability() const {
  // w < 0: S(∞) = exp(e^b / w).
  auto decaying = slope_ < 0;
  auto safe = torch::where(decaying, slope_, -torch::ones_like(slope_));
  return torch::where(decaying, torch::exp(torch::exp(log_rate_) / safe), torch::zeros_like(log_rate_));
}

torch::Tensor GompertzLaw::mean() const { return conditional_mean(torch::zeros_like(log_rate_)); }

torch::Tensor GompertzLaw::conditional_mean(const torch::Tensor& q) const {
  auto flat = [](const torch::Tensor& t) { return t.detach().to(torch::kCPU, torch::kFloat64).contiguous().reshape({-1}); };
  auto b = flat(log_rate_), w = flat(slope_), qq = flat(q.expand_as(log_rate_));
  auto out = torch::empty_like(b);
  const double *pb = b.data_ptr<double>(), *pw = w.data_ptr<double>(), *pq = qq.data_ptr<double>();
  double* po = out.data_ptr<double>();
  for (int64_t i = 0; i < b.numel(); ++i) {
    const double q_i = std::max(pq[i], 0.0);
    // Past q the residual gap is Gompertz with log rate b + w q.
    po[i] = q_i + gompertz_mean(pb[i] + pw[i] * q_i, pw[i]);
  }
  return out.reshape(log_rate_.sizes()).to(log_rate_.options());
}

torch::Tensor GompertzLaw::hazard_upper_bound(const torch::Tensor& window) const {
  // exp(b + wτ) is monotone in τ: its maximum over [0, window] is at an end.
  return torch::exp(log_rate_ + torch::clamp_min(slope_ * window.to(log_rate_.options()), 0));
}

}  // namespace tpp
