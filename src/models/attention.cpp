#include "tpp/models/attention.h"

#include <cmath>
#include <limits>

namespace tpp {

torch::Tensor masked_softmax(const torch::Tensor& scores, const torch::Tensor& allowed, bool null_slot) {
  auto masked = scores.masked_fill(allowed.logical_not(), -std::numeric_limits<double>::infinity());
  // Softmax is shift invariant, so the shift carries no gradient; rows with nothing allowed get a
  // finite shift so exp(-inf - shift) stays 0 instead of NaN.
  auto shift = std::get<0>(masked.detach().max(-1, /*keepdim=*/true));
  if (null_slot) shift = torch::clamp_min(shift, 0.0);
  shift = torch::where(torch::isfinite(shift), shift, torch::zeros_like(shift));
  auto weights = torch::exp(masked - shift);
  auto denominator = weights.sum(-1, /*keepdim=*/true);
  if (null_slot) denominator = denominator + torch::exp(-shift);
  return weights / denominator;
}

torch::Tensor masked_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& allowed, bool null_slot) {
  const double inv_sqrt_d = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  auto scores = torch::matmul(q, k.transpose(-2, -1)) * inv_sqrt_d;
  return torch::matmul(masked_softmax(scores, allowed, null_slot), v);
}

torch::Tensor split_heads(const torch::Tensor& x, int64_t heads) {
  auto sizes = x.sizes().vec();
  const int64_t n = sizes.back();
  sizes.back() = heads;
  sizes.push_back(n / heads);
  return x.reshape(sizes).transpose(-3, -2);
}

torch::Tensor merge_heads(const torch::Tensor& x) {
  auto t = x.transpose(-3, -2);
  auto sizes = t.sizes().vec();
  const int64_t d = sizes.back();
  sizes.pop_back();
  sizes.back() *= d;
  return t.reshape(sizes);
}

torch::Tensor sinusoid_frequencies(int64_t dim, double base) {
  auto i = torch::arange(dim / 2, torch::kFloat64);
  return torch::exp(i * (-2.0 * std::log(base) / static_cast<double>(dim)));
}

torch::Tensor sinusoid_embedding(const torch::Tensor& x, const torch::Tensor& frequencies) {
  auto phase = x.unsqueeze(-1) * frequencies;
  return torch::cat({torch::sin(phase), torch::cos(phase)}, -1);
}

}  // namespace tpp
