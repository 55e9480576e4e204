// TEST-ONLY STAND-IN for the data layer's read_dataset (written by the data helper). tests/cli/
// tests.cmake compiles it only while no library source defines read_dataset, so the CLI verbs
// link on this branch; once the real reader is merged this file is unused and can be deleted.
// Reads event-log JSON lines {"user","time","type","stimulus"} only; window [min(0, t_first), t_last].
#include <algorithm>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "tpp/core/error.h"
#include "tpp/data/io.h"

namespace tpp {

Dataset read_dataset(const std::string& path, const ReadOptions&) {
  std::ifstream in(path);
  if (!in) throw DataError(path, 0, "", "cannot open");
  struct Row {
    std::string user;
    double time;
    std::string type;
    bool stimulus;
  };
  std::vector<Row> rows;
  std::string text;
  std::size_t line = 0;
  bool numeric = true;
  while (std::getline(in, text)) {
    ++line;
    if (text.empty()) continue;
    try {
      auto j = nlohmann::json::parse(text);
      Row r;
      r.user = j.at("user").is_string() ? j.at("user").get<std::string>() : j.at("user").dump();
      r.time = j.at("time").get<double>();
      numeric = numeric && j.at("type").is_number_integer();
      r.type = j.at("type").is_string() ? j.at("type").get<std::string>() : j.at("type").dump();
      r.stimulus = j.value("stimulus", false);
      rows.push_back(r);
    } catch (const nlohmann::json::exception& e) {
      throw DataError(path, line, "", e.what());
    }
  }
  if (rows.empty()) throw DataError(path, 0, "", "empty file");
  Dataset data;
  std::map<std::string, int> action_ids, stimulus_ids;
  auto id_of = [&](std::map<std::string, int>& ids, std::vector<std::string>& names, const std::string& name) {
    auto it = ids.find(name);
    if (it != ids.end()) return it->second;
    int id = numeric ? std::stoi(name) : static_cast<int>(names.size());
    ids[name] = id;
    if (static_cast<int>(names.size()) <= id) names.resize(id + 1);
    names[id] = name;
    return id;
  };
  std::map<std::string, std::size_t> sequence_of;
  for (const auto& r : rows) {
    auto [it, fresh] = sequence_of.emplace(r.user, data.sequences.size());
    if (fresh) {
      data.sequences.emplace_back();
      data.sequences.back().user = r.user;
    }
    Event e;
    e.time = r.time;
    e.is_stimulus = r.stimulus;
    e.type = r.stimulus ? id_of(stimulus_ids, data.schema.stimulus_names, r.type)
                        : id_of(action_ids, data.schema.action_names, r.type);
    data.sequences[it->second].events.push_back(e);
  }
  for (std::size_t k = 0; k < data.schema.action_names.size(); ++k)
    if (data.schema.action_names[k].empty()) data.schema.action_names[k] = std::to_string(k);
  data.schema.num_action_types = static_cast<int>(data.schema.action_names.size());
  data.schema.num_stimulus_types = static_cast<int>(data.schema.stimulus_names.size());
  for (auto& s : data.sequences) {
    std::stable_sort(s.events.begin(), s.events.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
    s.t_start = std::min(0.0, s.events.front().time);
    s.t_end = s.events.back().time;
  }
  return data;
}

}  // namespace tpp
