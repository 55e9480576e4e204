#pragma once
// A law of a waiting time τ >= 0 (the gap to the next event, or a time to a competing risk), one
// law per entry of a batch shape P (e.g. [B, L+1]), with every quantity in closed form or by a
// documented numerical route, in tensor form. Independent of any model: the intensity-free models
// (models/intensity_free.h) read their next gap from one, and other code may combine several.
//
// Shapes: a query tau [P..., S] holds S times per law and gives [P..., S]; q [P...] gives [P...].
// Everything is in log space where it matters, differentiable with finite gradients at τ = 0
// (τ is floored at the dtype's smallest normal number inside the logs), and the law may be
// defective: S(∞) = never_probability() > 0 (no event ever, e.g. a user who never returns).
#include <torch/torch.h>

namespace tpp {

class TimingLaw {
 public:
  virtual ~TimingLaw() = default;
  // log f(τ), the density of the event part (it integrates to 1 − S(∞)).
  virtual torch::Tensor log_density(const torch::Tensor& tau) const = 0;
  // log S(τ) = log P(τ' > τ).
  virtual torch::Tensor log_survival(const torch::Tensor& tau) const = 0;
  // log h(τ) = log f(τ) − log S(τ).
  virtual torch::Tensor log_hazard(const torch::Tensor& tau) const { return log_density(tau) - log_survival(tau); }
  // F(τ) = 1 − S(τ), by expm1 so small probabilities keep their precision.
  torch::Tensor cdf(const torch::Tensor& tau) const { return -torch::expm1(log_survival(tau)); }
  // The τ with log S(τ) = log_s, for log_s in (log S(∞), 0]; log_s <= log S(∞) gives +inf.
  virtual torch::Tensor inverse_log_survival(const torch::Tensor& log_s) const = 0;
  // F⁻¹(u) for u in [0, 1 − S(∞)): the inverse CDF, +inf beyond.
  torch::Tensor inverse_cdf(const torch::Tensor& u) const { return inverse_log_survival(torch::log1p(-u)); }
  // S(∞) [P...]: 0 for a proper law.
  virtual torch::Tensor never_probability() const = 0;
  // E[τ | τ < ∞] [P...]; +inf where it diverges (heavy tails).
  virtual torch::Tensor mean() const = 0;
  // E[τ | q < τ < ∞] for q [P...] >= 0; +inf where it diverges.
  virtual torch::Tensor conditional_mean(const torch::Tensor& q) const = 0;
  // The median of τ given τ < ∞: S(m) = (1 + S(∞))/2 [P...].
  torch::Tensor median() const;
  // M >= h(τ) for all τ in [0, window] ([P...] -> [P...]); may be +inf (a hazard unbounded at 0).
  virtual torch::Tensor hazard_upper_bound(const torch::Tensor& window) const = 0;
};

namespace timing {
// τ floored at the smallest normal number of its dtype, so log τ is finite at τ = 0 and so are
// the gradients of everything computed from it (the floor's own gradient is 0 below it).
torch::Tensor floor_time(const torch::Tensor& tau);
// log(e^a − e^b) for a > b (elementwise); −inf where a == b.
torch::Tensor log_sub_exp(const torch::Tensor& a, const torch::Tensor& b);
}  // namespace timing

}  // namespace tpp
