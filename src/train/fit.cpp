#include "tpp/train/fit.h"

#include <optional>

#include "tpp/core/error.h"
#include "tpp/data/user_id_features.h"
#include "tpp/models/saved_config.h"

namespace tpp {

FitConfig FitConfig::from_json(const nlohmann::json& config, std::uint64_t default_seed, const std::string& where) {
  if (!config.is_object()) throw Error(where + ": the top-level value must be a JSON object such as {\"model\": \"thp\"}, got " +
                std::string(config.type_name()));
  FitConfig fit;
  const nlohmann::json train = config.value("train", nlohmann::json());
  if (!train.is_null() && !train.is_object())
    throw Error(where + ": \"train\" must be a JSON object of training settings, got " + std::string(train.type_name()));
  fit.train = TrainConfig::from_json(train, default_seed);
  fit.model = config;
  fit.model.erase("train");
  if (config.contains("text_features")) fit.text_features = config["text_features"];
  // "user_ids" settings are checked here, before any data is read; they are fitted in fit_model.
  if (auto it = config.find("user_ids"); it != config.end()) {
    try {
      if (UserIdFeaturizer::is_fitted_state(*it))
        UserIdFeaturizer::from_json(*it);
      else
        user_ids_settings(*it);
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
  }
  return fit;
}

FitResult fit_model(const FitConfig& config, const TrainingData& data, const FitOptions& options) {
  const DatasetSource train(data.train);
  if (!data.dev) return fit_model(config, train, nullptr, data.text_features, options);
  const DatasetSource dev(*data.dev);
  return fit_model(config, train, &dev, data.text_features, options);
}

FitResult fit_model(const FitConfig& config, const SequenceSource& train_data, const SequenceSource* dev_data,
                    const nlohmann::json& text_features, const FitOptions& options) {
  nlohmann::json model_config = config.model;
  // The model saves the fitted featuriser state, not the settings it was fitted from, so new data
  // is featurised exactly as the training data was.
  if (!text_features.is_null())
    model_config["text_features"] = text_features;
  else if (!config.text_features.is_null())
    throw Error("fit: the config has \"text_features\" but the data was prepared without them "
                "(TrainingDataOptions::text_features)");
  // User ids become a one-hot block of the user features (data/user_id_features.h), its vocabulary
  // fitted on the training sequences and saved in its place, like the text featuriser.
  const SequenceSource* train = &train_data;
  const SequenceSource* dev = dev_data;
  std::optional<UserIdSource> train_ids, dev_ids;
  if (auto it = model_config.find("user_ids"); it != model_config.end()) {
    if (auto user_ids = user_id_featurizer(*it, train_data)) {
      *it = user_ids->to_json();
      train = &train_ids.emplace(train_data, *user_ids);
      if (dev_data) dev = &dev_ids.emplace(*dev_data, *user_ids);
    } else {
      model_config.erase(it);
    }
  }
  Context ctx = options.context;
  ctx.seed = config.train.seed;
  ctx.apply();  // seeds the parameter initialisation below
  const Schema& schema = train->schema();
  const TimeScale scale = train->time_scale();
  ModelPtr model = ModelRegistry::instance().create(model_config, schema);
  nlohmann::json saved_config = model->config();
  if (train_ids) {
    if (!saved_config.value("user_features", false))
      throw Error("\"user_ids\": model \"" + model->name() +
                  "\" reads no user features (ExPERT with \"user_features\": true does)");
    saved_config["user_ids"] = model_config["user_ids"];
  }

  TrainerOptions trainer_options;
  if (!options.output.empty()) trainer_options.checkpoint = options.output + ".ckpt";
  trainer_options.resume = options.resume;
  trainer_options.json_log = options.json_log;
  trainer_options.progress = options.progress;
  trainer_options.group = options.group;
  Trainer trainer(model, config.train, ctx, trainer_options);
  FitResult result;
  result.training = trainer.fit(*train, dev);

  const bool writes_files = !options.group || options.group->rank() == 0;
  if (!options.output.empty() && writes_files) save_model_with_config(options.output, model, saved_config, schema, scale);
  result.model = SavedModel{model, schema, scale, saved_config};
  return result;
}

}  // namespace tpp
