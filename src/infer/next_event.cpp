#include "tpp/infer/next_event.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "tpp/core/error.h"
#include "tpp/infer/state_prediction.h"

namespace tpp {

nlohmann::json NextEvent::to_json() const {
  nlohmann::json top = nlohmann::json::array();
  for (std::size_t i = 0; i < top_types.size(); ++i)
    top.push_back({{"type", top_types[i]}, {"probability", top_probabilities[i]}});
  return {{"user", user},
          {"actions", actions},
          {"stimuli", stimuli},
          {"last_time", last_time},
          {"last_type", last_type.empty() ? nlohmann::json(nullptr) : nlohmann::json(last_type)},
          {"observed_until", observed_until},
          {"predicted_time", expected_time},
          {"median_time", median_time},
          {"top_k", top},
          {"no_event_probability", no_event_probability},
          {"converged", converged}};
}

std::string NextEvent::describe() const {
  std::string out = fmt::format("user {}: {} actions", user, actions);
  if (stimuli > 0) out += fmt::format(" and {} stimuli", stimuli);
  out += last_type.empty() ? fmt::format(" observed; the window opens at time {:.4g}\n", last_time)
                           : fmt::format(" observed; the last, of type {}, at time {:.4g}\n", last_type, last_time);
  if (observed_until > last_time) out += fmt::format("  nothing since, up to time {:.4g}\n", observed_until);
  out += fmt::format("  next event expected at time {:.4g} ({:.3g} after the last); even odds it comes by {:.4g}\n",
                     expected_time, expected_time - last_time, median_time);
  if (!top_types.empty()) {
    out += fmt::format("  most likely type: {} ({:.0f}%)", top_types[0], 100 * top_probabilities[0]);
    for (std::size_t i = 1; i < top_types.size(); ++i)
      out += fmt::format("{} {} ({:.0f}%)", i == 1 ? ", then" : ",", top_types[i], 100 * top_probabilities[i]);
    out += "\n";
  }
  if (no_event_probability >= 0.005)  // shown as a whole percentage, so smaller is noise here
    out += fmt::format("  the model gives {:.0f}% to no further event at all; the times above assume one comes\n",
                       100 * no_event_probability);
  if (!converged) out += "  (the quadrature did not reach its tolerance: read the times as approximate)\n";
  return out;
}

NextEvent predict_user_next_event(const Predictor& predictor, const Dataset& raw, const std::string& user,
                                  const PredictOptions& options, const std::string& where) {
  std::size_t index = raw.sequences.size();
  for (std::size_t i = 0; i < raw.sequences.size(); ++i)
    if (raw.sequences[i].user == user) index = i;
  if (index == raw.sequences.size()) {
    std::string some;
    for (std::size_t i = 0; i < raw.sequences.size() && i < 5; ++i)
      some += (i ? ", " : "") + raw.sequences[i].user;
    throw Error(fmt::format("{}: no user '{}' ({} users: {}{})", where, user, raw.sequences.size(), some,
                            raw.sequences.size() > 5 ? ", ..." : ""));
  }
  Dataset one = raw;
  one.sequences = {raw.sequences[index]};
  Dataset data = predictor.prepare(std::move(one), where);
  const SavedModel& saved = predictor.model();
  const TimeScale& scale = data.time_scale;
  Sequence seq = data.sequences.front();
  NextEvent next;
  next.user = seq.user;
  next.last_time = seq.t_start;
  for (const auto& e : seq.events) {
    (e.is_stimulus ? next.stimuli : next.actions) += 1;
    next.last_time = e.time;
    next.last_type = e.is_stimulus ? saved.schema.stimulus_names.at(e.type) : saved.schema.action_names.at(e.type);
  }
  next.observed_until = std::max(seq.t_end, next.last_time);
  // The state runs in model units, as the model was trained.
  seq.t_start = scale.to_model(seq.t_start);
  seq.t_end = scale.to_model(seq.t_end);
  for (auto& e : seq.events) e.time = scale.to_model(e.time);

  torch::NoGradGuard no_grad;
  saved.model->eval();
  auto state = saved.model->start(saved.schema, seq, predictor.context());
  const double quiet = std::max(0.0, seq.t_end - state->last_time());
  const StatePrediction p = predict_from_state(*saved.model, *state, options, quiet);
  next.expected_time = scale.to_file(state->last_time() + p.expected_time);
  next.median_time = scale.to_file(state->last_time() + p.median_time);
  for (std::size_t i = 0; i < p.top_k_type.size(); ++i) {
    next.top_types.push_back(saved.schema.action_names.at(p.top_k_type[i]));
    next.top_probabilities.push_back(p.top_k_probability[i]);
  }
  next.no_event_probability = p.no_event_probability;
  next.converged = p.converged;
  return next;
}

}  // namespace tpp
