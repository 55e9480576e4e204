#pragma once
// Models register themselves by name; the CLI and trainer look them up here.
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/core/config_fields.h"
#include "tpp/models/model.h"

namespace tpp {

using ModelFactory = std::function<ModelPtr(const nlohmann::json& config, const Schema& schema)>;

class ModelRegistry {
 public:
  static ModelRegistry& instance();
  // `keys` are the model's declared config fields (its Config::fields().docs()); returns true so
  // a registration can initialise a static.
  bool add(const std::string& name, ModelFactory factory, std::vector<ConfigKeyDoc> keys);
  // Builds config["model"] for the schema; unknown names list the known ones, and a key that is
  // neither a declared field nor "model"/"train" is an error listing the known keys.
  ModelPtr create(const nlohmann::json& config, const Schema& schema) const;
  std::vector<std::string> names() const;
  // The declared config fields of a registered model (docs tables, tests); throws for an unknown name.
  const std::vector<ConfigKeyDoc>& keys(const std::string& name) const;

 private:
  struct Entry {
    ModelFactory factory;
    std::vector<ConfigKeyDoc> keys;
  };
  const Entry& entry(const std::string& name) const;
  std::map<std::string, Entry> entries_;
};

// Registers a model from its .cpp file at static initialisation:
//   TPP_REGISTER_MODEL(hawkes, HawkesConfig, HawkesImpl)
// with Config::fields() declaring the keys and Config::from_json building the config for Impl.
// The library is an OBJECT library (CMakeLists.txt), so every object is linked whole and no
// registration is dropped for being unreferenced: no list elsewhere names the models.
#define TPP_REGISTER_MODEL(key, Config, Impl)                                                       \
  namespace {                                                                                       \
  [[maybe_unused]] const bool tpp_registered_##key = ::tpp::ModelRegistry::instance().add(         \
      #key,                                                                                         \
      [](const nlohmann::json& cfg, const ::tpp::Schema& schema) -> ::tpp::ModelPtr {               \
        return std::make_shared<Impl>(Config::from_json(cfg, schema));                              \
      },                                                                                            \
      Config::fields().docs());                                                                     \
  }

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
