#include "tpp/models/registry.h"

#include <cstdio>
#include <filesystem>

#include "tpp/core/error.h"

namespace tpp {

// Every built-in model; see TPP_REGISTER_MODEL.
#define TPP_BUILTIN_MODELS(X) \
  X(poisson)                  \
  X(hawkes)                   \
  X(inhibition)               \
  X(self_correcting)          \
  X(rmtpp)                    \
  X(thp)                      \
  X(nhp)                      \
  X(sahp)                     \
  X(attnhp)                   \
  X(expert)

#define TPP_DECLARE(key) void tpp_register_##key(ModelRegistry& registry);
TPP_BUILTIN_MODELS(TPP_DECLARE)
#undef TPP_DECLARE

ModelRegistry& ModelRegistry::instance() {
  static ModelRegistry registry = [] {
    ModelRegistry r;
#define TPP_CALL(key) tpp_register_##key(r);
    TPP_BUILTIN_MODELS(TPP_CALL)
#undef TPP_CALL
    return r;
  }();
  return registry;
}

void ModelRegistry::add(const std::string& name, ModelFactory factory) { factories_[name] = std::move(factory); }

ModelPtr ModelRegistry::create(const nlohmann::json& config, const Schema& schema) const {
  if (!config.is_object() || !config.contains("model") || !config["model"].is_string())
    throw Error("model config: missing string field \"model\"");
  const std::string name = config["model"].get<std::string>();
  auto it = factories_.find(name);
  if (it == factories_.end()) {
    std::string known;
    for (const auto& [key, _] : factories_) known += (known.empty() ? "" : ", ") + key;
    throw Error("model config: unknown model \"" + name + "\" (known: " + known + ")");
  }
  try {
    return it->second(config, schema);
  } catch (const nlohmann::json::exception& e) {
    throw Error("model config for \"" + name + "\": " + e.what());
  }
}

std::vector<std::string> ModelRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [key, _] : factories_) out.push_back(key);
  return out;
}

void save_model(const std::string& path, const ModelPtr& model, const Schema& schema, const TimeScale& scale) {
  nlohmann::json meta = {{"format", "tpp-model-1"},
                         {"config", model->config()},
                         {"schema", to_json(schema)},
                         {"time_scale", to_json(scale)}};
  torch::serialize::OutputArchive archive;
  model->save(archive);
  archive.write("tpp_meta", c10::IValue(meta.dump()));
  const std::string tmp = path + ".tmp";
  try {
    archive.save_to(tmp);
  } catch (const c10::Error& e) {
    throw Error(path + ": cannot write model: " + e.what_without_backtrace());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error(path + ": cannot write model: " + ec.message());
}

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
  out.model = ModelRegistry::instance().create(out.config, out.schema);
  out.model->to(ctx.dtype);
  try {
    out.model->load(archive);
  } catch (const c10::Error& e) {
    throw Error(path + ": parameters do not match the model config: " + e.what_without_backtrace());
  }
  out.model->to(ctx.device, ctx.dtype);
  return out;
}

}  // namespace tpp
