#include "tpp/cli/simulate.h"
#include "tpp/data/io.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "tpp/cli/model_data.h"
#include "tpp/core/error.h"
#include "tpp/infer/sampling.h"
#include "tpp/models/registry.h"

namespace tpp {

namespace {
Schema schema_from_config(const nlohmann::json& config, int num_types) {
  Schema schema;
  try {
    if (config.contains("action_names")) {
      schema.action_names = config.at("action_names").get<std::vector<std::string>>();
      schema.num_action_types = static_cast<int>(schema.action_names.size());
    } else {
      schema.num_action_types = config.value("num_types", num_types);
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("model config: ") + e.what());
  }
  if (schema.num_action_types <= 0) throw Error("model config: the number of action types must be positive");
  for (int k = static_cast<int>(schema.action_names.size()); k < schema.num_action_types; ++k)
    schema.action_names.push_back(std::to_string(k));
  return schema;
}
}  // namespace

int run_simulate(const SimulateCommandOptions& o) {
  const int sources = !o.model.empty() + !o.config.empty() + !o.model_file.empty();
  if (sources != 1) throw Error("simulate: give exactly one of --model, --config, --model-file");
  if (!(o.horizon > 0) || !std::isfinite(o.horizon)) throw Error("simulate: --horizon must be positive and finite");
  Context ctx = o.common.context();
  ctx.apply();
  ModelPtr model;
  Schema schema;
  TimeScale scale;
  if (!o.model_file.empty()) {
    auto saved = load_model(o.model_file, ctx);
    model = saved.model;
    schema = saved.schema;
    scale = saved.time_scale;
  } else {
    nlohmann::json config = o.config.empty() ? nlohmann::json{{"model", o.model}} : read_json_argument(o.config, "model config");
    schema = schema_from_config(config, o.num_types);
    config.erase("action_names");  // the schema's, read above
    config.erase("num_types");
    model = ModelRegistry::instance().create(config, schema);
    model->to(ctx.device, ctx.dtype);
  }
  model->eval();
  torch::NoGradGuard no_grad;
  // Simulated in model units on [0, horizon·scale], written in file units on [0, horizon].
  Dataset data = simulate_dataset(*model, schema, o.num_sequences, scale.scale * o.horizon, o.common.seed,
                                  !o.generic_sampler, ctx);
  for (auto& seq : data.sequences) {
    for (auto& e : seq.events) e.time = scale.duration_to_file(e.time);
    seq.t_end = o.horizon;
  }
  const bool to_stdout = o.output.empty() || o.output == "-";
  write_dataset(data, to_stdout ? "/dev/stdout" : o.output, WriteOptions{Format::Jsonl, "", ""});
  nlohmann::json summary = {{"model", model->name()},
                            {"sequences", data.sequences.size()},
                            {"events", data.num_events()},
                            {"output", to_stdout ? "-" : o.output}};
  if (o.common.json && !to_stdout)
    std::cout << summary.dump() << "\n";
  else if (!o.common.quiet)
    std::cerr << "simulated " << data.num_events() << " events in " << data.sequences.size() << " sequences ("
              << model->name() << ")\n";
  return 0;
}

void add_simulate(CLI::App& app, CommandAction& action) {
  auto o = std::make_shared<SimulateCommandOptions>();
  auto* cmd = app.add_subcommand("simulate", "draw sequences from a model by thinning, as event-log JSONL");
  add_common_options(*cmd, o->common);
  cmd->add_option("--model", o->model, "registry name (default parameters)");
  cmd->add_option("--config", o->config, "model config: JSON file or inline JSON");
  cmd->add_option("--model-file", o->model_file, "saved model file");
  cmd->add_option("--num-types", o->num_types, "action types for --model or a config without names")->capture_default_str();
  cmd->add_option("--n-seq", o->num_sequences, "number of sequences")->capture_default_str();
  cmd->add_option("--horizon", o->horizon, "window [0, T] in file time units")->capture_default_str();
  cmd->add_option("-o,--output", o->output, "output JSONL (default stdout)");
  cmd->add_flag("--generic-sampler", o->generic_sampler, "simulate through the Model interface even when the model has a scalar simulator");
  cmd->callback([o, &action] { action = [o] { return run_simulate(*o); }; });
}

}  // namespace tpp
