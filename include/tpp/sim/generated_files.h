#pragma once
// A dataset drawn from a ground-truth process (sim/ground_truth.h) as the files a user trains on,
// and the oracle score that says how well any fitted model could do on it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tpp/sim/ground_truth.h"

namespace tpp {

// The files written next to `events_path` ("x.jsonl" -> "x.users.jsonl", "x.schema.json", "x.truth.json"):
// the companions read_data_file (data/prepare.h) picks up, and the truth for scoring.
struct GeneratedPaths {
  std::string events, users, schema, truth;
};
GeneratedPaths generated_paths(const std::string& events_path);

// Writes the event log, users file and schema (data/io.h), and the truth JSON
// {"process", "seed", "config", "truth"} from which make_process_target rebuilds every sequence.
void write_generated_files(const GeneratedData& generated, const std::string& process, std::uint64_t seed,
                           const GeneratedPaths& paths);

// The true process's log-likelihood of its own sequences: the ceiling a fitted model can approach.
struct OracleScore {
  double log_likelihood{0.0};  // Σ over sequences, nats
  std::size_t actions{0};
  std::size_t stimuli{0};
  double per_action() const { return actions ? log_likelihood / static_cast<double>(actions) : 0.0; }
};
OracleScore oracle_score(const GeneratedData& generated, const std::string& process);

}  // namespace tpp
