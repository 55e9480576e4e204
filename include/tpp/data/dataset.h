#pragma once
// The data model: events, one user's sequence, and a dataset with its schema.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace tpp {

struct Event {
  double time{0.0};          // absolute time
  int type{0};               // action type in [0, K) or, for a stimulus, stimulus type in [0, K_s)
  bool is_stimulus{false};   // external stimulus (conditions the intensity, never in the likelihood)
  std::string text;          // optional free text
  std::vector<float> meta;   // optional metadata vector (e.g. a text embedding), schema.event_meta_dim long
};

struct Sequence {
  std::string user;
  int category{-1};             // user category for IPTW: an index into Schema::category_names; -1 unknown
  std::vector<float> features;  // user feature vector, schema.user_feature_dim long (or empty)
  double t_start{0.0};          // observation window [t_start, t_end]
  double t_end{0.0};
  std::vector<Event> events;    // sorted by time; ties kept in file order
  // Events before this index are history only: they condition the intensity but are not
  // predicted (ExPERT's test protocol, see data/split.h). 0: every event is a target.
  std::size_t first_target{0};

  std::size_t num_actions() const;
};

struct Schema {
  int num_action_types{0};
  int num_stimulus_types{0};
  std::vector<std::string> action_names;    // num_action_types names ("0","1",... if unnamed)
  std::vector<std::string> stimulus_names;  // num_stimulus_types names
  // affects[s] = action types stimulus type s can affect (ExPERT's X(k)); empty vector = all.
  std::vector<std::vector<int>> affects;
  int user_feature_dim{0};
  int event_meta_dim{0};
  // User categories (IPTW's confounder) by id, as the users file or the category column names
  // them; empty when the data has none.
  std::vector<std::string> category_names;

  int num_types_total() const { return num_action_types + num_stimulus_types; }
  // Action type id of a name, or -1.
  int action_id(const std::string& name) const;
  int stimulus_id(const std::string& name) const;
  int category_id(const std::string& name) const;
  bool stimulus_affects(int stimulus_type, int action_type) const;
};

// Event times stay in file units; batches convert them to model units,
// t_model = (t_file - offset) * scale. The transform is saved with a model and undone on output.
struct TimeScale {
  double offset{0.0};
  double scale{1.0};
  double to_model(double t) const { return (t - offset) * scale; }
  double to_file(double t) const { return t / scale + offset; }
  double duration_to_file(double d) const { return d / scale; }
};

struct Dataset {
  Schema schema;
  std::vector<Sequence> sequences;
  TimeScale time_scale;

  std::size_t num_events() const;
  std::size_t num_actions() const;
};

nlohmann::json to_json(const Schema& schema);
Schema schema_from_json(const nlohmann::json& j);
nlohmann::json to_json(const TimeScale& scale);
TimeScale time_scale_from_json(const nlohmann::json& j);

}  // namespace tpp
