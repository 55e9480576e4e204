#pragma once
// A small served model and event streams shared by the serve/ tests.
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "../test_support.h"
#include "tpp/serve/served_model.h"

namespace tpp::testing {

// RMTPP with random weights over 3 action types and 1 stimulus type, float64, file times
// twice model times (scale 0.5), so every unit conversion shows.
inline std::unique_ptr<ServedModel> small_served_model() {
  Schema schema;
  schema.num_action_types = 3;
  schema.num_stimulus_types = 1;
  schema.action_names = {"view", "cart", "buy"};
  schema.stimulus_names = {"coupon"};
  torch::manual_seed(5);
  nlohmann::json config = {{"model", "rmtpp"}, {"embed_dim", 4}, {"hidden", 8}};
  SavedModel saved;
  saved.model = ModelRegistry::instance().create(config, schema);
  saved.model->to(torch::kFloat64);
  saved.schema = schema;
  saved.time_scale.scale = 0.5;
  saved.config = config;
  Context ctx;
  PredictOptions options;
  options.relative_tolerance = 1e-8;
  return std::make_unique<ServedModel>(saved, ctx, options);
}

// Event n of user u: times increase by a user-specific irregular step; every 5th is a stimulus.
inline Event stream_event(int u, int n) {
  Event e;
  e.time = 0.37 * n + 0.11 * std::sin(1.7 * n + u) + 0.2 + 0.01 * u;
  e.is_stimulus = n % 5 == 4;
  e.type = e.is_stimulus ? 0 : (n * 7 + u) % 3;
  return e;
}

inline const double kNow = std::numeric_limits<double>::quiet_NaN();

}  // namespace tpp::testing
