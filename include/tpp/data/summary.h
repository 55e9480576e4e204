#pragma once
// Descriptive statistics of a dataset (what `tpp inspect` prints).
#include <nlohmann/json.hpp>

#include <vector>

#include "tpp/data/dataset.h"

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

}  // namespace tpp
