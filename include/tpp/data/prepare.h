#pragma once
// Data files read for a model: the readers with their companion files, the alignment of a file's
// type names and time units to a model's, and the preparation of train/dev sets for fitting a new
// model (text featurisation, time scale). The CLI, the tests and any other front end read data for
// a model through these functions only, so a file means the same thing to all of them.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tpp/data/dataset.h"

namespace tpp {

// Reads a data file with the data layer's reader (times in file units, the file's own schema).
// An event log X.jsonl / X.csv brings its companions when they exist and `schema` is empty:
// X.users.jsonl or X.users.csv (categories, windows, features) and X.schema.json (names, affects
// map, feature sizes), as `tpp generate` and `tpp convert --users-out` write them. A non-empty
// `schema` is a schema JSON file fixing type names and ids instead. require_categories: every
// user must have a category (IPTW training), else a DataError at the user's first line.
Dataset read_data_file(const std::string& path, const std::string& schema = "", bool require_categories = false);

// Event texts as event metadata through the built-in featuriser (data/text_features.h), carried by
// a model config under "text_features". `spec` is either its settings ({"dim": 64, ...}): fitted
// on train's texts; or a fitted state (as saved with a model): applied as is. Featurises train and
// dev; returns the fitted state to save. Data that already has metadata vectors is refused.
nlohmann::json featurize_texts(const nlohmann::json& spec, Dataset& train, Dataset* dev = nullptr);

// Maps the data's action and stimulus type names to the model's ids (unknown names are an error
// naming `where`) and applies the model's time scale; the data's times are in file units.
Dataset align_to_model(Dataset data, const Schema& schema, const TimeScale& scale, const std::string& where);

// Factor multiplying the datasets' time scale: "none" → 1; "auto" → one event per model time unit
// on average over the training windows; a positive number → itself. Models train best when a unit
// of model time holds about one event, whatever unit the file counts in.
double time_scale_factor(const std::string& spec, const Dataset& train);

// How the train and dev sets of a new model are prepared.
struct TrainingDataOptions {
  std::string time_scale{"auto"};  // time_scale_factor's spec, computed on the training set
  nlohmann::json text_features;    // a model config's "text_features" (featurize_texts); null: none
  std::string dev_name{"dev"};     // names the dev data in errors (its file)
};

// Train and dev data ready for fit_model (train/fit.h): texts featurised, times in model units.
struct TrainingData {
  Dataset train;
  std::optional<Dataset> dev;
  // The fitted featuriser state, saved in the model config so that prediction featurises new data
  // identically; null when the config asked for no featuriser.
  nlohmann::json text_features;
};

// Prepares data read by read_data_file (file units, the file's schema): featurises texts when
// options.text_features is set (fitted on train), multiplies both time scales by the training
// set's factor, and checks that dev has train's action and stimulus types.
TrainingData prepare_training_data(Dataset train, std::optional<Dataset> dev, const TrainingDataOptions& options = {});

}  // namespace tpp
