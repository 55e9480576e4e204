#pragma once
// Helpers shared by the classical models (hawkes, inhibition, self_correcting, poisson): source
// types (actions, then stimuli), their config fields (vectors and matrices shaped by the schema),
// and the per-source one-hot of a batch.
// Private to src/models.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/core/config_fields.h"
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

// How a classical parameter's values are constrained (all must be finite).
enum class Sign { Any, Positive, NonNegative };

inline std::string sign_text(Sign sign) {
  return sign == Sign::Positive ? ", > 0" : sign == Sign::NonNegative ? ", >= 0" : "";
}

// Throws ConfigFieldError unless every value is finite and obeys `sign`.
inline void check_values(const std::vector<double>& v, Sign sign) {
  for (double x : v) {
    if (!std::isfinite(x)) throw ConfigFieldError("must be finite");
    if (sign == Sign::Positive && !(x > 0)) throw ConfigFieldError("must be positive");
    if (sign == Sign::NonNegative && x < 0) throw ConfigFieldError("must be non-negative");
  }
}

// A length-n vector: a number -> n copies, an array -> exactly n numbers.
inline std::vector<double> parse_vector(const nlohmann::json& v, int n) {
  if (v.is_number()) return std::vector<double>(n, v.get<double>());
  const std::string expected = "must be a number or an array of " + std::to_string(n) + " numbers";
  if (!v.is_array() || static_cast<int>(v.size()) != n) throw ConfigFieldError(expected);
  std::vector<double> out;
  for (const auto& x : v) {
    if (!x.is_number()) throw ConfigFieldError(expected);
    out.push_back(x.get<double>());
  }
  return out;
}

// A rows x cols matrix (row-major): a number -> constant, or a nested array of rows x cols. When
// the schema has stimuli an action-only (action_rows x cols) matrix is accepted too, and the
// stimulus rows take `fill`.
inline std::vector<double> parse_matrix(const nlohmann::json& v, int rows, int cols, int action_rows, double fill) {
  std::vector<double> out(static_cast<std::size_t>(rows) * cols, fill);
  if (v.is_number()) return std::vector<double>(out.size(), v.get<double>());
  const std::string shape = std::to_string(rows) + " x " + std::to_string(cols);
  if (!v.is_array() || (static_cast<int>(v.size()) != rows && static_cast<int>(v.size()) != action_rows))
    throw ConfigFieldError("must be a number or a " + shape + " matrix (rows: source types = actions, then stimuli)");
  for (std::size_t r = 0; r < v.size(); ++r) {
    if (!v[r].is_array() || static_cast<int>(v[r].size()) != cols)
      throw ConfigFieldError("row " + std::to_string(r) + " must have " + std::to_string(cols) + " numbers");
    for (int c = 0; c < cols; ++c) {
      if (!v[r][c].is_number()) throw ConfigFieldError("row " + std::to_string(r) + " must hold numbers");
      out[r * cols + c] = v[r][c].get<double>();
    }
  }
  return out;
}

// Row-major values with `cols` columns as nested JSON rows.
inline nlohmann::json rows_json(const std::vector<double>& v, int cols) {
  nlohmann::json rows = nlohmann::json::array();
  for (std::size_t r = 0; r * cols < v.size(); ++r)
    rows.push_back(std::vector<double>(v.begin() + r * cols, v.begin() + (r + 1) * cols));
  return rows;
}

// A per-action-type field [K] of a config with a num_types member: a number or K numbers.
template <class Config>
ConfigField<Config> vector_field(std::string key, std::vector<double> Config::*member, std::string doc, double fill,
                                 Sign sign) {
  ConfigField<Config> f;
  f.doc = {std::move(key), "number or [K]" + sign_text(sign), nlohmann::json(fill).dump(), std::move(doc)};
  f.read = [member, fill, sign](const nlohmann::json* v, Config& c) {
    c.*member = v ? parse_vector(*v, c.num_types) : std::vector<double>(c.num_types, fill);
    check_values(c.*member, sign);
  };
  f.write = [member](const Config& c) { return nlohmann::json(c.*member); };
  return f;
}

// A per-(source, target action) field [K + K_s, K] of a config with num_types and
// num_stimulus_types members; the default may depend on them (`fill`, shown as `shown_fill`).
template <class Config>
ConfigField<Config> matrix_field(std::string key, std::vector<double> Config::*member, std::string doc,
                                 std::function<double(const Config&)> fill, std::string shown_fill, Sign sign) {
  ConfigField<Config> f;
  f.doc = {std::move(key), "number or (K+K_s) x K matrix (or K x K)" + sign_text(sign), std::move(shown_fill),
           std::move(doc)};
  f.read = [member, fill, sign](const nlohmann::json* v, Config& c) {
    const int K = c.num_types, C = K + c.num_stimulus_types;
    const double x = fill(c);
    c.*member = v ? parse_matrix(*v, C, K, K, x) : std::vector<double>(static_cast<std::size_t>(C) * K, x);
    check_values(c.*member, sign);
  };
  f.write = [member](const Config& c) { return rows_json(c.*member, c.num_types); };
  return f;
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
