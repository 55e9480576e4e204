#pragma once
// The log of repeated action delivery: per user, three kinds of events on one clock (docs/policy.md).
//   user event   {"user": "u1", "time": 3.2, "kind": "event", "type": "purchase"}
//   opportunity  {"user": "u1", "time": 4.0, "kind": "opportunity"}
//   action       {"user": "u1", "time": 4.0, "kind": "action", "type": "email", "propensity": 0.3}
//   window end   {"user": "u1", "time": 10.0, "kind": "end"}
// An action is the platform's choice at the opportunity just before it (same time; "none" is a
// choice too, so every opportunity is followed by one action), with the probability the logging
// policy gave it (optional: off-policy estimates need it). Each user's window is [0, end]; the
// quiet time after the last event is right-censored in the likelihood.
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace tpp {

enum class EventKind { UserEvent = 0, Opportunity = 1, Action = 2 };

struct LoggedEvent {
  double time{0.0};
  EventKind kind{EventKind::UserEvent};
  int mark{0};  // user event type or action type; 0 for an opportunity
  double propensity{std::numeric_limits<double>::quiet_NaN()};  // actions: logging probability (NaN: not logged)
};

struct UserHistory {
  std::string user;
  double t_end{0.0};  // window [0, t_end]
  std::vector<LoggedEvent> events;
  int hidden_type{-1};  // the simulator's user type (written as "user_type" on end rows); never read by models
};

// The names that give marks their meaning: user event types, and action types with "none" first.
struct ActionSchema {
  std::vector<std::string> event_types;
  std::vector<std::string> action_types;
  int num_event_types() const { return static_cast<int>(event_types.size()); }
  int num_action_types() const { return static_cast<int>(action_types.size()); }
  // Throws tpp::Error naming `where` unless both lists are non-empty, names unique, action 0 "none".
  void validate(const std::string& where) const;
};

struct ActionLog {
  ActionSchema schema;
  std::vector<UserHistory> users;
  std::size_t num_events() const;
};

// Reads a log (JSONL as above; users in order of first appearance, rows of a user in time order).
// Errors are tpp::DataError naming file, line and field: unknown kind or type, non-finite or
// decreasing time, an action not at an opportunity's time, a propensity outside (0, 1], events after
// the end row, a user without an end row.
ActionLog read_action_log(const std::string& path, const ActionSchema& schema);
// Writes the log, each user's rows then its end row; to a temporary file renamed into place.
void write_action_log(const ActionLog& log, const std::string& path);

}  // namespace tpp
