#pragma once
// tpp simulate: sequences drawn from a model (by name, JSON config, or saved model file) with the
// one thinning loop, written as event-log JSON lines.
#include <cstddef>
#include <string>

#include "tpp/cli/command.h"

namespace tpp {

struct SimulateCommandOptions {
  CommonOptions common;
  std::string model;       // registry name, built with default parameters
  std::string config;      // JSON file or inline JSON: {"model": ..., parameters, "num_types" or "action_names"}
  std::string model_file;  // a saved model (.tpp)
  int num_types{0};        // schema size for --model / a config without names; 0: from the config (else 1)
  std::size_t num_sequences{1};
  double horizon{1.0};     // window [0, horizon] in file time units
  std::string output;      // JSONL path; empty or "-" writes to stdout
  bool generic_sampler{false};  // always re-encode through the Model interface
};

int run_simulate(const SimulateCommandOptions& options);

}  // namespace tpp
