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

SummaryAccumulator::SummaryAccumulator(const Schema& schema)
    : schema_(schema),
      action_counts_(std::max(0, schema.num_action_types), 0),
      stimulus_counts_(std::max(0, schema.num_stimulus_types), 0),
      min_start_(INFINITY),
      max_end_(-INFINITY) {}

void SummaryAccumulator::add(const Sequence& seq) {
  ++sequences_;
  lengths_.push_back(static_cast<double>(seq.events.size()));
  spans_.push_back(seq.t_end - seq.t_start);
  min_start_ = std::min(min_start_, seq.t_start);
  max_end_ = std::max(max_end_, seq.t_end);
  if (seq.events.empty()) ++empty_;
  if (seq.category >= 0) ++categories_[seq.category];
  for (std::size_t i = 0; i < seq.events.size(); ++i) {
    const Event& e = seq.events[i];
    ++events_;
    auto& counts = e.is_stimulus ? stimulus_counts_ : action_counts_;
    if (e.is_stimulus) ++stimuli_;
    if (e.type >= 0 && static_cast<std::size_t>(e.type) < counts.size()) ++counts[e.type];
    if (i > 0) gaps_.push_back(e.time - seq.events[i - 1].time);
  }
}

nlohmann::json SummaryAccumulator::finish(const TimeScale& time_scale) const {
  auto types = [](const std::vector<std::size_t>& counts, const std::vector<std::string>& names) {
    nlohmann::json list = nlohmann::json::array();
    for (std::size_t k = 0; k < counts.size(); ++k)
      list.push_back({{"id", k}, {"name", k < names.size() ? names[k] : std::to_string(k)}, {"count", counts[k]}});
    return list;
  };
  nlohmann::json cats = nlohmann::json::object();
  for (auto [c, n] : categories_)
    cats[c < static_cast<int>(schema_.category_names.size()) ? schema_.category_names[c] : std::to_string(c)] = n;
  return {{"sequences", sequences_},
          {"events", events_},
          {"actions", events_ - stimuli_},
          {"stimuli", stimuli_},
          {"stimulus_share", events_ ? static_cast<double>(stimuli_) / static_cast<double>(events_) : 0.0},
          {"empty_sequences", empty_},
          {"action_types", types(action_counts_, schema_.action_names)},
          {"stimulus_types", types(stimulus_counts_, schema_.stimulus_names)},
          {"sequence_length", to_json(summary_stats(lengths_))},
          {"gap", to_json(summary_stats(gaps_))},
          {"window_span", to_json(summary_stats(spans_))},
          {"window", {{"min_start", sequences_ == 0 ? 0.0 : min_start_}, {"max_end", sequences_ == 0 ? 0.0 : max_end_}}},
          {"user_feature_dim", schema_.user_feature_dim},
          {"event_meta_dim", schema_.event_meta_dim},
          {"categories", cats},
          {"time_scale", tpp::to_json(time_scale)}};
}

nlohmann::json summarize(const Dataset& data) {
  SummaryAccumulator summary(data.schema);
  for (const auto& seq : data.sequences) summary.add(seq);
  return summary.finish(data.time_scale);
}

nlohmann::json summarize(const EventStore& store) {
  constexpr std::size_t kPiece = 4096;  // sequences read at a time
  SummaryAccumulator summary(store.schema());
  for (std::size_t begin = 0; begin < store.size(); begin += kPiece) {
    std::vector<std::size_t> piece(std::min(kPiece, store.size() - begin));
    std::iota(piece.begin(), piece.end(), begin);
    for (const auto& seq : store.load(piece).sequences) summary.add(seq);
    store.release();
  }
  return summary.finish(TimeScale{});
}

}  // namespace tpp
