#pragma once
// Rules and field kinds the generator configs share on top of core/config_fields.h. Their numbers
// drive simulations, so the rules also reject infinities (a huge JSON literal parses to one).
#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/core/config_fields.h"

namespace tpp::generator_fields {

inline Rule<double> positive() {
  return {[](const double& v) { return v > 0 && std::isfinite(v); }, "positive"};
}

inline Rule<double> non_negative() {
  return {[](const double& v) { return v >= 0 && std::isfinite(v); }, ">= 0"};
}

// `ok` on finite values, said as `text` ("in [0, 1)").
inline Rule<double> finite_where(bool (*ok)(double), std::string text) {
  return {[ok](const double& v) { return std::isfinite(v) && ok(v); }, std::move(text)};
}

// A non-empty array of numbers, each passing `each`, stored in `member`.
template <class Config>
ConfigField<Config> number_list(std::string key, std::vector<double> Config::*member, std::string doc,
                                Rule<double> each) {
  ConfigField<Config> f;
  f.doc = {std::move(key), "array of numbers, non-empty, each " + each.text,
           nlohmann::json(Config{}.*member).dump(), std::move(doc)};
  f.read = [member, each](const nlohmann::json* v, Config& c) {
    if (!v) return;
    if (!v->is_array()) throw ConfigFieldError("must be an array of numbers, got " + v->dump());
    if (v->empty()) throw ConfigFieldError("must be non-empty");
    std::vector<double> values;
    for (const auto& x : *v) {
      if (!x.is_number() || !each.ok(x.get<double>()))
        throw ConfigFieldError("entries must be " + each.text + " numbers, got " + x.dump());
      values.push_back(x.get<double>());
    }
    c.*member = std::move(values);
  };
  f.write = [member](const Config& c) { return nlohmann::json(c.*member); };
  return f;
}

}  // namespace tpp::generator_fields
