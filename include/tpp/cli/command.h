#pragma once
// Each CLI verb is a function `int run_<verb>(const <Verb>Options&)` callable in-process (tests
// do), plus `add_<verb>(app, action)` that declares its options on a CLI11 subcommand and, when
// that subcommand is chosen, stores the call to make in `action`.
#include <CLI/CLI.hpp>

#include <functional>
#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

#include "tpp/core/context.h"
#include "tpp/data/io.h"

namespace tpp {

using CommandAction = std::function<int()>;

// Options every verb that computes shares.
struct CommonOptions {
  std::string device{"cpu"};
  std::string dtype{"float64"};
  std::uint64_t seed{0};
  int threads{0};
  bool json{false};   // machine-readable output on stdout
  bool quiet{false};  // no progress lines

  Context context() const;  // progress on when stderr is a TTY and not quiet
};
void add_common_options(CLI::App& cmd, CommonOptions& options);
// --tolerance: relative accuracy of predicted next-event times and type probabilities (evaluate, predict).
void add_tolerance_option(CLI::App& cmd, double& tolerance);
// --predictor intensity|heads: where point predictions come from (infer/head_prediction.h).
void add_predictor_option(CLI::App& cmd, std::string& predictor);

// How the data verbs (convert, inspect) read any data file: format, users file, schema, policy.
struct ReaderOptions {
  std::string from;    // format ("" = from the name): csv, jsonl, easytpp, rmtpp
  std::string users;   // users file
  std::string schema;  // schema JSON
  std::string split;   // EasyTPP: key holding the sequences
  bool drop_invalid{false};
  bool sort{false};
  ReadOptions read_options() const;
};
void add_reader_options(CLI::App& cmd, ReaderOptions& options);

// Option checks that state the rule ("must be positive, got 0"): CLI11's own PositiveNumber and
// NonNegativeNumber print their range with the largest double written out in hundreds of digits.
CLI::Validator positive_number();
CLI::Validator non_negative_number();

// Reads a JSON file, or parses the argument itself when it starts with '{'.
nlohmann::json read_json_argument(const std::string& path_or_json, const std::string& what);

// The verbs (declared here so main.cpp stays a dispatcher).
void add_convert(CLI::App& app, CommandAction& action);
void add_inspect(CLI::App& app, CommandAction& action);
void add_simulate(CLI::App& app, CommandAction& action);
void add_train(CLI::App& app, CommandAction& action);
void add_evaluate(CLI::App& app, CommandAction& action);
void add_predict(CLI::App& app, CommandAction& action);
void add_generate(CLI::App& app, CommandAction& action);
void add_serve(CLI::App& app, CommandAction& action);

}  // namespace tpp
