#pragma once
// Models register themselves by name; the CLI and trainer look them up here.
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/models/model.h"

namespace tpp {

using ModelFactory = std::function<ModelPtr(const nlohmann::json& config, const Schema& schema)>;

class ModelRegistry {
 public:
  static ModelRegistry& instance();
  void add(const std::string& name, ModelFactory factory);
  // Builds config["model"] for the schema; unknown names list the known ones.
  ModelPtr create(const nlohmann::json& config, const Schema& schema) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, ModelFactory> factories_;
};

// Registers a model from a .cpp file: TPP_REGISTER_MODEL(hawkes, [](auto& cfg, auto& schema) {...});
// Static libraries drop unreferenced objects, so every model is also listed in registry.cpp.
#define TPP_REGISTER_MODEL(key, factory) \
  void tpp_register_##key(::tpp::ModelRegistry& registry) { registry.add(#key, factory); }

// Model file format: one torch archive holding parameters, config, schema and time scale.
struct SavedModel {
  ModelPtr model;
  Schema schema;
  TimeScale time_scale;
  nlohmann::json config;
};
// Writes atomically (temporary file + rename).
void save_model(const std::string& path, const ModelPtr& model, const Schema& schema, const TimeScale& scale);
SavedModel load_model(const std::string& path, const Context& ctx);

}  // namespace tpp
