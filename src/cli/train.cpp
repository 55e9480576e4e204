#include "tpp/cli/train.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>

#include "tpp/core/atomic_output.h"
#include "tpp/core/error.h"
#include "tpp/data/event_store.h"
#include "tpp/data/prepare.h"
#include "tpp/data/store_source.h"
#include "tpp/distributed/process_group.h"
#include "tpp/train/fit.h"
#include "tpp/train/parameter_estimates.h"

namespace tpp {

namespace {

// With several CUDA devices and "--device cuda" (no index), each rank of a machine takes its own:
// the local rank set by `tpp launch` (TPP_LOCAL_RANK) or Slurm (SLURM_LOCALID), else the rank.
torch::Device device_of_rank(torch::Device device, int rank) {
  if (!device.is_cuda() || device.has_index() || torch::cuda::device_count() < 2) return device;
  int local = rank;
  for (const char* name : {"TPP_LOCAL_RANK", "SLURM_LOCALID"})
    if (const char* value = std::getenv(name)) {
      local = std::atoi(value);
      break;
    }
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local % torch::cuda::device_count()));
}

// Checks --world-size/--rank; only rank 0 reports (the other ranks compute the same records).
struct Reporting {
  bool json, quiet;
};
Reporting reporting_of(const TrainOptions& options) {
  if (options.world_size < 1) throw Error(fmt::format("--world-size: must be at least 1, got {}", options.world_size));
  if (options.rank < 0 || options.rank >= options.world_size)
    throw Error(fmt::format("--rank: must be in [0, {}) for --world-size {}, got {}", options.world_size,
                            options.world_size, options.rank));
  const bool reports = options.rank == 0;
  return {options.common.json && reports, options.common.quiet || !reports};
}

// Fits through `fit_with` (a fit_model call) with the CLI's options, joining the process group when
// there are several ranks, then prints the summary. `train`: the in-memory training set, for the
// standard errors of an L-BFGS fit (none for a store).
int fit_and_report(const TrainOptions& options, const FitConfig& config, const Dataset* train,
                   const std::function<FitResult(const FitOptions&)>& fit_with, std::ostream& out, std::ostream& err) {
  const bool reports = options.rank == 0;
  const auto [json, quiet] = reporting_of(options);
  FitOptions fit;
  fit.context = options.common.context();
  fit.context.progress = fit.context.progress && reports;
  fit.output = options.output;
  fit.resume = options.resume;
  fit.json_log = json ? &out : nullptr;
  fit.progress = &err;
  std::unique_ptr<Collectives> group;
  if (options.world_size > 1) {
    GroupOptions group_options;
    group_options.world_size = options.world_size;
    group_options.rank = options.rank;
    group_options.master = parse_master_address(options.master);
    group_options.timeout_seconds = options.collective_timeout;
    fit.context.device = device_of_rank(fit.context.device, options.rank);
    group_options.device = fit.context.device;
    group = join_process_group(group_options);
    fit.group = group.get();
  }
  const FitResult fitted = fit_with(fit);

  const TrainResult& result = fitted.training;
  const double best = result.best_dev_ll_per_event;
  // A maximum-likelihood fit of a classical model reports its parameters with standard errors; a
  // fit whose information is singular (a type never seen, a parameter at its bound) reports why not.
  nlohmann::json parameters;
  std::string parameters_note;
  if (config.train.optimizer == "lbfgs" && train) {
    try {
      const auto estimates = parameter_estimates(*fitted.model.model, *train, fit.context);
      if (!estimates.empty()) parameters = to_json(estimates);
    } catch (const Error& e) {
      parameters_note = e.what();
    }
  }
  if (json) {
    out << nlohmann::json{{"output", options.output},
                          {"epochs", result.history.size()},
                          {"best_epoch", result.best_epoch},
                          {"best_dev_ll_per_event", std::isfinite(best) ? nlohmann::json(best) : nlohmann::json(nullptr)},
                          {"stopped_early", result.stopped_early},
                          {"config", fitted.model.config},
                          {"time_scale", to_json(fitted.model.time_scale)},
                          {"parameters", parameters}}
               .dump()
        << std::endl;
  } else if (!quiet) {
    err << fmt::format("saved {} ({} epochs, best epoch {}{})\n", options.output, result.history.size(), result.best_epoch,
                       std::isfinite(best) ? fmt::format(", dev LL/event {:.4f}", best) : std::string());
    if (!parameters.is_null()) {
      err << fmt::format("  {:<24} {:>12} {:>12}   (model time units)\n", "parameter", "estimate", "std. error");
      for (const auto& p : parameters)
        err << fmt::format("  {:<24} {:>12.6g} {:>12.6g}\n", p["name"].get<std::string>(), p["value"].get<double>(),
                           p["standard_error"].get<double>());
    } else if (!parameters_note.empty()) {
      err << "  no standard errors: " << parameters_note << "\n";
    }
  }
  return 0;
}

// How the training (and dev) data are prepared for the model, from the command line and the config.
TrainingDataOptions training_data_options(const TrainOptions& options, const FitConfig& config) {
  TrainingDataOptions data_options;
  data_options.time_scale = options.time_scale;
  data_options.text_features = config.text_features;
  data_options.dev_name = options.dev;
  return data_options;
}

// A training store is read batch by batch (data/store_source.h): its pre-passes stream, and the
// trainer holds one batch of its sequences at a time.
int train_from_store(const TrainOptions& options, std::ostream& out, std::ostream& err) {
  if (options.output.empty()) throw Error("train: -o/--output is required");
  if (!options.schema.empty())
    throw Error("train: " + options.train + " is an event store, which carries its own schema; drop --schema");
  const FitConfig config =
      FitConfig::from_json(read_json_argument(options.config, "model config"), options.common.seed, options.config);
  const TrainingDataOptions data_options = training_data_options(options, config);
  const StoreTrainingData data = prepare_store_training_data(options.train, options.dev, data_options);
  return fit_and_report(
      options, config, nullptr,
      [&](const FitOptions& fit) { return fit_model(config, *data.train, data.dev.get(), data.text_features, fit); }, out,
      err);
}

}  // namespace

int train_datasets(const TrainOptions& options, Dataset train, std::optional<Dataset> dev, std::ostream& out,
                   std::ostream& err) {
  if (options.output.empty()) throw Error("train: -o/--output is required");
  const auto [json, quiet] = reporting_of(options);
  const FitConfig config =
      FitConfig::from_json(read_json_argument(options.config, "model config"), options.common.seed, options.config);

  const TrainingDataOptions data_options = training_data_options(options, config);
  const TrainingData data = prepare_training_data(std::move(train), std::move(dev), data_options);
  if (!json && !quiet) {
    std::size_t at_start = 0;
    for (const auto& seq : data.train.sequences)
      for (const auto& e : seq.events) at_start += !e.is_stimulus && e.time == seq.t_start;
    if (at_start > 0)
      err << fmt::format("{} actions at a sequence's window start only condition the history (no interval precedes "
                         "them; files without a window start at their first event)\n",
                         at_start);
  }

  return fit_and_report(options, config, &data.train, [&](const FitOptions& fit) { return fit_model(config, data, fit); },
                        out, err);
}

int run_train(const TrainOptions& options) {
  // Found before a whole training run, not after it.
  check_output_path(options.output, "--output");
  if (is_event_store(options.train)) return train_from_store(options, std::cout, std::cerr);
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
  cmd->add_option("--train", options->train, "training data: an event log, or an event store read batch by batch")->required();
  cmd->add_option("--dev", options->dev, "dev event log (early stopping and best-model selection)");
  cmd->add_option("-o,--output", options->output, "model file to write (checkpoint: <output>.ckpt)")->required();
  cmd->add_option("--schema", options->schema, "schema JSON fixing type names and ids");
  cmd->add_flag("--resume", options->resume, "continue from <output>.ckpt");
  cmd->add_option("--time-scale", options->time_scale, "auto, none or a factor multiplying times")->capture_default_str();
  cmd->add_option("--world-size", options->world_size,
                  "processes training together (data parallel, docs/scaling.md); `tpp launch` sets it")
      ->capture_default_str();
  cmd->add_option("--rank", options->rank, "this process's rank in [0, world size); rank 0 writes the files")
      ->capture_default_str();
  cmd->add_option("--master", options->master, "HOST:PORT where rank 0 hosts the rendezvous")->capture_default_str();
  cmd->add_option("--collective-timeout", options->collective_timeout,
                  "seconds to wait for the other ranks (rendezvous and every exchange) before failing")
      ->capture_default_str()
      ->check(positive_number());
  add_common_options(*cmd, options->common);
  cmd->callback([options, &action] { action = [options] { return run_train(*options); }; });
}

}  // namespace tpp
