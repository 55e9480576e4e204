#pragma once
// A mixture of J log-normal laws of the waiting time (Shchur et al. 2020's intensity-free model):
//   log τ ~ Σ_j w_j N(μ_j, σ_j²),
//   S(τ) = Σ_j w_j Φ((μ_j − log τ)/σ_j),   f(τ) = Σ_j w_j φ((log τ − μ_j)/σ_j) / (σ_j τ).
// Closed forms: S, f, h = f/S, the mean Σ_j w_j exp(μ_j + σ_j²/2) and the conditional mean
//   E[τ | τ > q] = Σ_j w_j exp(μ_j + σ_j²/2) Φ((μ_j + σ_j² − log q)/σ_j) / S(q).
// The mixture's inverse survival function has no closed form: it is solved for log τ by Newton's
// method safeguarded by bisection (S is strictly decreasing in log τ), to machine precision.
// Exact sampling needs no inverse (a component, then a normal draw), but conditioning on τ > q
// (a sampler's window, a quiet period) does, so the sampler uses the inverse throughout.
// A proper law: never_probability() is 0.
#include "tpp/models/timing_law.h"

namespace tpp {

class LogNormalMixtureLaw : public TimingLaw {
 public:
  // log_weight, mu, sigma [P..., J]: log w_j (normalised over j), μ_j and σ_j > 0.
  LogNormalMixtureLaw(torch::Tensor log_weight, torch::Tensor mu, torch::Tensor sigma);

  torch::Tensor log_density(const torch::Tensor& tau) const override;
  torch::Tensor log_survival(const torch::Tensor& tau) const override;
  torch::Tensor inverse_log_survival(const torch::Tensor& log_s) const override;
  torch::Tensor never_probability() const override;
  torch::Tensor mean() const override;
  torch::Tensor conditional_mean(const torch::Tensor& q) const override;
  // h <= max_j h_j (a ratio of sums is at most the largest ratio) and each component's
  // h_j(τ) <= max_{[0, w]} f_j / S_j(w) on [0, w]; f_j peaks at exp(μ_j − σ_j²).
  torch::Tensor hazard_upper_bound(const torch::Tensor& window) const override;

 private:
  // Standardised log times z_j = (log τ − μ_j)/σ_j: [P..., S, J].
  torch::Tensor standardised(const torch::Tensor& tau) const;
  torch::Tensor log_weight_, mu_, sigma_;  // [P..., J]
};

}  // namespace tpp
