#include "tpp/models/timing_law.h"

#include <limits>

namespace tpp {

torch::Tensor TimingLaw::median() const {
  auto p = never_probability();
  return inverse_log_survival(torch::log((1 + p) / 2).unsqueeze(-1)).squeeze(-1);
}

namespace timing {

torch::Tensor floor_time(const torch::Tensor& tau) {
  const double tiny = tau.scalar_type() == torch::kFloat32 ? static_cast<double>(std::numeric_limits<float>::min())
                                                           : std::numeric_limits<double>::min();
  return tau.clamp_min(tiny);
}

torch::Tensor log_sub_exp(const torch::Tensor& a, const torch::Tensor& b) {
  return a + torch::log(-torch::expm1(b - a));
}

}  // namespace timing

}  // namespace tpp
