#include "tpp/sim/generated_files.h"

#include <fstream>

#include "tpp/core/atomic_output.h"
#include "tpp/core/error.h"
#include "tpp/data/io.h"

namespace tpp {

GeneratedPaths generated_paths(const std::string& events_path) {
  std::string stem = events_path;
  for (const char* ext : {".jsonl", ".json"}) {
    const std::string e(ext);
    if (stem.size() > e.size() && stem.compare(stem.size() - e.size(), e.size(), e) == 0) {
      stem.resize(stem.size() - e.size());
      break;
    }
  }
  return {events_path, stem + ".users.jsonl", stem + ".schema.json", stem + ".truth.json"};
}

void write_generated_files(const GeneratedData& generated, const std::string& process, std::uint64_t seed,
                           const GeneratedPaths& paths) {
  write_dataset(generated.data, paths.events, WriteOptions{Format::Jsonl, paths.users, paths.schema});
  write_file_atomically(
      paths.truth,
      nlohmann::json{{"process", process}, {"seed", seed}, {"config", generated.config}, {"truth", generated.truth}}
              .dump(1) +
          "\n");
}

OracleScore oracle_score(const GeneratedData& generated, const std::string& process) {
  OracleScore score;
  for (std::size_t i = 0; i < generated.data.sequences.size(); ++i) {
    auto target = make_process_target(process, generated.config, generated.truth[i]);
    const SequenceScore s = score_sequence(*target, generated.data.sequences[i]);
    score.log_likelihood += s.log_likelihood();
    score.actions += s.num_actions;
    score.stimuli += generated.data.sequences[i].events.size() - s.num_actions;
  }
  return score;
}

}  // namespace tpp
