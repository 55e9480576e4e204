#pragma once
// The intensity error of Yuchi & Zhu (section 5.1): against a known generator, the time average of
// |λ_true − λ̂| over each sequence's window, averaged over sequences (docs/iptw.md). The truth is
// one model for every sequence or one per user category (the category read from the data's users
// file, never shown to the evaluated model).
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/infer/predictor.h"

namespace tpp {

// The generator. JSON: a model config ({"model": "hawkes", ...}, as `tpp simulate --config` takes),
// a string (a saved model file, relative to the truth file's folder),
// {"by_category": {"<category>": config or file, ...}}, or {"by_user": {"<user>": config or file,
// ...}} for generators whose parameters are drawn per sequence (every test user needs one; its
// category, where the data has one, still groups the report).
//
// A "mark_schedule" key beside any of these (with {"ground": config or file} for one generator)
// makes those the generators of a one-type ground process, whose events the data's types split by
// absolute time: λ_k(t) = λ_g(t) p_k(t), p(t) the first phase with t <= "until" (the last phase
// has none): {"types": [names...], "phases": [{"until": 40, "p": [...]}, ..., {"p": [...]}]}
// (Yuchi & Zhu's experiment 6). The ground generators see every event as their one type.
struct MarkPhase {
  double until;                // +inf for the last phase
  std::vector<double> probability;
};
struct IntensityTruth {
  std::shared_ptr<const Predictor> all;                                // one truth for every sequence
  std::map<std::string, std::shared_ptr<const Predictor>> by_category;  // or one per category name
  std::map<std::string, std::shared_ptr<const Predictor>> by_user;      // or one per user
  std::vector<std::string> mark_types;  // with a mark schedule: the marked types' names
  std::vector<MarkPhase> mark_phases;   // empty: the generators' own types
  static IntensityTruth from_json(const nlohmann::json& j, const std::string& base_dir, const Context& ctx);
  static IntensityTruth load(const std::string& path, const Context& ctx);  // a JSON file
};

struct IntensityErrorOptions {
  int points{1000};  // uniform grid over each window, plus both one-sided limits at every event
  std::size_t batch_size{64};
};

struct IntensityError {
  std::vector<std::string> users;
  std::vector<std::string> categories;  // per sequence ("" with a single truth)
  std::vector<double> per_sequence;     // (1/|W|) ∫_W Σ_k |λ_k^true − λ̂_k| dt
  int points{0};
  double mean() const;
  double sd() const;  // across sequences (n − 1 denominator; 0 for one sequence)
  // {"mean","sd","sequences","points","by_category":{name: {"mean","sequences"}}}
  nlohmann::json to_json() const;
};

// `data` in file units as read_data_file returns it (categories from its users file when the truth
// is per category). Types are matched by name; rates are per file time unit.
IntensityError intensity_error(const Predictor& model, const Dataset& data, const IntensityTruth& truth,
                               const IntensityErrorOptions& options = {}, const std::string& where = "data");

}  // namespace tpp
