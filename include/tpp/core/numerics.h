#pragma once
// Stable elementary functions and quadrature rules shared by all models.
#include <torch/torch.h>

#include <utility>
#include <vector>

namespace tpp {

// s·log(1 + exp(x/s)), stable for large |x|. s > 0 (tensor broadcastable to x, or scalar).
torch::Tensor scaled_softplus(const torch::Tensor& x, const torch::Tensor& s);
torch::Tensor scaled_softplus(const torch::Tensor& x, double s = 1.0);
double softplus(double x);
// Inverse of softplus, for initialising reparametrised positive parameters: log(exp(y) - 1).
double inverse_softplus(double y);

// Floor applied to intensities before the log, so a zero intensity gives a large finite penalty.
constexpr double kIntensityFloor = 1e-12;
torch::Tensor safe_log(const torch::Tensor& intensity);

// Gauss–Legendre nodes and weights on [-1, 1] (n >= 1), computed by Newton iteration.
struct Quadrature {
  std::vector<double> nodes;
  std::vector<double> weights;
};
Quadrature gauss_legendre(int n);

}  // namespace tpp
