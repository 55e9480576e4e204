#include "tpp/models/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

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

torch::Tensor causal_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int64_t diagonal,
                               bool null_slot, int64_t max_scores) {
  const int64_t Lq = q.size(-2), Lk = k.size(-2);
  const int64_t rows = std::max<int64_t>(1, q.numel() / std::max<int64_t>(1, q.size(-1)) / std::max<int64_t>(1, Lq));
  const int64_t block = std::clamp<int64_t>(max_scores / std::max<int64_t>(1, rows * Lk), 1, std::max<int64_t>(1, Lq));
  auto options = torch::TensorOptions().dtype(torch::kBool).device(q.device());
  std::vector<torch::Tensor> blocks;
  for (int64_t r0 = 0; r0 < Lq; r0 += block) {
    const int64_t r1 = std::min(Lq, r0 + block);
    // Query r sees keys p <= r + diagonal, so the block needs keys [0, r1 + diagonal] only.
    const int64_t keys = std::clamp<int64_t>(r1 + diagonal, 1, Lk);
    auto allowed = torch::ones({r1 - r0, keys}, options).tril(r0 + diagonal);
    blocks.push_back(masked_attention(q.slice(-2, r0, r1), k.slice(-2, 0, keys), v.slice(-2, 0, keys), allowed,
                                      null_slot));
  }
  return blocks.size() == 1 ? blocks.front() : torch::cat(blocks, -2);
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
