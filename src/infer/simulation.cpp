#include "tpp/infer/simulation.h"

#include <cmath>
#include <string>

#include "tpp/core/error.h"
#include "tpp/infer/sampling.h"

namespace tpp {

Schema simulation_schema(const nlohmann::json& config, int num_types) {
  Schema schema;
  try {
    if (config.contains("action_names")) {
      schema.action_names = config.at("action_names").get<std::vector<std::string>>();
      schema.num_action_types = static_cast<int>(schema.action_names.size());
    } else if (config.contains("num_types") || num_types > 0) {
      schema.num_action_types = config.value("num_types", num_types);
    } else {
      // The types follow from the first per-type parameter given as an array (Poisson's "rate",
      // Hawkes's and self-correcting's "mu", ...), else one type.
      schema.num_action_types = 1;
      for (const char* key : {"rate", "mu", "alpha"})
        if (config.contains(key) && config.at(key).is_array() && !config.at(key).empty()) {
          schema.num_action_types = static_cast<int>(config.at(key).size());
          break;
        }
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("model config: ") + e.what());
  }
  if (schema.num_action_types <= 0) throw Error("model config: the number of action types must be positive");
  for (int k = static_cast<int>(schema.action_names.size()); k < schema.num_action_types; ++k)
    schema.action_names.push_back(std::to_string(k));
  return schema;
}

SavedModel model_for_simulation(nlohmann::json config, int num_types, const Context& ctx) {
  SavedModel saved;
  saved.schema = simulation_schema(config, num_types);
  config.erase("action_names");  // the schema's, read above; not model keys
  config.erase("num_types");
  saved.model = ModelRegistry::instance().create(config, saved.schema);
  saved.model->to(ctx.device, ctx.dtype);
  saved.config = saved.model->config();
  return saved;
}

Schema simulate_in_file_units(const SavedModel& saved, std::size_t num_sequences, double horizon, std::uint64_t seed,
                              bool prefer_model_target, const Context& ctx, const std::function<void(Sequence&)>& sink) {
  if (!(horizon > 0) || !std::isfinite(horizon)) throw Error("simulate: the horizon must be positive and finite");
  Model& model = *saved.model;
  model.eval();
  torch::NoGradGuard no_grad;
  // Simulated in model units on [0, horizon·scale], returned in file units on [0, horizon].
  const TimeScale& scale = saved.time_scale;
  simulate_sequences(model, saved.schema, num_sequences, scale.scale * horizon, seed, prefer_model_target, ctx,
                     [&](Sequence& seq) {
                       for (auto& e : seq.events) e.time = scale.duration_to_file(e.time);
                       seq.t_end = horizon;
                       sink(seq);
                     });
  return saved.schema;
}

Dataset simulate_in_file_units(const SavedModel& saved, std::size_t num_sequences, double horizon, std::uint64_t seed,
                               bool prefer_model_target, const Context& ctx) {
  Dataset data;
  data.schema = simulate_in_file_units(saved, num_sequences, horizon, seed, prefer_model_target, ctx,
                                       [&](Sequence& seq) { data.sequences.push_back(std::move(seq)); });
  return data;
}

}  // namespace tpp
