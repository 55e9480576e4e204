#include "tpp/data/summary.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace tpp {

SummaryStats summary_stats(std::vector<double> values) {
  SummaryStats s;
  s.count = values.size();
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.min = values.front();
  s.max = values.back();
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  std::size_t mid = values.size() / 2;
  s.median = values.size() % 2 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
  return s;
}

namespace {
nlohmann::json to_json(const SummaryStats& s) {
  return {{"count", s.count}, {"min", s.min}, {"mean", s.mean}, {"median", s.median}, {"max", s.max}};
}
}  // namespace

nlohmann::json summarize(const Dataset& data) {
  const Schema& schema = data.schema;
  std::vector<std::size_t> action_counts(std::max(0, schema.num_action_types), 0);
  std::vector<std::size_t> stimulus_counts(std::max(0, schema.num_stimulus_types), 0);
  std::vector<double> lengths, gaps, spans;
  std::size_t events = 0, stimuli = 0, empty = 0;
  std::map<int, std::size_t> categories;
  double min_start = INFINITY, max_end = -INFINITY;
  for (const auto& seq : data.sequences) {
    lengths.push_back(static_cast<double>(seq.events.size()));
    spans.push_back(seq.t_end - seq.t_start);
    min_start = std::min(min_start, seq.t_start);
    max_end = std::max(max_end, seq.t_end);
    if (seq.events.empty()) ++empty;
    if (seq.category >= 0) ++categories[seq.category];
    for (std::size_t i = 0; i < seq.events.size(); ++i) {
      const Event& e = seq.events[i];
      ++events;
      auto& counts = e.is_stimulus ? stimulus_counts : action_counts;
      if (e.is_stimulus) ++stimuli;
      if (e.type >= 0 && static_cast<std::size_t>(e.type) < counts.size()) ++counts[e.type];
      if (i > 0) gaps.push_back(e.time - seq.events[i - 1].time);
    }
  }
  auto types = [](const std::vector<std::size_t>& counts, const std::vector<std::string>& names) {
    nlohmann::json list = nlohmann::json::array();
    for (std::size_t k = 0; k < counts.size(); ++k)
      list.push_back({{"id", k}, {"name", k < names.size() ? names[k] : std::to_string(k)}, {"count", counts[k]}});
    return list;
  };
  nlohmann::json cats = nlohmann::json::object();
  for (auto [c, n] : categories)
    cats[c < static_cast<int>(schema.category_names.size()) ? schema.category_names[c] : std::to_string(c)] = n;
  return {{"sequences", data.sequences.size()},
          {"events", events},
          {"actions", events - stimuli},
          {"stimuli", stimuli},
          {"stimulus_share", events ? static_cast<double>(stimuli) / static_cast<double>(events) : 0.0},
          {"empty_sequences", empty},
          {"action_types", types(action_counts, schema.action_names)},
          {"stimulus_types", types(stimulus_counts, schema.stimulus_names)},
          {"sequence_length", to_json(summary_stats(lengths))},
          {"gap", to_json(summary_stats(gaps))},
          {"window_span", to_json(summary_stats(spans))},
          {"window", {{"min_start", data.sequences.empty() ? 0.0 : min_start},
                      {"max_end", data.sequences.empty() ? 0.0 : max_end}}},
          {"user_feature_dim", schema.user_feature_dim},
          {"event_meta_dim", schema.event_meta_dim},
          {"categories", cats},
          {"time_scale", tpp::to_json(data.time_scale)}};
}

}  // namespace tpp
