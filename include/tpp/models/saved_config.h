#pragma once
// Model-config keys that prepare a model's data rather than build the model: "user_ids"
// (data/user_id_features.h). Every model config may carry them: ModelRegistry::create accepts
// them and hands the model its config without them, and a model file saves their fitted state
// beside the model's own config (SavedModel::config), where evaluation and prediction read it.
// load_model checks that state, naming the file and the key.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/models/registry.h"

namespace tpp {

const std::vector<std::string>& data_preparation_keys();

// save_model with `config` as the saved config: the model's own (model->config()) plus the
// data-preparation keys' fitted state.
void save_model_with_config(const std::string& path, const ModelPtr& model, const nlohmann::json& config,
                            const Schema& schema, const TimeScale& scale);

}  // namespace tpp
