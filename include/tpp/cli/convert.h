#pragma once
// tpp convert IN OUT: translates event data between formats (see docs/formats.md).
#include <cstddef>
#include <string>

#include "tpp/cli/command.h"

namespace tpp {

struct ConvertOptions {
  std::string input;
  std::string output;
  ReaderOptions reader;    // how the input is read
  int threads{0};          // accepted like the modelling verbs' --threads; reading runs on one thread
  std::string to;          // output format ("" = from the name)
  std::string users_out;   // also write a users file (event-log outputs keep windows, categories, features)
  std::string schema_out;  // also write the schema JSON
  bool json{false};        // summary line as JSON
  // Store output from an event log (csv, jsonl) without a users file streams through an external
  // sort holding at most this many rows at once (data/store_conversion.h).
  std::size_t chunk_rows{1u << 20};
};

// Returns 0; throws tpp::Error on bad input. Prints what the target format cannot hold to stderr.
int run_convert(const ConvertOptions& options);

}  // namespace tpp
