#pragma once
// The exponential waiting time of a constant total rate r: S(τ) = exp(−rτ), memoryless, so every
// quantity has a closed form (mean 1/r, median log 2 / r, E[τ | τ > q] = q + 1/r). The next gap of
// a homogeneous Poisson process, whose prediction then needs no quadrature over its types.
#include "tpp/models/timing_law.h"

namespace tpp {

class ExponentialLaw : public TimingLaw {
 public:
  explicit ExponentialLaw(torch::Tensor rate);  // [P...], positive

  torch::Tensor log_density(const torch::Tensor& tau) const override;
  torch::Tensor log_survival(const torch::Tensor& tau) const override;
  torch::Tensor log_hazard(const torch::Tensor& tau) const override;
  torch::Tensor inverse_log_survival(const torch::Tensor& log_s) const override;
  torch::Tensor never_probability() const override;
  torch::Tensor mean() const override;
  torch::Tensor conditional_mean(const torch::Tensor& q) const override;
  torch::Tensor hazard_upper_bound(const torch::Tensor& window) const override;

 private:
  torch::Tensor rate_;
};

}  // namespace tpp
