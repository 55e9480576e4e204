#pragma once
// Burr type XII waiting times, optionally defective.
//
//   S_B(τ) = (1 + (τ/λ)^c)^(−k)          scale λ > 0, shapes c > 0, k > 0
//   f_B(τ) = (c k/λ) (τ/λ)^(c−1) (1 + (τ/λ)^c)^(−k−1)
//   h_B(τ) = (c k/λ) (τ/λ)^(c−1) / (1 + (τ/λ)^c)
// Its tail is a power law of index c·k (S_B ~ (τ/λ)^(−ck)); k = 1 is the log-logistic law and
// c = 1 the Lomax (Pareto II) law. The hazard is decreasing for c <= 1 (infinite at 0 for c < 1)
// and rises then falls for c > 1, with its maximum k (c − 1)^(1 − 1/c)/λ at τ* = λ (c − 1)^(1/c):
// one family covers "returns soon or never" and "returns after a typical delay".
//
// Defective variant, a probability p of never returning:
//   S(τ) = p + (1 − p) S_B(τ),  f = (1 − p) f_B,  h = f/S <= h_B.
// Closed forms: S, f, h, inverse survival τ = λ ((s_B)^(−1/k) − 1)^(1/c) with s_B = (s − p)/(1 − p),
// mean E[τ | τ < ∞] = λ k B(k − 1/c, 1 + 1/c) (finite iff c k > 1, +inf otherwise), median
// λ (2^(1/k) − 1)^(1/c) of the returning part. E[τ | q < τ < ∞] needs the incomplete beta
// function: with u = 1/(1 + (τ/λ)^c) ~ Beta(k, 1),
//   E[τ 1{τ > q}] = λ k B(a, b) I(u_q; a, b),  a = k − 1/c, b = 1 + 1/c, u_q = 1/(1 + (q/λ)^c),
// and I is evaluated by its continued fraction (log_incomplete_beta), in double precision.
#include "tpp/models/timing_law.h"

namespace tpp {

class BurrLaw : public TimingLaw {
 public:
  // scale, c, k [P...] positive; logit_never [P...] = logit p, or undefined for the proper law.
  BurrLaw(torch::Tensor scale, torch::Tensor c, torch::Tensor k, torch::Tensor logit_never = {});

  torch::Tensor log_density(const torch::Tensor& tau) const override;
  torch::Tensor log_survival(const torch::Tensor& tau) const override;
  torch::Tensor log_hazard(const torch::Tensor& tau) const override;
  torch::Tensor inverse_log_survival(const torch::Tensor& log_s) const override;
  torch::Tensor never_probability() const override;
  torch::Tensor mean() const override;
  torch::Tensor conditional_mean(const torch::Tensor& q) const override;
  torch::Tensor hazard_upper_bound(const torch::Tensor& window) const override;

  bool defective() const { return logit_never_.defined(); }

 private:
  // Shared pieces at τ [P..., S]: log(τ/λ) and softplus(c log(τ/λ)) = log(1 + (τ/λ)^c).
  torch::Tensor log_ratio(const torch::Tensor& tau) const;
  torch::Tensor scale_, c_, k_, logit_never_;
  torch::Tensor log_scale_, log_c_, log_k_;
};

// log I_x(a, b), the regularised incomplete beta function, for x in [0, 1] and a, b > 0: its
// continued fraction by the modified Lentz method, on whichever side of the mean converges fast
// (I_x(a, b) = 1 − I_{1−x}(b, a)). Relative accuracy ~1e-14.
double log_incomplete_beta(double x, double a, double b);

}  // namespace tpp
