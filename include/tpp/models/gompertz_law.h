#pragma once
// Gompertz waiting times: the hazard is exponential in the elapsed time,
//
//   h(τ) = exp(b + w τ),   Λ(τ) = e^b (e^{wτ} − 1)/w,   S(τ) = exp(−Λ(τ)),
//
// which is RMTPP's next gap (Du et al. 2016: the ground intensity exp(v·h_j + w (t − t_j) + b)
// with marks drawn independently of the time). w > 0 is a rising hazard, w = 0 the exponential
// law, and w < 0 a decaying one whose total hazard e^b/|w| is finite: the law is then defective,
// S(∞) = exp(−e^b/|w|), the probability that the intensity fades before any event.
//
// Closed forms: S, f, h; inverse survival τ = log1p(w L e^{−b})/w for L = −log S (+inf beyond
// S(∞)); the residual life after q is Gompertz again with b + w q, so E[τ | q < τ < ∞] =
// q + M(b + w q, w) with, for r = e^b,
//   w > 0:  M = e^A E₁(A)/w,  A = r/w                       (E₁ the exponential integral)
//   w = 0:  M = 1/r
//   w < 0:  M = e^{−c} Ein(c) / (|w| (1 − e^{−c})),  c = r/|w|,  Ein(c) = ∫_0^c (e^v − 1)/v dv
// evaluated in double precision: e^A E₁(A) by std::expint below A = 1 and by its continued
// fraction above; e^{−c} Ein(c) by its positive power series up to c = 50 and by the asymptotic
// series Σ k!/c^{k+1} above (its error there is below e^{−50}).
#include "tpp/models/timing_law.h"

namespace tpp {

class GompertzLaw : public TimingLaw {
 public:
  // log_rate b [P...] (the log hazard at τ = 0) and slope w, a tensor broadcastable to [P...].
  GompertzLaw(torch::Tensor log_rate, torch::Tensor slope);

  torch::Tensor log_density(const torch::Tensor& tau) const override;
  torch::Tensor log_survival(const torch::Tensor& tau) const override;
  torch::Tensor log_hazard(const torch::Tensor& tau) const override;
  torch::Tensor inverse_log_survival(const torch::Tensor& log_s) const override;
  torch::Tensor never_probability() const override;
  torch::Tensor mean() const override;
  torch::Tensor conditional_mean(const torch::Tensor& q) const override;
  torch::Tensor hazard_upper_bound(const torch::Tensor& window) const override;

 private:
  torch::Tensor log_rate_, slope_;  // slope_ expanded to log_rate_'s shape
};

namespace timing {
// (e^x − 1)/x elementwise, with its series near 0 so that neither the value nor the gradient
// divides by ~0: the compensator of an exponential-in-time hazard over a span is e^b·span·this(w·span).
torch::Tensor expm1_ratio(const torch::Tensor& x);
}  // namespace timing

// E[τ | τ < ∞] of the Gompertz law from τ = 0 (the M above), in double precision.
double gompertz_mean(double log_rate, double slope);

}  // namespace tpp
