#pragma once
// tpp inspect DATA: counts, per-type counts, sequence-length / gap / window statistics.
#include <string>

#include "tpp/cli/command.h"

namespace tpp {

struct InspectOptions {
  std::string data;
  ReaderOptions reader;
  int threads{0};  // accepted like the modelling verbs' --threads; reading runs on one thread
  bool json{false};    // JSON (summarize() plus "dropped") instead of the table
};

int run_inspect(const InspectOptions& options);

}  // namespace tpp
