#pragma once
// tpp convert IN OUT: translates event data between formats (see docs/formats.md).
#include <string>

namespace tpp {

struct ConvertOptions {
  std::string input;
  std::string output;
  std::string from;        // input format ("" = from the name): csv, jsonl, easytpp, rmtpp
  std::string to;          // output format ("" = from the name)
  std::string users;       // input users file
  std::string schema;      // input schema JSON
  std::string users_out;   // also write a users file (event-log outputs keep windows, categories, features)
  std::string schema_out;  // also write the schema JSON
  std::string split;       // EasyTPP input: key holding the sequences
  bool drop_invalid{false};
  bool sort{false};
  bool json{false};        // summary line as JSON
};

// Returns 0; throws tpp::Error on bad input. Prints what the target format cannot hold to stderr.
int run_convert(const ConvertOptions& options);

}  // namespace tpp
