#pragma once
// Helpers shared by the classical models (hawkes, inhibition, self_correcting): source types
// (actions, then stimuli), JSON <-> parameter matrices, and the per-source one-hot of a batch.
// Private to src/models.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/core/error.h"
#include "tpp/core/numerics.h"
#include "tpp/data/batch.h"
#include "tpp/data/dataset.h"

namespace tpp::classical {

// Source types that excite an action type: the K actions, then the K_s stimuli (rows K + s).
inline int num_sources(const Schema& schema) { return schema.num_action_types + schema.num_stimulus_types; }

// [C, K] of 1/0: a stimulus row is zero for the action types the schema says it cannot affect.
inline torch::Tensor source_mask(const Schema& schema) {
  const int K = schema.num_action_types, C = num_sources(schema);
  auto mask = torch::ones({C, K}, torch::kFloat64);
  for (int s = 0; s < schema.num_stimulus_types; ++s)
    for (int k = 0; k < K; ++k)
      if (!schema.stimulus_affects(s, k)) mask[K + s][k] = 0.0;
  return mask;
}

inline std::vector<double> to_vector(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

inline nlohmann::json to_json_matrix(const torch::Tensor& m) {
  auto v = to_vector(m);
  nlohmann::json rows = nlohmann::json::array();
  for (int64_t r = 0; r < m.size(0); ++r)
    rows.push_back(std::vector<double>(v.begin() + r * m.size(1), v.begin() + (r + 1) * m.size(1)));
  return rows;
}

// A length-n vector from key: absent -> fill, a number -> n copies, an array -> exactly n entries.
inline std::vector<double> read_vector(const nlohmann::json& j, const std::string& model, const std::string& key,
                                       int n, double fill) {
  if (!j.contains(key)) return std::vector<double>(n, fill);
  const auto& v = j[key];
  if (v.is_number()) return std::vector<double>(n, v.get<double>());
  if (!v.is_array() || static_cast<int>(v.size()) != n)
    throw Error(model + ": \"" + key + "\" must be a number or an array of " + std::to_string(n) + " numbers");
  return v.get<std::vector<double>>();
}

// A rows x cols matrix (row-major) from key: absent -> fill, a number -> constant, a nested array
// of exactly rows x cols. When the schema has stimuli, an action-only (K x K) matrix is accepted
// and the stimulus rows are filled with `fill`.
inline std::vector<double> read_matrix(const nlohmann::json& j, const std::string& model, const std::string& key,
                                       int rows, int cols, int action_rows, double fill) {
  std::vector<double> out(static_cast<std::size_t>(rows) * cols, fill);
  if (!j.contains(key)) return out;
  const auto& v = j[key];
  if (v.is_number()) return std::vector<double>(out.size(), v.get<double>());
  const std::string shape = std::to_string(rows) + " x " + std::to_string(cols);
  if (!v.is_array() || (static_cast<int>(v.size()) != rows && static_cast<int>(v.size()) != action_rows))
    throw Error(model + ": \"" + key + "\" must be a number or a " + shape + " matrix (rows: source types = actions, then stimuli)");
  for (std::size_t r = 0; r < v.size(); ++r) {
    if (!v[r].is_array() || static_cast<int>(v[r].size()) != cols)
      throw Error(model + ": \"" + key + "\" row " + std::to_string(r) + " must have " + std::to_string(cols) + " numbers");
    for (int c = 0; c < cols; ++c) out[r * cols + c] = v[r][c].get<double>();
  }
  return out;
}

inline void require_finite(const std::vector<double>& v, const std::string& model, const std::string& key, bool positive,
                           bool non_negative = false) {
  for (double x : v) {
    if (!std::isfinite(x)) throw Error(model + ": \"" + key + "\" must be finite");
    if (positive && !(x > 0)) throw Error(model + ": \"" + key + "\" must be positive");
    if (non_negative && x < 0) throw Error(model + ": \"" + key + "\" must be non-negative");
  }
}

// Softplus reparametrisation of a non-negative value: an exact zero is stored as 1e-10, which
// keeps the raw parameter finite.
inline double raw_positive(double y) { return inverse_softplus(std::max(y, 1e-10)); }
inline torch::Tensor raw_positive_tensor(const std::vector<double>& values) {
  std::vector<double> raw;
  for (double y : values) raw.push_back(raw_positive(y));
  return torch::tensor(raw, torch::kFloat64);
}

// Checks that the batch was made with the schema the model was built for.
inline void check_batch(const Batch& batch, int K, int K_s, const std::string& model) {
  if (batch.num_action_types != K || batch.num_stimulus_types != K_s)
    throw Error(model + ": batch has " + std::to_string(batch.num_action_types) + " action and " +
                std::to_string(batch.num_stimulus_types) + " stimulus types, model was built for " + std::to_string(K) +
                " and " + std::to_string(K_s));
}

// [B, L, C] one-hot of each real event's source type (zeros on padding).
inline torch::Tensor source_one_hot(const Batch& batch, int C) {
  auto types = torch::where(batch.mask, batch.type, torch::zeros_like(batch.type)).clamp(0, C - 1);
  auto oh = torch::one_hot(types, C).to(batch.time.scalar_type());
  return oh * batch.mask.unsqueeze(-1).to(oh.scalar_type());
}

// Interval starts [B, L+1]: 0, then each event time.
inline torch::Tensor interval_starts(const Batch& batch) {
  return torch::cat({torch::zeros({batch.batch_size(), 1}, batch.time.options()), batch.time}, 1);
}

// Pads [B, L, ...] to [B, L+1, ...] with zeros at the end (the last interval has no closing event).
inline torch::Tensor pad_last_interval(const torch::Tensor& t) {
  auto shape = t.sizes().vec();
  shape[1] = 1;
  return torch::cat({t, torch::zeros(shape, t.options())}, 1);
}

}  // namespace tpp::classical
