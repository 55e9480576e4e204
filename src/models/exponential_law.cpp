#include "tpp/models/exponential_law.h"

namespace tpp {

ExponentialLaw::ExponentialLaw(torch::Tensor rate) : rate_(std::move(rate)) {}

// Queries carry S times per law in a last dimension the rate broadcasts over.
torch::Tensor ExponentialLaw::log_density(const torch::Tensor& tau) const {
  auto r = rate_.unsqueeze(-1);
  return torch::log(r) - r * tau;
}

torch::Tensor ExponentialLaw::log_survival(const torch::Tensor& tau) const { return -rate_.unsqueeze(-1) * tau; }

torch::Tensor ExponentialLaw::log_hazard(const torch::Tensor& tau) const {
  return torch::log(rate_).unsqueeze(-1).expand_as(tau);
}

torch::Tensor ExponentialLaw::inverse_log_survival(const torch::Tensor& log_s) const {
  return -log_s / rate_.unsqueeze(-1);
}

torch::Tensor ExponentialLaw::never_probability() const { return torch::zeros_like(rate_); }

torch::Tensor ExponentialLaw::mean() const { return 1 / rate_; }

torch::Tensor ExponentialLaw::conditional_mean(const torch::Tensor& q) const { return q + 1 / rate_; }

torch::Tensor ExponentialLaw::hazard_upper_bound(const torch::Tensor& window) const {
  return rate_.expand_as(window.to(rate_.options()));
}

}  // namespace tpp
