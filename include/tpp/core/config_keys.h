#pragma once
// Closed JSON configs: a key the reader does not know is an error, so a misspelt setting never
// falls back to its default silently.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "tpp/core/error.h"

namespace tpp {

// Throws tpp::Error naming `what` when `config` is not an object or has a key outside `known`.
inline void check_known_keys(const nlohmann::json& config, const std::vector<std::string>& known,
                             const std::string& what) {
  if (!config.is_object()) throw Error(what + ": config must be a JSON object");
  for (const auto& item : config.items())
    if (std::find(known.begin(), known.end(), item.key()) == known.end())
      throw Error(fmt::format("{}: unknown field \"{}\" (known: {})", what, item.key(), fmt::join(known, ", ")));
}

}  // namespace tpp
