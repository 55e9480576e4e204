#pragma once
// The next gap and mark of an intensity that decays exponentially between events,
//   λ_k(τ) = μ_k + A_k e^{−βτ},  total  λ(τ) = M + A e^{−βτ}  (M = Σ μ_k > 0, A = Σ A_k >= 0),
// as a Hawkes process with one decay β has on every interval, in closed form: no quadrature, and
// no tensor that holds every type's intensity at many nodes (the cost that made a 1,754-type
// Hawkes evaluation take minutes).
//
//   Λ(τ) = Mτ + (A/β)(1 − e^{−βτ}),  S(τ) = e^{−Λ(τ)}.
// With u = e^{−βτ}, ∫_0^∞ e^{−jβτ} S(τ) dτ = (1/β) ∫_0^1 u^{M/β + j − 1} e^{−a(1−u)} du, a = A/β; expanding
// e^{au} gives a series whose terms are Poisson(a) probabilities:
//   E[τ]                 = E[1 / (M + βN)],         N ~ Poisson(a),
//   ∫ e^{−βτ} S(τ) dτ    = E[1 / (M + β + βN)],
//   P(mark k)            = μ_k E[1/(M + βN)] + A_k E[1/(M + β + βN)]
// (the masses sum to 1 by the Poisson identity a E[g(N+1)] = E[N g(N)]). Given τ > q the process
// restarts with A e^{−βq}: every conditional quantity is the same formula with the smaller A.
// The Poisson expectations sum the terms within 12 standard deviations of a (plus 40 above and
// 10 below): what is left out is below 1e−30 of the sum.
#include "tpp/models/next_event_law.h"
#include "tpp/models/timing_law.h"

namespace tpp {

class DecayingRateLaw : public TimingLaw {
 public:
  // base M [P...] > 0, excitation A [P...] >= 0, decay β > 0 (a scalar tensor or [P...]).
  DecayingRateLaw(torch::Tensor base, torch::Tensor excitation, torch::Tensor decay);

  torch::Tensor log_density(const torch::Tensor& tau) const override;
  torch::Tensor log_survival(const torch::Tensor& tau) const override;
  torch::Tensor log_hazard(const torch::Tensor& tau) const override;
  // Newton's method on the concave Λ from a lower bound of the root: every step stays below it.
  torch::Tensor inverse_log_survival(const torch::Tensor& log_s) const override;
  torch::Tensor never_probability() const override;
  torch::Tensor mean() const override;
  torch::Tensor conditional_mean(const torch::Tensor& q) const override;
  // The hazard only decays: M + A.
  torch::Tensor hazard_upper_bound(const torch::Tensor& window) const override;

  // E[1 / (M + shift + βN)], N ~ Poisson(a e^{−βq}), for q [P...] >= 0.
  torch::Tensor reciprocal_mean(const torch::Tensor& q, double shift_in_decays) const;

  const torch::Tensor& base() const { return base_; }
  const torch::Tensor& excitation() const { return excitation_; }
  const torch::Tensor& decay() const { return decay_; }

 private:
  torch::Tensor base_, excitation_, decay_;
};

// The marks of the same intensity: P(k | τ) = λ_k(τ)/λ(τ) and the type masses after a quiet time.
class DecayingRateMarks : public MarkLaw {
 public:
  // rates μ [K] (or [P..., K]), excitation A_k [P..., K]; the gap law of their sums.
  DecayingRateMarks(torch::Tensor rates, torch::Tensor excitation, std::shared_ptr<const DecayingRateLaw> gap);
  torch::Tensor at(const torch::Tensor& tau) const override;
  torch::Tensor after(const torch::Tensor& q) const override;

 private:
  torch::Tensor rates_, excitation_;
  std::shared_ptr<const DecayingRateLaw> gap_;
};

// The NextEventLaw of λ_k(τ) = μ_k + A_k e^{−βτ} on every interval: rates μ [K], excitation
// A_k [B, L+1, K], decay β a scalar tensor.
NextEventLaw decaying_rate_next_event_law(const torch::Tensor& rates, const torch::Tensor& excitation,
                                          const torch::Tensor& decay);

}  // namespace tpp
