#include "tpp/cli/train.h"

#include <fmt/format.h>

#include <cmath>
#include <iostream>

#include "tpp/core/atomic_output.h"
#include "tpp/core/error.h"
#include "tpp/data/prepare.h"
#include "tpp/train/fit.h"

namespace tpp {

int train_datasets(const TrainOptions& options, Dataset train, std::optional<Dataset> dev, std::ostream& out,
                   std::ostream& err) {
  if (options.output.empty()) throw Error("train: -o/--output is required");
  const FitConfig config =
      FitConfig::from_json(read_json_argument(options.config, "model config"), options.common.seed, options.config);

  TrainingDataOptions data_options;
  data_options.time_scale = options.time_scale;
  data_options.text_features = config.text_features;
  data_options.dev_name = options.dev;
  const TrainingData data = prepare_training_data(std::move(train), std::move(dev), data_options);
  if (!options.common.json && !options.common.quiet) {
    std::size_t at_start = 0;
    for (const auto& seq : data.train.sequences)
      for (const auto& e : seq.events) at_start += !e.is_stimulus && e.time == seq.t_start;
    if (at_start > 0)
      err << fmt::format("{} actions at a sequence's window start only condition the history (no interval precedes "
                         "them; files without a window start at their first event)\n",
                         at_start);
  }

  FitOptions fit;
  fit.context = options.common.context();
  fit.output = options.output;
  fit.resume = options.resume;
  fit.json_log = options.common.json ? &out : nullptr;
  fit.progress = &err;
  const FitResult fitted = fit_model(config, data, fit);

  const TrainResult& result = fitted.training;
  const double best = result.best_dev_ll_per_event;
  if (options.common.json) {
    out << nlohmann::json{{"output", options.output},
                          {"epochs", result.history.size()},
                          {"best_epoch", result.best_epoch},
                          {"best_dev_ll_per_event", std::isfinite(best) ? nlohmann::json(best) : nlohmann::json(nullptr)},
                          {"stopped_early", result.stopped_early},
                          {"config", fitted.model.config},
                          {"time_scale", to_json(fitted.model.time_scale)}}
               .dump()
        << std::endl;
  } else if (!options.common.quiet) {
    err << fmt::format("saved {} ({} epochs, best epoch {}{})\n", options.output, result.history.size(), result.best_epoch,
                       std::isfinite(best) ? fmt::format(", dev LL/event {:.4f}", best) : std::string());
  }
  return 0;
}

int run_train(const TrainOptions& options) {
  // Found before a whole training run, not after it.
  check_output_path(options.output, "--output");
  // IPTW needs every training user's category: the config is read first so that a user without one
  // is reported at its first line of the training log, before anything is trained.
  const bool iptw = FitConfig::from_json(read_json_argument(options.config, "model config"), options.common.seed,
                                         options.config)
                        .train.iptw()
                        .enabled();
  Dataset train = read_data_file(options.train, options.schema, iptw);
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
