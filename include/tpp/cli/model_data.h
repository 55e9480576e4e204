#pragma once
// Data files read for a saved model: the one place the CLI calls the data layer's reader.
#include <iosfwd>
#include <string>

#include "tpp/data/dataset.h"
#include "tpp/models/registry.h"

namespace tpp {

// Reads a data file with the data layer's reader (times in file units, the file's own schema).
Dataset read_data_file(const std::string& path);

// Maps the data's action and stimulus type names to the model's ids (unknown names are an error
// naming `where`) and applies the model's time scale; the data's times are in file units.
Dataset align_to_model(Dataset data, const Schema& schema, const TimeScale& scale, const std::string& where);


}  // namespace tpp
