#include "tpp/cli/generate.h"

#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tpp/cli/command.h"
#include "tpp/core/atomic_output.h"
#include "tpp/core/error.h"
#include "tpp/infer/plot.h"

namespace tpp {

int run_generate(const GenerateOptions& o) {
  if (o.output.empty()) throw Error("generate: -o/--output is required");
  if (o.n_seq == 0) throw Error("generate: --n-seq must be positive");
  check_output_path(o.output, "--output");
  if (!o.plot.empty()) check_output_path(o.plot, "--plot");
  nlohmann::json config = o.config.empty() ? nlohmann::json::object() : read_json_argument(o.config, "generator config");
  config = apply_overrides(config, o.params);
  const GeneratedData gen = generate_process(o.process, config, o.n_seq, o.seed);
  const GeneratedPaths paths = generated_paths(o.output);
  write_generated_files(gen, o.process, o.seed, paths);
  const OracleScore oracle = oracle_score(gen, o.process);
  const std::size_t actions = oracle.actions, stimuli = oracle.stimuli;
  if (!o.plot.empty()) {
    if (o.plot_sequence >= gen.data.sequences.size()) throw Error("generate: --plot-sequence out of range");
    const Sequence& seq = gen.data.sequences[o.plot_sequence];
    IntensityPlot plot;
    const int S = 1500;
    for (int s = 0; s < S; ++s) plot.grid.push_back(seq.t_start + (seq.t_end - seq.t_start) * s / (S - 1));
    auto target = make_process_target(o.process, gen.config, gen.truth[o.plot_sequence]);
    plot.curves = intensity_curves(*target, seq, plot.grid);
    plot.type_names = gen.data.schema.action_names;
    plot.stimulus_names = gen.data.schema.stimulus_names;
    plot.events = seq.events;
    plot.title = fmt::format("{}: true intensity of user {}", o.process, seq.user);
    write_intensity_plot(o.plot, plot);
  }
  const nlohmann::json summary = {{"process", o.process},
                                  {"sequences", gen.data.sequences.size()},
                                  {"actions", actions},
                                  {"stimuli", stimuli},
                                  {"actions_per_sequence", static_cast<double>(actions) / gen.data.sequences.size()},
                                  {"oracle_log_likelihood_per_action", oracle.per_action()},
                                  {"events", paths.events},
                                  {"users", paths.users},
                                  {"schema", paths.schema},
                                  {"truth", paths.truth}};
  if (o.json) {
    std::cout << summary.dump() << "\n";
  } else if (!o.quiet) {
    std::cout << fmt::format("{}: {} sequences, {} actions ({:.1f} per sequence), {} stimuli; oracle LL {:.4f} nats/action\n",
                             o.process, gen.data.sequences.size(), actions,
                             static_cast<double>(actions) / gen.data.sequences.size(), stimuli,
                             oracle.per_action())
              << "wrote " << paths.events << ", " << paths.users << ", " << paths.schema << ", " << paths.truth << "\n";
  }
  return 0;
}

void add_generate(CLI::App& app, CommandAction& action) {
  auto options = std::make_shared<GenerateOptions>();
  CLI::App* cmd = app.add_subcommand("generate", "write a synthetic dataset from a ground-truth stimulus process");
  cmd->add_option("--process", options->process, fmt::format("{}", fmt::join(process_names(), " | ")))
      ->required()
      ->check(CLI::IsMember(process_names()));
  cmd->add_option("--config", options->config, "generator config: JSON file or inline JSON");
  cmd->add_option("--param", options->params, "override one parameter: key=value (repeatable)");
  cmd->add_option("--n-seq", options->n_seq, "number of sequences")->capture_default_str();
  cmd->add_option("--seed", options->seed, "random seed")->capture_default_str();
  cmd->add_option("-o,--output", options->output, "events JSONL (users/schema/truth files are written beside it)")->required();
  cmd->add_option("--plot", options->plot, "SVG of one sequence's true intensity");
  cmd->add_option("--plot-sequence", options->plot_sequence, "which sequence --plot draws")->capture_default_str();
  cmd->add_flag("--json", options->json, "machine-readable summary on stdout");
  cmd->add_flag("-q,--quiet", options->quiet, "no summary");
  cmd->callback([options, &action]() { action = [options]() { return run_generate(*options); }; });
}

}  // namespace tpp
