#pragma once
// Descriptive statistics of a dataset (what `tpp inspect` prints).
#include <nlohmann/json.hpp>

#include <map>
#include <vector>

#include "tpp/data/dataset.h"
#include "tpp/data/event_store.h"

namespace tpp {

struct SummaryStats {
  std::size_t count{0};
  double min{0}, mean{0}, median{0}, max{0};  // all 0 when count is 0
};
// Median of an even count is the mean of the two middle values.
SummaryStats summary_stats(std::vector<double> values);

// {"sequences", "events", "actions", "stimuli", "stimulus_share", "empty_sequences",
//  "action_types": [{"id","name","count"}], "stimulus_types": [...],
//  "sequence_length": stats, "gap": stats (between consecutive events of a sequence, file units),
//  "window_span": stats (t_end − t_start), "window": {"min_start", "max_end"},
//  "user_feature_dim", "event_meta_dim", "categories": {category: sequences}, "time_scale"}
// where stats = {"count","min","mean","median","max"}.
nlohmann::json summarize(const Dataset& data);
// The same of a store, read a piece at a time: memory holds one piece of sequences plus one double
// per event (the gaps, for their median), never the events themselves.
nlohmann::json summarize(const EventStore& store);

// summarize's pass: sequences added one at a time, the summary made at the end.
class SummaryAccumulator {
 public:
  explicit SummaryAccumulator(const Schema& schema);
  void add(const Sequence& seq);
  nlohmann::json finish(const TimeScale& time_scale) const;

 private:
  const Schema& schema_;
  std::vector<std::size_t> action_counts_, stimulus_counts_;
  std::vector<double> lengths_, gaps_, spans_;
  std::size_t sequences_{0}, events_{0}, stimuli_{0}, empty_{0};
  std::map<int, std::size_t> categories_;
  double min_start_, max_end_;
};

}  // namespace tpp
