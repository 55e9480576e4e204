#pragma once
// tpp inspect DATA: counts, per-type counts, sequence-length / gap / window statistics.
#include <string>

namespace tpp {

struct InspectOptions {
  std::string data;
  std::string from;    // format ("" = from the name)
  std::string users;
  std::string schema;
  std::string split;   // EasyTPP: key holding the sequences
  bool drop_invalid{false};
  bool sort{false};
  bool json{false};    // JSON (summarize() plus "dropped") instead of the table
};

int run_inspect(const InspectOptions& options);

}  // namespace tpp
