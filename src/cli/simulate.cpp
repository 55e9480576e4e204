#include "tpp/cli/simulate.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>

#include "tpp/core/atomic_output.h"
#include "tpp/core/error.h"
#include "tpp/data/event_store.h"
#include "tpp/data/io.h"
#include "tpp/infer/simulation.h"
#include "tpp/models/registry.h"

namespace tpp {

namespace {

bool detect_store(const std::string& path) { return std::filesystem::path(path).extension() == ".tpps"; }

// Each sequence goes into the store as it is drawn, so memory holds one sequence whatever --n-seq.
// The store carries the windows [0, T] and the type names itself: no companion files.
int simulate_to_store(const SimulateCommandOptions& o, const SavedModel& model, const Context& ctx) {
  EventStoreWriter writer(o.output, model.schema.event_meta_dim, model.schema.user_feature_dim);
  const Schema schema = simulate_in_file_units(model, o.num_sequences, o.horizon, o.common.seed, !o.generic_sampler, ctx,
                                               [&](Sequence& seq) { writer.add(seq); });
  writer.finish(schema);
  if (o.common.json)
    std::cout << nlohmann::json{{"model", model.model->name()},
                                {"sequences", writer.num_sequences()},
                                {"events", writer.num_events()},
                                {"output", o.output}}
                     .dump()
              << "\n";
  else if (!o.common.quiet)
    std::cerr << "simulated " << writer.num_events() << " events in " << writer.num_sequences() << " sequences ("
              << model.model->name() << ") into the store " << o.output << "\n";
  return 0;
}

}  // namespace

int run_simulate(const SimulateCommandOptions& o) {
  const int sources = !o.model.empty() + !o.config.empty() + !o.model_file.empty();
  if (sources != 1) throw Error("simulate: give exactly one of --model, --config, --model-file");
  if (!(o.horizon > 0) || !std::isfinite(o.horizon)) throw Error("simulate: --horizon must be positive and finite");
  if (!o.output.empty() && o.output != "-") check_output_path(o.output, "--output");
  Context ctx = o.common.context();
  ctx.apply();
  auto configured = [&] {
    try {
      return model_for_simulation(o.config.empty() ? nlohmann::json{{"model", o.model}}
                                                    : read_json_argument(o.config, "model config"),
                                  o.num_types, ctx);
    } catch (const Error& e) {
      // A config sized for another number of types than --num-types names the option that set it.
      if (o.num_types <= 0) throw;
      throw Error(fmt::format("{} (the number of types came from --num-types {}; without it, it follows from the "
                              "config's arrays)",
                              e.what(), o.num_types));
    }
  };
  const SavedModel model = !o.model_file.empty() ? load_model(o.model_file, ctx) : configured();
  const bool to_stdout = o.output.empty() || o.output == "-";
  if (!to_stdout && detect_store(o.output)) return simulate_to_store(o, model, ctx);
  const Dataset data =
      simulate_in_file_units(model, o.num_sequences, o.horizon, o.common.seed, !o.generic_sampler, ctx);
  // A file gets its companions (X.users.jsonl: each sequence's window [0, T]; X.schema.json: the
  // type names), which train/evaluate/predict pick up, so the quiet stretches before the first and
  // after the last event stay in the likelihood. stdout carries the events alone.
  std::string users, schema;
  if (!to_stdout) {
    const std::string extension = std::filesystem::path(o.output).extension().string();
    const std::string stem = o.output.substr(0, o.output.size() - extension.size());
    users = stem + ".users.jsonl";
    schema = stem + ".schema.json";
  }
  write_dataset(data, to_stdout ? "/dev/stdout" : o.output, WriteOptions{Format::Jsonl, users, schema});
  nlohmann::json summary = {{"model", model.model->name()},
                            {"sequences", data.sequences.size()},
                            {"events", data.num_events()},
                            {"output", to_stdout ? "-" : o.output}};
  if (o.common.json && !to_stdout)
    std::cout << summary.dump() << "\n";
  else if (!o.common.quiet)
    std::cerr << "simulated " << data.num_events() << " events in " << data.sequences.size() << " sequences ("
              << model.model->name() << ")\n";
  return 0;
}

void add_simulate(CLI::App& app, CommandAction& action) {
  auto o = std::make_shared<SimulateCommandOptions>();
  auto* cmd = app.add_subcommand("simulate", "draw sequences from a model by thinning, as event-log JSONL");
  add_common_options(*cmd, o->common);
  cmd->add_option("--model", o->model, "registry name (default parameters)");
  cmd->add_option("--config", o->config, "model config: JSON file or inline JSON");
  cmd->add_option("--model-file", o->model_file, "saved model file");
  cmd->add_option("--num-types", o->num_types, "action types for --model or a config without names (default: the length of its "
                 "\"rate\"/\"mu\" array, else 1)");
  cmd->add_option("--n-seq", o->num_sequences, "number of sequences")->capture_default_str();
  cmd->add_option("--horizon", o->horizon, "window [0, T] in file time units")->capture_default_str();
  cmd->add_option("-o,--output", o->output, "output JSONL (default stdout), or an event store *.tpps written as it is drawn");
  cmd->add_flag("--generic-sampler", o->generic_sampler, "simulate through the Model interface even when the model has a scalar simulator");
  cmd->callback([o, &action] { action = [o] { return run_simulate(*o); }; });
}

}  // namespace tpp
