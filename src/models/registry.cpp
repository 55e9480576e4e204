#include "tpp/models/registry.h"

#include <cstdio>
#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tpp/core/atomic_output.h"
#include "tpp/core/config_keys.h"
#include "tpp/core/error.h"
#include "tpp/data/user_id_features.h"
#include "tpp/models/model_config.h"
#include "tpp/models/saved_config.h"

namespace tpp {

// A function-local static, so models registering from other objects' static initialisers find it
// constructed whatever the initialisation order.
ModelRegistry& ModelRegistry::instance() {
  static ModelRegistry registry;
  return registry;
}

bool ModelRegistry::add(const std::string& name, ModelFactory factory, std::vector<ConfigKeyDoc> keys) {
  entries_[name] = {std::move(factory), std::move(keys)};
  return true;
}

const ModelRegistry::Entry& ModelRegistry::entry(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end())
    throw Error(fmt::format("model config: unknown model \"{}\" (known: {})", name, fmt::join(names(), ", ")));
  return it->second;
}

const std::vector<ConfigKeyDoc>& ModelRegistry::keys(const std::string& name) const { return entry(name).keys; }

ModelPtr ModelRegistry::create(const nlohmann::json& config, const Schema& schema) const {
  if (!config.is_object() || !config.contains("model") || !config["model"].is_string())
    throw Error("model config: missing string field \"model\"");
  const std::string name = config["model"].get<std::string>();
  const Entry& found = entry(name);
  // The declared fields are the keys the model reads, so none it reads can be rejected here.
  std::vector<std::string> known = model_envelope_keys();
  for (const auto& key : found.keys) known.push_back(key.key);
  const auto& data_keys = data_preparation_keys();
  known.insert(known.end(), data_keys.begin(), data_keys.end());
  check_known_keys(config, known, "model config for \"" + name + "\"");
  nlohmann::json model_config = config;
  for (const auto& key : data_keys) model_config.erase(key);
  try {
    return found.factory(model_config, schema);
  } catch (const nlohmann::json::exception& e) {
    throw Error("model config for \"" + name + "\": " + e.what());
  } catch (const std::bad_alloc&) {
    throw Error("model config for \"" + name + "\": the model's sizes need more memory than there is");
  } catch (const c10::Error& e) {
    // Sizes each valid alone can ask for more memory together than the allocator can give.
    throw Error("model config for \"" + name + "\": cannot build the model: " + e.what_without_backtrace());
  }
}

std::vector<std::string> ModelRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [key, _] : entries_) out.push_back(key);
  return out;
}

const std::vector<std::string>& data_preparation_keys() {
  static const std::vector<std::string> keys{"user_ids"};
  return keys;
}

void save_model(const std::string& path, const ModelPtr& model, const Schema& schema, const TimeScale& scale) {
  save_model_with_config(path, model, model->config(), schema, scale);
}

void save_model_with_config(const std::string& path, const ModelPtr& model, const nlohmann::json& config,
                            const Schema& schema, const TimeScale& scale) {
  nlohmann::json meta = {{"format", "tpp-model-1"},
                         {"config", config},
                         {"schema", to_json(schema)},
                         {"time_scale", to_json(scale)}};
  torch::serialize::OutputArchive archive;
  model->save(archive);
  archive.write("tpp_meta", c10::IValue(meta.dump()));
  write_archive_atomically(archive, path);
}

namespace {

// The dtype of the first tensor stored for `module` (parameters before buffers, then children in
// order, as Module::save writes them); nullopt for a module without tensors.
std::optional<torch::Dtype> saved_dtype(torch::nn::Module& module, torch::serialize::InputArchive& archive) {
  for (const auto& group : {module.named_parameters(false), module.named_buffers(false)}) {
    for (const auto& item : group) {
      torch::Tensor stored;
      if (archive.try_read(item.key(), stored) && stored.defined()) return stored.scalar_type();
    }
  }
  for (const auto& child : module.named_children()) {
    torch::serialize::InputArchive sub;
    if (!archive.try_read(child.key(), sub)) continue;
    if (auto found = saved_dtype(*child.value(), sub)) return found;
  }
  return std::nullopt;
}

}  // namespace

SavedModel load_model(const std::string& path, const Context& ctx) {
  if (!std::filesystem::exists(path)) throw Error(path + ": no such model file");
  torch::serialize::InputArchive archive;
  SavedModel out;
  try {
    archive.load_from(path);
    c10::IValue meta_value;
    if (!archive.try_read("tpp_meta", meta_value)) throw Error(path + ": not a tpp model file");
    auto meta = nlohmann::json::parse(meta_value.toStringRef());
    out.config = meta.at("config");
    out.schema = schema_from_json(meta.at("schema"));
    out.time_scale = time_scale_from_json(meta.at("time_scale"));
  } catch (const c10::Error& e) {
    throw Error(path + ": not a readable tpp model file: " + e.what_without_backtrace());
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": corrupt model metadata: " + e.what());
  }
  if (auto it = out.config.find("user_ids"); it != out.config.end()) {
    // The fitted vocabulary's block ends the user features the model was built for.
    const std::string where = path + ": config \"user_ids\"";
    const int columns = UserIdFeaturizer::from_json(*it, where).size();
    if (columns > out.schema.user_feature_dim)
      throw Error(fmt::format("{}: {} user ids, but the schema has only {} user features", where, columns,
                              out.schema.user_feature_dim));
  }
  out.model = ModelRegistry::instance().create(out.config, out.schema);
  try {
    // Module::load replaces each tensor's storage in place, which needs the saved dtype; the
    // requested one is applied afterwards, so a float64 model evaluates in float32 and back.
    if (auto saved = saved_dtype(*out.model, archive)) out.model->to(*saved);
    out.model->load(archive);
  } catch (const c10::Error& e) {
    throw Error(path + ": parameters do not match the model config: " + e.what_without_backtrace());
  }
  out.model->to(ctx.device, ctx.dtype);
  return out;
}

}  // namespace tpp
