#pragma once
// `tpp generate`: writes a synthetic dataset from one of the ground-truth stimulus processes.
#include <cstdint>
#include <string>
#include <vector>

#include "tpp/sim/generated_files.h"  // generated_paths

namespace tpp {

struct GenerateOptions {
  std::string process;               // stimulus_count | complex_stimuli | ecommerce
  std::string config;                // optional JSON file or inline JSON object
  std::vector<std::string> params;   // key=value overrides applied after `config`
  std::size_t n_seq{500};
  std::uint64_t seed{0};
  std::string output;                // events JSONL; users, schema and truth files beside it
  std::string plot;                  // optional SVG of one sequence's true intensity
  std::size_t plot_sequence{0};
  bool json{false};
  bool quiet{false};
};

int run_generate(const GenerateOptions& options);

}  // namespace tpp
