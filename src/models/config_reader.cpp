#include "tpp/models/config_reader.h"

#include "tpp/core/error.h"

namespace tpp {

ConfigReader::ConfigReader(const nlohmann::json& config, const Schema& schema, std::string model)
    : config_(config), model_(std::move(model)) {
  if (schema.num_action_types < 1) fail("the schema has no action types");
}

void ConfigReader::fail(const std::string& message) const { throw Error(model_ + ": " + message); }

int ConfigReader::positive(const char* key, int fallback) const {
  const int v = config_.value(key, fallback);
  if (v < 1) fail(std::string("\"") + key + "\" must be positive, got " + std::to_string(v));
  return v;
}

double ConfigReader::dropout(double fallback) const {
  const double v = config_.value("dropout", fallback);
  if (!(v >= 0.0 && v < 1.0)) fail("\"dropout\" must be in [0, 1), got " + std::to_string(v));
  return v;
}

int ConfigReader::width(const char* key, int fallback, int heads) const {
  const int v = positive(key, fallback);
  if (v % heads != 0)
    fail(std::string("\"") + key + "\" must be a multiple of \"heads\", got " + std::to_string(v) + " with heads " +
         std::to_string(heads));
  return v;
}

}  // namespace tpp
