#include "tpp/data/dataset.h"

#include <algorithm>

#include "tpp/core/error.h"

namespace tpp {

std::size_t Sequence::num_actions() const {
  return static_cast<std::size_t>(
      std::count_if(events.begin(), events.end(), [](const Event& e) { return !e.is_stimulus; }));
}

namespace {
int find_name(const std::vector<std::string>& names, const std::string& name) {
  auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}
}  // namespace

int Schema::action_id(const std::string& name) const { return find_name(action_names, name); }
int Schema::stimulus_id(const std::string& name) const { return find_name(stimulus_names, name); }
int Schema::category_id(const std::string& name) const { return find_name(category_names, name); }

bool Schema::stimulus_affects(int stimulus_type, int action_type) const {
  if (stimulus_type < 0 || stimulus_type >= static_cast<int>(affects.size())) return true;
  const auto& set = affects[stimulus_type];
  return set.empty() || std::find(set.begin(), set.end(), action_type) != set.end();
}

std::size_t Dataset::num_events() const {
  std::size_t n = 0;
  for (const auto& s : sequences) n += s.events.size();
  return n;
}

std::size_t Dataset::num_actions() const {
  std::size_t n = 0;
  for (const auto& s : sequences) n += s.num_actions();
  return n;
}

nlohmann::json to_json(const Schema& schema) {
  nlohmann::json j = {{"num_action_types", schema.num_action_types},
                      {"num_stimulus_types", schema.num_stimulus_types},
                      {"action_names", schema.action_names},
                      {"stimulus_names", schema.stimulus_names},
                      {"affects", schema.affects},
                      {"user_feature_dim", schema.user_feature_dim},
                      {"event_meta_dim", schema.event_meta_dim}};
  // Written only when present, so schemas of data without categories stay as they were.
  if (!schema.category_names.empty()) j["category_names"] = schema.category_names;
  return j;
}

Schema schema_from_json(const nlohmann::json& j) {
  Schema s;
  try {
    s.num_action_types = j.at("num_action_types").get<int>();
    s.num_stimulus_types = j.value("num_stimulus_types", 0);
    s.action_names = j.value("action_names", std::vector<std::string>{});
    s.stimulus_names = j.value("stimulus_names", std::vector<std::string>{});
    s.affects = j.value("affects", std::vector<std::vector<int>>{});
    s.user_feature_dim = j.value("user_feature_dim", 0);
    s.event_meta_dim = j.value("event_meta_dim", 0);
    s.category_names = j.value("category_names", std::vector<std::string>{});
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("schema: ") + e.what());
  }
  if (s.num_action_types <= 0) throw Error("schema: num_action_types must be positive");
  for (int k = static_cast<int>(s.action_names.size()); k < s.num_action_types; ++k)
    s.action_names.push_back(std::to_string(k));
  for (int k = static_cast<int>(s.stimulus_names.size()); k < s.num_stimulus_types; ++k)
    s.stimulus_names.push_back(std::to_string(k));
  return s;
}

nlohmann::json to_json(const TimeScale& scale) { return {{"offset", scale.offset}, {"scale", scale.scale}}; }

TimeScale time_scale_from_json(const nlohmann::json& j) {
  TimeScale t;
  t.offset = j.value("offset", 0.0);
  t.scale = j.value("scale", 1.0);
  if (!(t.scale > 0)) throw Error("time_scale: scale must be positive");
  return t;
}

}  // namespace tpp
