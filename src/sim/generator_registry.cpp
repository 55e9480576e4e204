#include "tpp/sim/generator_registry.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tpp/core/error.h"

namespace tpp {

// A function-local static, so generators registering from other objects' static initialisers find
// it constructed whatever the initialisation order.
GeneratorRegistry& GeneratorRegistry::instance() {
  static GeneratorRegistry registry;
  return registry;
}

bool GeneratorRegistry::add(const std::string& name, GeneratorEntry entry) {
  entries_[name] = std::move(entry);
  return true;
}

const GeneratorEntry& GeneratorRegistry::get(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end())
    throw Error(fmt::format("unknown process '{}' (known: {})", name, fmt::join(names(), ", ")));
  return it->second;
}

std::vector<std::string> GeneratorRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [key, _] : entries_) out.push_back(key);
  return out;
}

}  // namespace tpp
