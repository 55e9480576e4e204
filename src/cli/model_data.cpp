#include "tpp/cli/model_data.h"

#include <ostream>

#include <nlohmann/json.hpp>

#include "tpp/core/error.h"
#include "tpp/data/io.h"

namespace tpp {

Dataset read_data_file(const std::string& path) { return read_dataset(path, ReadOptions{}); }

namespace {
std::string known_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}
}  // namespace

Dataset align_to_model(Dataset data, const Schema& schema, const TimeScale& scale, const std::string& where) {
  std::vector<int> action_map(data.schema.num_action_types), stimulus_map(data.schema.num_stimulus_types);
  auto name_of = [](const std::vector<std::string>& names, int id) {
    return id < static_cast<int>(names.size()) ? names[id] : std::to_string(id);
  };
  for (int k = 0; k < data.schema.num_action_types; ++k) {
    const std::string name = name_of(data.schema.action_names, k);
    action_map[k] = schema.action_id(name);
    if (action_map[k] < 0)
      throw DataError(where, 0, "type", "action type \"" + name + "\" is unknown to the model (known: " +
                                            known_names(schema.action_names) + ")");
  }
  for (int s = 0; s < data.schema.num_stimulus_types; ++s) {
    const std::string name = name_of(data.schema.stimulus_names, s);
    stimulus_map[s] = schema.stimulus_id(name);
    if (stimulus_map[s] < 0)
      throw DataError(where, 0, "type", "stimulus type \"" + name + "\" is unknown to the model (known: " +
                                            known_names(schema.stimulus_names) + ")");
  }
  for (auto& seq : data.sequences)
    for (auto& e : seq.events) {
      const auto& map = e.is_stimulus ? stimulus_map : action_map;
      if (e.type < 0 || e.type >= static_cast<int>(map.size()))
        throw DataError(where, 0, "type", "type id " + std::to_string(e.type) + " outside the file's schema");
      e.type = map[e.type];
    }
  data.schema = schema;
  data.time_scale = scale;
  return data;
}

}  // namespace tpp
