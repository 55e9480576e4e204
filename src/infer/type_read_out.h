#pragma once
// What both next-event predictors (predict.cpp from the intensity, head_prediction.cpp from the
// heads) do the same way: which intervals are real, and the type fields of a prediction from
// per-interval type probabilities. Private to src/infer.
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "tpp/infer/predict.h"

namespace tpp::detail {

// [B, L+1] bool: interval i is real (i <= the sequence's length).
inline torch::Tensor valid_intervals(const History& history) {
  const auto& b = history.batch;
  auto index = torch::arange(b.max_length() + 1, b.length.options());
  return index.unsqueeze(0) <= b.length.unsqueeze(1);
}

// type_probability, predicted_type, top_k_probability and top_k_type of `out` from prob
// [B, L+1, K]; NaN and −1 on intervals that are not real.
inline void set_type_predictions(NextEventPrediction& out, const torch::Tensor& prob, const torch::Tensor& valid,
                                 int top_k) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  out.type_probability = torch::where(valid.unsqueeze(-1), prob, torch::full_like(prob, nan));
  auto minus_one = torch::full({}, -1, torch::kLong).to(prob.device());
  out.predicted_type = torch::where(valid, prob.argmax(-1), minus_one);
  const int64_t k = std::min<int64_t>(top_k, prob.size(-1));
  auto [top_p, top_i] = torch::topk(torch::nan_to_num(prob, 0.0), k, -1, true, true);
  out.top_k_probability = torch::where(valid.unsqueeze(-1), top_p, torch::full_like(top_p, nan));
  out.top_k_type = torch::where(valid.unsqueeze(-1), top_i, minus_one);
}

}  // namespace tpp::detail
