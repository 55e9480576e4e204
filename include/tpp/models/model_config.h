#pragma once
// Reading and writing a model's config through its field declaration (core/config_fields.h):
// the keys a model config carries besides the model's own, and the checks every model needs.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/core/config_fields.h"
#include "tpp/core/error.h"
#include "tpp/data/dataset.h"

namespace tpp {

// Keys of a model config that are not the model's fields: "model" names the registry entry and
// "train" is the trainer's block (train/trainer.h).
inline const std::vector<std::string>& model_envelope_keys() {
  static const std::vector<std::string> keys{"model", "train"};
  return keys;
}

// Upper bounds of a neural model's sizes, far above any published TPP (ExPERT's paper scale is
// M = 512, M_H = 1024, 4 layers): a mistyped or mutated config ("layers": 100000) is refused with a
// message instead of building for minutes or allocating until the machine gives out.
namespace model_sizes {
inline Rule<int> width() { return rules::between(1, 16384); }  // states, embeddings, feed-forward
inline Rule<int> layers() { return rules::between(1, 64); }
inline Rule<int> heads() { return rules::between(1, 256); }
inline Rule<int> components() { return rules::between(1, 1024); }  // mixture components
}  // namespace model_sizes

// Reads `j` into `c` (whose schema-derived members the caller has set). Throws tpp::Error naming
// the model (the declaration's owner) when the schema has no action types or a field is bad.
template <class Config>
void read_model_config(const ConfigFields<Config>& fields, const nlohmann::json& j, const Schema& schema, Config& c) {
  if (schema.num_action_types < 1) throw Error(fields.owner() + ": the schema has no action types");
  fields.read(j, c, model_envelope_keys());
}

// The declared fields of `c` plus "model", which the registry builds the model from.
template <class Config>
nlohmann::json write_model_config(const ConfigFields<Config>& fields, const Config& c) {
  nlohmann::json j = fields.write(c);
  j["model"] = fields.owner();
  return j;
}

}  // namespace tpp
