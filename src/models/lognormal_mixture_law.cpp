#include "tpp/models/lognormal_mixture_law.h"

#include <cmath>
#include <limits>

namespace tpp {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
const double kLogSqrt2Pi = 0.5 * std::log(2 * M_PI);
}  // namespace

LogNormalMixtureLaw::LogNormalMixtureLaw(torch::Tensor log_weight, torch::Tensor mu, torch::Tensor sigma)
    : log_weight_(std::move(log_weight)), mu_(std::move(mu)), sigma_(std::move(sigma)) {}

torch::Tensor LogNormalMixtureLaw::standardised(const torch::Tensor& tau) const {
  auto y = torch::log(timing::floor_time(tau)).unsqueeze(-1);  // [P..., S, 1]
  return (y - mu_.unsqueeze(-2)) / sigma_.unsqueeze(-2);
}

torch::Tensor LogNormalMixtureLaw::log_survival(const torch::Tensor& tau) const {
  // Φ((μ − log τ)/σ) = Φ(−z), by log_ndtr so the far tail keeps its relative precision.
  auto z = standardised(tau);
  return torch::logsumexp(log_weight_.unsqueeze(-2) + torch::special::log_ndtr(-z), -1);
}

torch::Tensor LogNormalMixtureLaw::log_density(const torch::Tensor& tau) const {
  auto z = standardised(tau);
  auto per = log_weight_.unsqueeze(-2) - torch::log(sigma_).unsqueeze(-2) - kLogSqrt2Pi - 0.5 * z * z;
  return torch::logsumexp(per, -1) - torch::log(timing::floor_time(tau));
}

torch::Tensor LogNormalMixtureLaw::inverse_log_survival(const torch::Tensor& log_s) const {
  // Solve g(y) = log S(e^y) − log_s = 0 for y = log τ; g decreases strictly, with
  // g'(y) = −τ h(τ). The bracket [min μ − 40 max σ, max μ + 40 max σ] holds every target a double
  // can express above S's floor there (log Φ(−40) ≈ −804).
  torch::NoGradGuard no_grad;
  auto spread = 40 * sigma_.amax(-1, true);
  auto lo = (mu_.amin(-1, true) - spread).expand_as(log_s).clone();
  auto hi = (mu_.amax(-1, true) + spread).expand_as(log_s).clone();
  auto y = (lo + hi) / 2;
  // Converged when a step is within a few rounding units of log τ (1e−13 in double).
  const double step_tolerance = log_s.scalar_type() == torch::kFloat32
                                    ? 8 * static_cast<double>(std::numeric_limits<float>::epsilon())
                                    : 1e-13;
  for (int iter = 0; iter < 200; ++iter) {
    auto tau = torch::exp(y);
    auto g = log_survival(tau) - log_s;
    lo = torch::where(g > 0, y, lo);  // S(e^y) still above the target: the root lies above y
    hi = torch::where(g > 0, hi, y);
    auto slope = -torch::exp(y + log_hazard(tau));
    auto newton = y - g / slope;
    auto next = torch::where((newton > lo) & (newton < hi), newton, (lo + hi) / 2);
    auto moved = (next - y).abs();
    y = next;
    if (!(moved > step_tolerance * (1 + y.abs())).any().item<bool>()) break;
  }
  auto tau = torch::exp(y);
  tau = torch::where(log_s >= 0, torch::zeros_like(tau), tau);
  return torch::where(torch::isneginf(log_s), torch::full_like(tau, kInf), tau);
}

torch::Tensor LogNormalMixtureLaw::never_probability() const { return torch::zeros_like(mu_.select(-1, 0)); }

torch::Tensor LogNormalMixtureLaw::mean() const {
  return torch::exp(torch::logsumexp(log_weight_ + mu_ + 0.5 * sigma_ * sigma_, -1));
}

torch::Tensor LogNormalMixtureLaw::conditional_mean(const torch::Tensor& q) const {
  // E[τ 1{τ > q}] for one log-normal: e^{μ + σ²/2} Φ((μ + σ² − log q)/σ).
  auto log_q = torch::log(timing::floor_time(q)).unsqueeze(-1);  // [P..., 1]
  auto upper = torch::special::log_ndtr((mu_ + sigma_ * sigma_ - log_q) / sigma_);
  auto log_part = torch::logsumexp(log_weight_ + mu_ + 0.5 * sigma_ * sigma_ + upper, -1);
  auto log_s = log_survival(q.unsqueeze(-1)).squeeze(-1);
  return torch::exp(log_part - log_s);
}

torch::Tensor LogNormalMixtureLaw::hazard_upper_bound(const torch::Tensor& window) const {
  auto w = window.to(mu_.options()).unsqueeze(-1);  // [P..., 1]
  auto mode = torch::exp(mu_ - sigma_ * sigma_);
  auto at = torch::minimum(w, mode);  // f_j rises up to its mode, then falls
  auto z_at = (torch::log(timing::floor_time(at)) - mu_) / sigma_;
  auto log_f = -torch::log(sigma_) - kLogSqrt2Pi - 0.5 * z_at * z_at - torch::log(timing::floor_time(at));
  auto z_w = (torch::log(timing::floor_time(w)) - mu_) / sigma_;
  auto log_s_w = torch::special::log_ndtr(-z_w);
  return torch::exp((log_f - log_s_w).amax(-1));
}

}  // namespace tpp
