#pragma once
// `tpp generate`: writes a synthetic dataset from one of the ground-truth stimulus processes.
#include <cstdint>
#include <string>
#include <vector>

#include "tpp/sim/ground_truth.h"

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

// The files written next to `events_path` ("x.jsonl" -> "x.users.jsonl", "x.schema.json", "x.truth.json").
struct GeneratedPaths {
  std::string events, users, schema, truth;
};
GeneratedPaths generated_paths(const std::string& events_path);

// Writes the dataset as an event log. Private minimal JSONL writer until the shared data writer
// (data/io.h) is merged: events {"user","time","type"(name),"stimulus","text"?}, users
// {"user","category","features","t_start","t_end"}, schema = to_json(Schema) + "time_scale".
void write_generated_dataset(const Dataset& data, const GeneratedPaths& paths);

}  // namespace tpp
