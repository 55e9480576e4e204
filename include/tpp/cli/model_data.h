#pragma once
// Data files read for a saved model: the one place the CLI calls the data layer's reader.
#include <iosfwd>
#include <string>

#include "tpp/data/dataset.h"
#include "tpp/models/registry.h"

namespace tpp {

// Reads a data file with the data layer's reader (times in file units, the file's own schema).
// An event log X.jsonl / X.csv brings its companions when they exist and `schema` is empty:
// X.users.jsonl or X.users.csv (categories, windows, features) and X.schema.json (names, affects
// map, feature sizes), as `tpp generate` and `tpp convert --users-out` write them.
Dataset read_data_file(const std::string& path, const std::string& schema = "");

// Event texts as event metadata through the built-in featuriser (data/text_features.h), carried by
// a model config under "text_features". `spec` is either its settings ({"dim": 64, ...}): fitted
// on train's texts; or a fitted state (as saved with a model): applied as is. Featurises train and
// dev; returns the fitted state to save. Data that already has metadata vectors is refused.
nlohmann::json featurize_texts(const nlohmann::json& spec, Dataset& train, Dataset* dev = nullptr);

// The data as a saved model sees it: its texts featurised as at training time, then aligned.
Dataset prepare_for_model(Dataset data, const SavedModel& saved, const std::string& where);

// Maps the data's action and stimulus type names to the model's ids (unknown names are an error
// naming `where`) and applies the model's time scale; the data's times are in file units.
Dataset align_to_model(Dataset data, const Schema& schema, const TimeScale& scale, const std::string& where);


}  // namespace tpp
