#include "tpp/core/config_fields.h"

#include <limits>

namespace tpp {

std::string config_key_table(const std::vector<ConfigKeyDoc>& keys) {
  std::string out = "| key | value | default | meaning |\n|---|---|---|---|\n";
  for (const auto& k : keys)
    out += "| `" + k.key + "` | " + k.value + " | `" + k.fallback + "` | " + k.doc + " |\n";
  return out;
}

void parse_config_value(const nlohmann::json& v, int& out) {
  if (!v.is_number_integer()) throw ConfigFieldError("must be an integer, got " + v.dump());
  // Unsigned JSON integers above INT64_MAX would wrap in get<int64_t>(); compare as unsigned first.
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
    throw ConfigFieldError("is out of range, got " + v.dump());
  const auto wide = v.get<std::int64_t>();
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max())
    throw ConfigFieldError("is out of range, got " + v.dump());
  out = static_cast<int>(wide);
}

void parse_config_value(const nlohmann::json& v, std::uint64_t& out) {
  if (v.is_number_unsigned()) {
    out = v.get<std::uint64_t>();
    return;
  }
  // Integers built in code (json{{"seed", 5}}) are signed even when non-negative.
  if (!v.is_number_integer() || v.get<std::int64_t>() < 0)
    throw ConfigFieldError("must be a non-negative integer, got " + v.dump());
  out = static_cast<std::uint64_t>(v.get<std::int64_t>());
}

void parse_config_value(const nlohmann::json& v, double& out) {
  if (!v.is_number()) throw ConfigFieldError("must be a number, got " + v.dump());
  out = v.get<double>();
}

void parse_config_value(const nlohmann::json& v, bool& out) {
  if (!v.is_boolean()) throw ConfigFieldError("must be true or false, got " + v.dump());
  out = v.get<bool>();
}

void parse_config_value(const nlohmann::json& v, std::string& out) {
  if (!v.is_string()) throw ConfigFieldError("must be a string, got " + v.dump());
  out = v.get<std::string>();
}

void parse_config_value(const nlohmann::json& v, nlohmann::json& out) { out = v; }

const char* config_type_name(const int*) { return "integer"; }
const char* config_type_name(const std::uint64_t*) { return "integer >= 0"; }
const char* config_type_name(const double*) { return "number"; }
const char* config_type_name(const bool*) { return "bool"; }
const char* config_type_name(const std::string*) { return "string"; }
const char* config_type_name(const nlohmann::json*) { return "JSON"; }

}  // namespace tpp
