#include "tpp/models/burr_law.h"

#include <cmath>
#include <limits>
#include <vector>

#include "tpp/core/error.h"
#include "tpp/core/numerics.h"

namespace tpp {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double log_beta(double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); }

// The continued fraction of I_x(a, b) · a B(a, b) / (x^a (1 − x)^b), modified Lentz; converges
// fast for x < (a + 1)/(a + b + 2).
double beta_fraction(double x, double a, double b) {
  constexpr double tiny = 1e-300, eps = 1e-15;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double result = d;
  for (int m = 1; m <= 10000; ++m) {
    // Even step: d_{2m} = m (b − m) x / ((a + 2m − 1)(a + 2m)).
    double term = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 + term * d;
    c = 1 + term / c;
    if (std::fabs(d) < tiny) d = tiny;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    result *= d * c;
    // Odd step: d_{2m+1} = −(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)).
    term = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + term * d;
    c = 1 + term / c;
    if (std::fabs(d) < tiny) d = tiny;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double delta = d * c;
    result *= delta;
    if (std::fabs(delta - 1) < eps) return result;
  }
  throw Error("incomplete beta: the continued fraction did not converge");
}

// log I_x(a, b) through the fraction on its fast side: log(x^a (1−x)^b CF / (a B(a, b))).
double log_fraction_side(double x, double a, double b) {
  return a * std::log(x) + b * std::log1p(-x) - std::log(a) - log_beta(a, b) + std::log(beta_fraction(x, a, b));
}

}  // namespace

double log_incomplete_beta(double x, double a, double b) {
  if (!(a > 0 && b > 0)) throw Error("incomplete beta: a and b must be positive");
  if (!(x >= 0 && x <= 1)) throw Error("incomplete beta: x must lie in [0, 1]");
  if (x == 0) return -kInf;
  if (x == 1) return 0.0;
  if (x < (a + 1) / (a + b + 2)) return log_fraction_side(x, a, b);
  // 1 − I_{1−x}(b, a), by log1p so a complement near 1 keeps its precision.
  return std::log1p(-std::exp(log_fraction_side(1 - x, b, a)));
}

BurrLaw::BurrLaw(torch::Tensor scale, torch::Tensor c, torch::Tensor k, torch::Tensor logit_never)
    : scale_(std::move(scale)), c_(std::move(c)), k_(std::move(k)), logit_never_(std::move(logit_never)) {
  log_scale_ = torch::log(scale_);
  log_c_ = torch::log(c_);
  log_k_ = torch::log(k_);
}

torch::Tensor BurrLaw::log_ratio(const torch::Tensor& tau) const {
  return torch::log(timing::floor_time(tau)) - log_scale_.unsqueeze(-1);
}

torch::Tensor BurrLaw::log_survival(const torch::Tensor& tau) const {
  auto z = c_.unsqueeze(-1) * log_ratio(tau);
  auto proper = -k_.unsqueeze(-1) * scaled_softplus(z);  // log S_B
  if (!defective()) return proper;
  auto a = logit_never_.unsqueeze(-1);
  // log(p + (1 − p) S_B) with log p = log σ(a), log(1 − p) = log σ(−a).
  return torch::logaddexp(torch::log_sigmoid(a), torch::log_sigmoid(-a) + proper);
}

torch::Tensor BurrLaw::log_hazard(const torch::Tensor& tau) const {
  auto lr = log_ratio(tau);
  auto c = c_.unsqueeze(-1);
  auto z = c * lr;
  // log h_B = log c + log k − log λ + (c − 1) log(τ/λ) − log(1 + (τ/λ)^c).
  auto proper = log_c_.unsqueeze(-1) + log_k_.unsqueeze(-1) - log_scale_.unsqueeze(-1) + (c - 1) * lr -
                scaled_softplus(z);
  // c > 1: h(0) = 0 exactly, not the floor's tiny power: a quadrature that starts from the rate at
  // τ = 0 (infer/predict.h) would otherwise size its horizon from ~1e−154. c <= 1 keeps the
  // floored value (finite; the true limit is k/λ for c = 1 and +∞ for c < 1).
  proper = torch::where((tau.expand_as(proper) <= 0) & (c > 1), torch::full_like(proper, -kInf), proper);
  if (!defective()) return proper;
  // h = (1 − p) f_B / (p + (1 − p) S_B) = h_B · (1 − p) S_B / S.
  auto a = logit_never_.unsqueeze(-1);
  auto log_sb = -k_.unsqueeze(-1) * scaled_softplus(z);
  return proper + torch::log_sigmoid(-a) + log_sb - log_survival(tau);
}

torch::Tensor BurrLaw::log_density(const torch::Tensor& tau) const {
  auto lr = log_ratio(tau);
  auto c = c_.unsqueeze(-1), k = k_.unsqueeze(-1);
  auto out = log_c_.unsqueeze(-1) + log_k_.unsqueeze(-1) - log_scale_.unsqueeze(-1) + (c - 1) * lr -
             (k + 1) * scaled_softplus(c * lr);
  if (defective()) out = out + torch::log_sigmoid(-logit_never_.unsqueeze(-1));
  return out;
}

torch::Tensor BurrLaw::inverse_log_survival(const torch::Tensor& log_s) const {
  torch::Tensor log_sb = log_s;
  if (defective()) {
    auto a = logit_never_.unsqueeze(-1);
    // s_B = (s − p)/(1 − p); s <= p has no finite solution.
    log_sb = timing::log_sub_exp(log_s, torch::log_sigmoid(a).expand_as(log_s)) - torch::log_sigmoid(-a);
  }
  // τ = λ (s_B^(−1/k) − 1)^(1/c): log τ = log λ + log(expm1(−log s_B / k)) / c.
  auto inner = torch::expm1(-log_sb.clamp_max(0) / k_.unsqueeze(-1));
  auto tau = torch::exp(log_scale_.unsqueeze(-1) + torch::log(inner) / c_.unsqueeze(-1));
  return torch::where(torch::isnan(log_sb), torch::full_like(tau, kInf), tau);
}

torch::Tensor BurrLaw::never_probability() const {
  return defective() ? torch::sigmoid(logit_never_) : torch::zeros_like(scale_);
}

torch::Tensor BurrLaw::mean() const {
  // λ k B(k − 1/c, 1 + 1/c) = λ Γ(k − 1/c) Γ(1 + 1/c) / Γ(k), finite iff c k > 1.
  auto a = k_ - 1 / c_;
  auto finite = a > 0;
  auto safe_a = torch::where(finite, a, torch::ones_like(a));
  auto value = torch::exp(log_scale_ + torch::lgamma(safe_a) + torch::lgamma(1 + 1 / c_) - torch::lgamma(k_));
  return torch::where(finite, value, torch::full_like(value, kInf));
}

torch::Tensor BurrLaw::conditional_mean(const torch::Tensor& q) const {
  // The event part of the defective law is the Burr law itself, so E[τ | q < τ < ∞] = E_B[τ | τ > q].
  auto opts = scale_.options();
  auto flat = [](const torch::Tensor& t) { return t.detach().to(torch::kCPU, torch::kFloat64).contiguous().reshape({-1}); };
  auto lam = flat(scale_), c = flat(c_), k = flat(k_);
  auto qq = flat(q.expand_as(scale_));
  auto out = torch::empty_like(lam);
  const int64_t n = lam.numel();
  const double *pl = lam.data_ptr<double>(), *pc = c.data_ptr<double>(), *pk = k.data_ptr<double>(),
               *pq = qq.data_ptr<double>();
  double* po = out.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) {
    const double a = pk[i] - 1 / pc[i], b = 1 + 1 / pc[i];
    if (!(a > 0)) {
      po[i] = kInf;
      continue;
    }
    if (!(pq[i] > 0)) {
      po[i] = std::exp(std::log(pl[i]) + std::lgamma(a) + std::lgamma(b) - std::lgamma(pk[i]));
      continue;
    }
    // log u_q = −log(1 + (q/λ)^c); S_B(q) = u_q^k.
    const double z = pc[i] * (std::log(pq[i]) - std::log(pl[i]));
    const double log_u = -softplus(z);
    const double u = std::exp(log_u);
    double log_numerator;
    if (u < (a + 1) / (a + b + 2)) {
      // Fraction side directly, with B(a, b) cancelled: λ k u^a (1 − u)^b CF / a.
      log_numerator = std::log(pl[i]) + std::log(pk[i]) + a * log_u + b * std::log1p(-u) - std::log(a) +
                      std::log(beta_fraction(u, a, b));
    } else {
      log_numerator = std::log(pl[i]) + std::log(pk[i]) + log_beta(a, b) + log_incomplete_beta(u, a, b);
    }
    po[i] = std::exp(log_numerator - pk[i] * log_u);
  }
  return out.reshape(scale_.sizes()).to(opts);
}

torch::Tensor BurrLaw::hazard_upper_bound(const torch::Tensor& window) const {
  // h <= h_B (defective or not). c < 1: h_B is unbounded at 0; c = 1: decreasing, h_B(0) = k/λ;
  // c > 1: increasing up to τ* = λ (c − 1)^(1/c), then decreasing.
  auto c = c_;
  auto peak = scale_ * torch::pow(torch::clamp_min(c - 1, 0), 1 / c);
  auto at = torch::minimum(window.to(scale_.options()), peak);
  auto proper_law = BurrLaw(scale_, c_, k_);
  auto rising = torch::exp(proper_law.log_hazard(at.unsqueeze(-1)).squeeze(-1));
  auto bound = torch::where(c > 1, rising, k_ / scale_);
  return torch::where(c < 1, torch::full_like(bound, kInf), bound);
}

}  // namespace tpp
