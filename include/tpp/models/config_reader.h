#pragma once
// Reads a neural model's settings from its JSON config with the checks every model needs; errors
// name the model and the field.
#include <nlohmann/json.hpp>
#include <string>

#include "tpp/data/dataset.h"

namespace tpp {

class ConfigReader {
 public:
  // Throws unless the schema has at least one action type.
  ConfigReader(const nlohmann::json& config, const Schema& schema, std::string model);

  int positive(const char* key, int fallback) const;        // an integer >= 1
  double dropout(double fallback) const;                    // "dropout" in [0, 1)
  // Attention width: positive and a multiple of `heads`.
  int width(const char* key, int fallback, int heads) const;
  [[noreturn]] void fail(const std::string& message) const;  // "<model>: <message>"

 private:
  const nlohmann::json& config_;
  std::string model_;
};

}  // namespace tpp
