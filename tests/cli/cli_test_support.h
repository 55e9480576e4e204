#pragma once
// What the CLI tests read back from the files and streams the verbs write, the small saved model
// several of them predict with, a generated shop log, and the message of an expected tpp::Error.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../test_support.h"
#include "tpp/cli/generate.h"
#include "tpp/core/error.h"
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

// A small e-commerce log (3 categories, 30 days, 6 users) with its users file and schema beside it.
inline std::string shop_log(const TempDir& dir, const std::string& name, std::uint64_t seed) {
  GenerateOptions o;
  o.process = "ecommerce";
  o.params = {"num_categories=3", "t_end=30"};
  o.n_seq = 6;
  o.seed = seed;
  o.output = dir.file(name + ".jsonl");
  o.quiet = true;
  if (run_generate(o) != 0) throw Error("generate failed");
  return o.output;
}

// The message of the tpp::Error that `f` throws (a test failure if it throws none).
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a tpp::Error";
  return "";
}

}  // namespace tpp::testing
