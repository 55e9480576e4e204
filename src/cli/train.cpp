#include "tpp/cli/train.h"

#include <fmt/format.h>

#include <cmath>
#include <iostream>

#include "tpp/cli/model_data.h"
#include "tpp/core/error.h"
#include "tpp/data/io.h"
#include "tpp/models/registry.h"
#include "tpp/train/trainer.h"

namespace tpp {

double time_scale_factor(const std::string& spec, const Dataset& train) {
  if (spec == "none") return 1.0;
  if (spec == "auto") {
    double span = 0.0;
    for (const auto& s : train.sequences)
      span += train.time_scale.to_model(s.t_end) - train.time_scale.to_model(s.t_start);
    const auto events = static_cast<double>(train.num_events());
    return span > 0 && events > 0 ? events / span : 1.0;
  }
  double factor = 0.0;
  std::size_t used = 0;
  try {
    factor = std::stod(spec, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != spec.size() || !(factor > 0) || !std::isfinite(factor))
    throw Error("--time-scale: expected auto, none or a positive number, got '" + spec + "'");
  return factor;
}

int train_datasets(const TrainOptions& options, Dataset train, std::optional<Dataset> dev, std::ostream& out,
                   std::ostream& err) {
  if (options.output.empty()) throw Error("train: -o/--output is required");
  nlohmann::json config = read_json_argument(options.config, "model config");
  if (!config.is_object()) throw Error(options.config + ": model config must be a JSON object");
  TrainConfig train_config = TrainConfig::from_json(config.value("train", nlohmann::json()), options.common.seed);
  Context ctx = options.common.context();
  ctx.seed = train_config.seed;
  ctx.apply();

  // null is the declared default of "text_features" (no featuriser), as if the key were absent.
  if (config.contains("text_features") && !config["text_features"].is_null())
    config["text_features"] = featurize_texts(config["text_features"], train, dev ? &*dev : nullptr);

  const double factor = time_scale_factor(options.time_scale, train);
  train.time_scale.scale *= factor;
  if (dev) {
    if (dev->schema.num_action_types != train.schema.num_action_types ||
        dev->schema.num_stimulus_types != train.schema.num_stimulus_types)
      throw Error(options.dev + ": dev data has a different schema (action/stimulus types) from the training data");
    dev->time_scale.scale *= factor;
  }

  nlohmann::json model_config = config;
  model_config.erase("train");
  ModelPtr model = ModelRegistry::instance().create(model_config, train.schema);

  TrainerOptions trainer_options;
  trainer_options.checkpoint = options.output + ".ckpt";
  trainer_options.resume = options.resume;
  trainer_options.json_log = options.common.json ? &out : nullptr;
  trainer_options.progress = &err;
  Trainer trainer(model, train_config, ctx, trainer_options);
  TrainResult result = trainer.fit(train, dev ? &*dev : nullptr);

  save_model(options.output, model, train.schema, train.time_scale);
  const double best = result.best_dev_ll_per_event;
  if (options.common.json) {
    out << nlohmann::json{{"output", options.output},
                          {"epochs", result.history.size()},
                          {"best_epoch", result.best_epoch},
                          {"best_dev_ll_per_event", std::isfinite(best) ? nlohmann::json(best) : nlohmann::json(nullptr)},
                          {"stopped_early", result.stopped_early},
                          {"config", model->config()},
                          {"time_scale", to_json(train.time_scale)}}
               .dump()
        << std::endl;
  } else if (!options.common.quiet) {
    err << fmt::format("saved {} ({} epochs, best epoch {}{})\n", options.output, result.history.size(), result.best_epoch,
                       std::isfinite(best) ? fmt::format(", dev LL/event {:.4f}", best) : std::string());
  }
  return 0;
}

int run_train(const TrainOptions& options) {
  Dataset train = read_data_file(options.train, options.schema);
  std::optional<Dataset> dev;
  if (!options.dev.empty()) dev = read_data_file(options.dev, options.schema);
  return train_datasets(options, std::move(train), std::move(dev), std::cout, std::cerr);
}

void add_train(CLI::App& app, CommandAction& action) {
  auto options = std::make_shared<TrainOptions>();
  auto* cmd = app.add_subcommand("train", "train a model on an event log");
  cmd->add_option("--config", options->config, "model config JSON (file or inline) with a \"train\" object")->required();
  cmd->add_option("--train", options->train, "training event log")->required();
  cmd->add_option("--dev", options->dev, "dev event log (early stopping and best-model selection)");
  cmd->add_option("-o,--output", options->output, "model file to write (checkpoint: <output>.ckpt)")->required();
  cmd->add_option("--schema", options->schema, "schema JSON fixing type names and ids");
  cmd->add_flag("--resume", options->resume, "continue from <output>.ckpt");
  cmd->add_option("--time-scale", options->time_scale, "auto, none or a factor multiplying times")->capture_default_str();
  add_common_options(*cmd, options->common);
  cmd->callback([options, &action] { action = [options] { return run_train(*options); }; });
}

}  // namespace tpp
