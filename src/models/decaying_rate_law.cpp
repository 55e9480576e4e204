#include "tpp/models/decaying_rate_law.h"

#include <cmath>
#include <limits>

#include "tpp/core/error.h"

namespace tpp {

namespace {

double epsilon(const torch::Tensor& x) {
  return x.scalar_type() == torch::kFloat32 ? static_cast<double>(std::numeric_limits<float>::epsilon())
                                            : std::numeric_limits<double>::epsilon();
}

// E[1 / (c + βN)] for N ~ Poisson(a), elementwise over flat [P] tensors. The terms outside
// [a − 12√a − 10, a + 12√a + 40] are left out (below 1e−30 of the sum); rows are taken in chunks so
// that no more than 4M terms are held at once.
torch::Tensor poisson_reciprocal_mean(const torch::Tensor& a, const torch::Tensor& c, const torch::Tensor& beta) {
  const int64_t P = a.size(0);
  if (P == 0) return torch::zeros_like(a);
  torch::Tensor first, width_t;
  {
    torch::NoGradGuard no_grad;
    auto spread = 12 * torch::sqrt(a);
    first = torch::floor(a - spread - 10).clamp_min(0);
    width_t = (a - first + spread + 41).max();
  }
  const double width_d = width_t.item<double>();
  if (!std::isfinite(width_d)) throw Error("decaying-rate law: excitation is not finite");
  const int64_t W = static_cast<int64_t>(std::ceil(width_d));
  const int64_t chunk = std::max<int64_t>(1, (int64_t{1} << 22) / W);
  const auto steps = torch::arange(W, a.options());
  std::vector<torch::Tensor> parts;
  for (int64_t s = 0; s < P; s += chunk) {
    const int64_t n_rows = std::min(chunk, P - s);
    auto a_s = a.narrow(0, s, n_rows).unsqueeze(1);
    auto n = first.narrow(0, s, n_rows).unsqueeze(1) + steps;  // [rows, W]
    // log P(N = n), with 0·log 0 = 0 (a = 0: all mass at n = 0) and finite gradients.
    auto log_pmf = n * torch::log(timing::floor_time(a_s)) - a_s - torch::lgamma(n + 1);
    auto denominator = c.narrow(0, s, n_rows).unsqueeze(1) + beta.narrow(0, s, n_rows).unsqueeze(1) * n;
    parts.push_back((torch::exp(log_pmf) / denominator).sum(1));
  }
  return parts.size() == 1 ? parts[0] : torch::cat(parts);
}

}  // namespace

DecayingRateLaw::DecayingRateLaw(torch::Tensor base, torch::Tensor excitation, torch::Tensor decay)
    : base_(std::move(base)), excitation_(std::move(excitation)), decay_(std::move(decay)) {
  if (base_.sizes() != excitation_.sizes())
    throw Error("decaying-rate law: base and excitation shapes differ");
  decay_ = decay_.expand(base_.sizes());
}

// Queries carry S times per law in a last dimension the parameters broadcast over.
torch::Tensor DecayingRateLaw::log_survival(const torch::Tensor& tau) const {
  auto m = base_.unsqueeze(-1), a = excitation_.unsqueeze(-1), b = decay_.unsqueeze(-1);
  return -(m * tau - a / b * torch::expm1(-b * tau));
}

torch::Tensor DecayingRateLaw::log_hazard(const torch::Tensor& tau) const {
  auto m = base_.unsqueeze(-1), a = excitation_.unsqueeze(-1), b = decay_.unsqueeze(-1);
  return torch::log(m + a * torch::exp(-b * tau));
}

torch::Tensor DecayingRateLaw::log_density(const torch::Tensor& tau) const {
  return log_hazard(tau) + log_survival(tau);
}

torch::Tensor DecayingRateLaw::inverse_log_survival(const torch::Tensor& log_s) const {
  auto m = base_.unsqueeze(-1), a = excitation_.unsqueeze(-1), b = decay_.unsqueeze(-1);
  auto target = (-log_s).clamp_min(0);  // Λ(τ) = target
  auto infinite = torch::isinf(target);
  auto finite_target = torch::where(infinite, torch::zeros_like(target), target);
  auto minus_compensator = [&](const torch::Tensor& tau) { return -(m * tau - a / b * torch::expm1(-b * tau)); };
  torch::Tensor tau;
  {
    torch::NoGradGuard no_grad;
    // Λ(τ) <= (M + A)τ and Λ(τ) <= Mτ + A/β: both give lower bounds of the root. Λ is concave, so
    // Newton's method from below stays below the root and rises to it monotonically.
    tau = torch::maximum(finite_target / (m + a), (finite_target - a / b) / m).clamp_min(0);
    const double eps = epsilon(tau);
    for (int iter = 0; iter < 200; ++iter) {
      auto next = tau + (finite_target + minus_compensator(tau)) / (m + a * torch::exp(-b * tau));
      next = torch::maximum(next, tau);  // rounding must not undo the monotone approach
      const bool moved = ((next - tau) > 4 * eps * next).any().item<bool>();
      tau = next;
      if (!moved) break;
    }
  }
  // One Newton step with gradients: the root's derivative by the implicit function theorem.
  auto tau_grad = tau + (finite_target + minus_compensator(tau)) / (m + a * torch::exp(-b * tau));
  return torch::where(infinite, torch::full_like(tau_grad, std::numeric_limits<double>::infinity()), tau_grad);
}

torch::Tensor DecayingRateLaw::never_probability() const { return torch::zeros_like(base_); }

torch::Tensor DecayingRateLaw::reciprocal_mean(const torch::Tensor& q, double shift_in_decays) const {
  auto a = (excitation_ / decay_ * torch::exp(-decay_ * q)).reshape({-1});
  auto c = (base_ + shift_in_decays * decay_).reshape({-1});
  return poisson_reciprocal_mean(a.contiguous(), c.contiguous(), decay_.reshape({-1}).contiguous())
      .reshape(base_.sizes());
}

torch::Tensor DecayingRateLaw::mean() const { return reciprocal_mean(torch::zeros_like(base_), 0.0); }

torch::Tensor DecayingRateLaw::conditional_mean(const torch::Tensor& q) const { return q + reciprocal_mean(q, 0.0); }

torch::Tensor DecayingRateLaw::hazard_upper_bound(const torch::Tensor& window) const {
  return (base_ + excitation_).expand_as(window.to(base_.options()));
}

DecayingRateMarks::DecayingRateMarks(torch::Tensor rates, torch::Tensor excitation,
                                     std::shared_ptr<const DecayingRateLaw> gap)
    : rates_(std::move(rates)), excitation_(std::move(excitation)), gap_(std::move(gap)) {}

torch::Tensor DecayingRateMarks::at(const torch::Tensor& tau) const {
  auto lambda = rates_ + excitation_ * torch::exp(-gap_->decay() * tau).unsqueeze(-1);
  return lambda / lambda.sum(-1, true);
}

torch::Tensor DecayingRateMarks::after(const torch::Tensor& q) const {
  auto base_share = gap_->reciprocal_mean(q, 0.0).unsqueeze(-1);
  auto excited_share = (torch::exp(-gap_->decay() * q) * gap_->reciprocal_mean(q, 1.0)).unsqueeze(-1);
  auto mass = rates_ * base_share + excitation_ * excited_share;
  // The masses sum to 1 analytically; dividing removes the series' rounding.
  return mass / mass.sum(-1, true);
}

NextEventLaw decaying_rate_next_event_law(const torch::Tensor& rates, const torch::Tensor& excitation,
                                          const torch::Tensor& decay) {
  auto base = rates.sum(-1).expand(excitation.sizes().slice(0, excitation.dim() - 1)).contiguous();
  auto total = excitation.sum(-1);
  auto shared = std::make_shared<const DecayingRateLaw>(base, total, decay);
  NextEventLaw law;
  law.gap = std::make_unique<DecayingRateLaw>(base, total, decay);
  law.marks = std::make_shared<DecayingRateMarks>(rates, excitation, shared);
  law.mark_probability = law.marks->after(torch::zeros_like(base));
  return law;
}

}  // namespace tpp
