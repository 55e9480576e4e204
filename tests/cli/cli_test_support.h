#pragma once
// What the CLI tests read back from the files and streams the verbs write, and the small saved
// model several of them predict with.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../test_support.h"
#include "tpp/models/registry.h"

namespace tpp::testing {

// A file's whole content.
inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One JSON value per non-empty line of `text` (JSONL output).
inline std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

// Rates 1 ("a") and 3 ("b") per model unit, with one file unit = two model units: per file unit
// the next event comes after an Exp(8) gap and is "b" with probability 3/4.
inline SavedModel saved_poisson(const TempDir& dir) {
  Schema schema;
  schema.num_action_types = 2;
  schema.action_names = {"a", "b"};
  auto model = ModelRegistry::instance().create({{"model", "poisson"}, {"rate", {1.0, 3.0}}}, schema);
  save_model(dir.file("m.tpp"), model, schema, TimeScale{0.0, 2.0});
  return load_model(dir.file("m.tpp"), Context{});
}

}  // namespace tpp::testing
