#pragma once
// One user's next event after the last one the data holds (the open interval of its sequence), in
// file time units and type names: what `tpp predict --user` prints, for a person to read or as JSON.
// The law comes from the user's incremental state (infer/state_prediction.h), so it is the same as
// a served prediction after the same events.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/infer/predictor.h"

namespace tpp {

struct NextEvent {
  std::string user;
  std::size_t actions{0};        // actions observed
  std::size_t stimuli{0};        // stimuli observed
  double last_time{0};           // the last observed event (the window start when there is none)
  std::string last_type;         // its type name; empty when there is none
  double observed_until{0};      // the window's end: no event between last_time and it
  double expected_time{0};       // E[next time], absolute
  double median_time{0};         // median next time, absolute
  std::vector<std::string> top_types;  // most probable first
  std::vector<double> top_probabilities;
  double no_event_probability{0};  // P(no further event) where the intensity dies out
  bool converged{false};

  nlohmann::json to_json() const;
  // A few lines of plain English, e.g. "expected at 4.1 (0.68 after the last event)".
  std::string describe() const;
};

// The next event of the user named `user` in `data` (as read_data_file returns it), given that none
// occurred between the last event and the end of the user's window (a users file's t_end). Throws
// tpp::Error naming the users when there is none of that name.
NextEvent predict_user_next_event(const Predictor& predictor, const Dataset& data, const std::string& user,
                                  const PredictOptions& options = {}, const std::string& where = "data");

}  // namespace tpp
