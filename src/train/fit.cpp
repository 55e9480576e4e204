#include "tpp/train/fit.h"

#include "tpp/core/error.h"

namespace tpp {

FitConfig FitConfig::from_json(const nlohmann::json& config, std::uint64_t default_seed, const std::string& where) {
  if (!config.is_object()) throw Error(where + ": model config must be a JSON object");
  FitConfig fit;
  fit.train = TrainConfig::from_json(config.value("train", nlohmann::json()), default_seed);
  fit.model = config;
  fit.model.erase("train");
  if (config.contains("text_features")) fit.text_features = config["text_features"];
  return fit;
}

FitResult fit_model(const FitConfig& config, const TrainingData& data, const FitOptions& options) {
  nlohmann::json model_config = config.model;
  // The model saves the fitted featuriser state, not the settings it was fitted from, so new data
  // is featurised exactly as the training data was.
  if (!data.text_features.is_null())
    model_config["text_features"] = data.text_features;
  else if (!config.text_features.is_null())
    throw Error("fit: the config has \"text_features\" but the data was prepared without them "
                "(TrainingDataOptions::text_features)");
  Context ctx = options.context;
  ctx.seed = config.train.seed;
  ctx.apply();  // seeds the parameter initialisation below
  ModelPtr model = ModelRegistry::instance().create(model_config, data.train.schema);

  TrainerOptions trainer_options;
  if (!options.output.empty()) trainer_options.checkpoint = options.output + ".ckpt";
  trainer_options.resume = options.resume;
  trainer_options.json_log = options.json_log;
  trainer_options.progress = options.progress;
  trainer_options.group = options.group;
  Trainer trainer(model, config.train, ctx, trainer_options);
  FitResult result;
  result.training = trainer.fit(data.train, data.dev ? &*data.dev : nullptr);

  const bool writes_files = !options.group || options.group->rank() == 0;
  if (!options.output.empty() && writes_files) save_model(options.output, model, data.train.schema, data.train.time_scale);
  result.model = SavedModel{model, data.train.schema, data.train.time_scale, model->config()};
  return result;
}

}  // namespace tpp
