#pragma once
// Ground-truth generators register themselves by name, as the models do (models/registry.h):
// generate_process, make_process_target, process_names and the CLI's `generate --process` choices
// all look them up here, so no list elsewhere names the generators.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/core/config_fields.h"
#include "tpp/sim/ground_truth.h"

namespace tpp {

struct GeneratorEntry {
  // n_seq sequences from a JSON object config (absent keys take their defaults), seeded.
  std::function<GeneratedData(const nlohmann::json& config, std::size_t n_seq, std::uint64_t seed)> generate;
  // A fresh target reproducing one sequence from the written config and that sequence's truth entry.
  std::function<std::unique_ptr<GroundTruthTarget>(const nlohmann::json& config, const nlohmann::json& truth)> target;
  std::vector<ConfigKeyDoc> keys;  // the config's declared fields (docs tables, tests)
};

class GeneratorRegistry {
 public:
  static GeneratorRegistry& instance();
  // Returns true so a registration can initialise a static.
  bool add(const std::string& name, GeneratorEntry entry);
  // Throws tpp::Error listing the known names for an unknown one.
  const GeneratorEntry& get(const std::string& name) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, GeneratorEntry> entries_;
};

// Registers a generator from its .cpp file at static initialisation:
//   TPP_REGISTER_GENERATOR(stimulus_count, StimulusCountConfig, generate_stimulus_count, make_target)
// with Config::fields() declaring the keys, Config::from_json parsing them,
//   GeneratedData generate_fn(const Config&, std::size_t n_seq, std::uint64_t seed) and
//   std::unique_ptr<GroundTruthTarget> target_fn(const Config&, const nlohmann::json& truth).
// Like the models' registrations, these are kept because the library is an OBJECT library.
#define TPP_REGISTER_GENERATOR(key, Config, generate_fn, target_fn)                                                \
  namespace {                                                                                                      \
  [[maybe_unused]] const bool tpp_registered_generator_##key = ::tpp::GeneratorRegistry::instance().add(          \
      #key, ::tpp::GeneratorEntry{[](const nlohmann::json& cfg, std::size_t n_seq, std::uint64_t seed) {           \
                                    return generate_fn(Config::from_json(cfg), n_seq, seed);                       \
                                  },                                                                               \
                                  [](const nlohmann::json& cfg, const nlohmann::json& truth)                       \
                                      -> std::unique_ptr<::tpp::GroundTruthTarget> {                               \
                                    return target_fn(Config::from_json(cfg), truth);                               \
                                  },                                                                               \
                                  Config::fields().docs()});                                                       \
  }

}  // namespace tpp
