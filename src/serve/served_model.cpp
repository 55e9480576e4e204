#include "tpp/serve/served_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "tpp/core/blas.h"
#include "tpp/core/error.h"
#include "tpp/infer/state_prediction.h"

namespace tpp {

nlohmann::json ServedPrediction::to_json() const {
  auto probabilities = nlohmann::json::object();
  for (const auto& [type, p] : type_probability) probabilities[type] = p;
  auto top = nlohmann::json::array();
  for (const auto& [type, p] : top_k) top.push_back({{"type", type}, {"probability", p}});
  auto finite_or_null = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); };
  return {{"as_of", as_of},
          {"last_event_time", last_event_time},
          {"num_events", num_events},
          {"expected_time", finite_or_null(expected_time)},
          {"median_time", finite_or_null(median_time)},
          {"type_probability", probabilities},
          {"top_k", top},
          {"no_event_probability", no_event_probability},
          {"converged", converged}};
}

ServedModel::ServedModel(SavedModel saved, Context context, PredictOptions predict)
    : saved_(std::move(saved)), schema_(saved_.schema), context_(context), predict_(predict) {
  check_predict_options(predict_);
  if (saved_.config.contains("user_ids")) {
    user_ids_ = UserIdFeaturizer::from_json(saved_.config.at("user_ids"));
    schema_.user_feature_dim -= user_ids_->size();
  }
  saved_.model->eval();
  name_ = saved_.model->name();
  serialized_ = !blas_info().thread_safe;
}

std::unique_ptr<UserState> ServedModel::build_state(const StoredUser& user) const {
  const auto one_call_at_a_time = model_call();
  torch::NoGradGuard no_grad;
  Sequence header;
  header.user = user.user;
  header.features = model_features(user);
  header.t_start = saved_.time_scale.to_model(user.t_start);
  header.t_end = header.t_start;
  auto state = saved_.model->start(saved_.schema, header, context_);
  for (const auto& e : user.events) step(*state, e);
  return state;
}

std::vector<float> ServedModel::model_features(const StoredUser& user) const {
  if (!user_ids_) return user.features;
  Sequence seq;
  seq.user = user.user;
  seq.features = user.features;
  user_ids_->append(seq, schema_.user_feature_dim);
  return seq.features;
}

std::unique_lock<std::mutex> ServedModel::model_call() const {
  return serialized_ ? std::unique_lock<std::mutex>(model_mutex_) : std::unique_lock<std::mutex>();
}

void ServedModel::observe(UserState& state, const Event& event) const {
  const auto one_call_at_a_time = model_call();
  torch::NoGradGuard no_grad;
  step(state, event);
}

void ServedModel::step(UserState& state, const Event& event) const {
  Event e = event;
  e.time = saved_.time_scale.to_model(event.time);
  state.observe(e);
}

std::vector<std::vector<double>> ServedModel::per_file_unit(const torch::Tensor& lambda) const {
  auto a = lambda.accessor<double, 2>();
  // A rate per model unit is scale times a rate per file unit: dt_model = scale · dt_file.
  const double scale = saved_.time_scale.scale;
  std::vector<std::vector<double>> out(lambda.size(0), std::vector<double>(lambda.size(1)));
  for (int64_t s = 0; s < lambda.size(0); ++s)
    for (int64_t k = 0; k < lambda.size(1); ++k) out[s][k] = a[s][k] * scale;
  return out;
}

ServedPrediction ServedModel::predict(UserState& state, double as_of, int top_k) const {
  const int K = saved_.schema.num_action_types;
  if (top_k < 1 || top_k > K) throw Error(fmt::format("top_k: {} is outside [1, {}]", top_k, K));
  const TimeScale& scale = saved_.time_scale;
  const double last = scale.to_file(state.last_time());
  double quiet = 0;
  if (!std::isnan(as_of)) {
    if (!(as_of >= last))
      throw Error(fmt::format("as_of: {} precedes the user's last event at {}", as_of, last));
    quiet = std::max(0.0, scale.to_model(as_of) - state.last_time());
  }
  PredictOptions options = predict_;
  options.top_k = top_k;
  StatePrediction p;
  {
    const auto one_call_at_a_time = model_call();
    p = predict_from_state(*saved_.model, state, options, quiet);
  }
  ServedPrediction out;
  out.last_event_time = last;
  out.as_of = std::isnan(as_of) ? last : as_of;
  out.num_events = state.num_events();
  // predict_from_state measures from the last event; the reply's times are absolute.
  out.expected_time = scale.to_file(state.last_time() + p.expected_time);
  out.median_time = options.median ? scale.to_file(state.last_time() + p.median_time)
                                   : std::numeric_limits<double>::quiet_NaN();
  const auto& names = saved_.schema.action_names;
  for (int k = 0; k < K; ++k) out.type_probability.emplace_back(names[k], p.type_probability[k]);
  for (std::size_t j = 0; j < p.top_k_type.size(); ++j)
    out.top_k.emplace_back(names[p.top_k_type[j]], p.top_k_probability[j]);
  out.no_event_probability = p.no_event_probability;
  out.converged = p.converged;
  return out;
}

std::vector<std::vector<double>> ServedModel::intensity(UserState& state, const std::vector<double>& times) const {
  std::vector<double> model_times(times.size());
  for (std::size_t s = 0; s < times.size(); ++s) model_times[s] = saved_.time_scale.to_model(times[s]);
  torch::Tensor lambda;
  {
    const auto one_call_at_a_time = model_call();
    lambda = state.intensity_at(*saved_.model, model_times);  // [S, K] per model unit
  }
  return per_file_unit(lambda);
}

std::vector<std::vector<double>> ServedModel::intensity_over_history(const StoredUser& user,
                                                                     const std::vector<double>& times) const {
  torch::NoGradGuard no_grad;
  if (times.empty()) return {};
  for (std::size_t s = 0; s < times.size(); ++s) {
    if (!(times[s] >= user.t_start)) throw Error(fmt::format("from: {} precedes the user's window start {}", times[s], user.t_start));
    if (s > 0 && !(times[s] >= times[s - 1])) throw Error("times must be non-decreasing");
  }
  const TimeScale& ts = saved_.time_scale;
  // File units with the model's time scale: make_batch converts, as for any data set.
  Dataset one;
  one.schema = saved_.schema;
  one.time_scale = ts;
  Sequence seq;
  seq.user = user.user;
  seq.features = model_features(user);
  seq.t_start = user.t_start;
  seq.events = user.events;
  seq.t_end = std::max(seq.events.empty() ? seq.t_start : seq.events.back().time, times.back());
  one.sequences.push_back(std::move(seq));
  const Batch batch = make_batch(one, context_);
  const auto one_call_at_a_time = model_call();
  History history = saved_.model->encode(batch);
  // Each time's interval: the number of events at or before it (the value just after an event,
  // as a state that has observed it gives), and its elapsed time (model units) from that
  // interval's start.
  const auto& events = user.events;
  const int64_t Q = static_cast<int64_t>(times.size());
  auto interval = torch::zeros({1, Q}, torch::kLong);
  auto elapsed = torch::zeros({1, Q}, torch::kFloat64);
  auto ia = interval.accessor<int64_t, 2>();
  auto ea = elapsed.accessor<double, 2>();
  std::size_t i = 0;
  for (int64_t q = 0; q < Q; ++q) {
    while (i < events.size() && events[i].time <= times[q]) ++i;
    ia[0][q] = static_cast<int64_t>(i);
    const double from = i == 0 ? user.t_start : events[i - 1].time;
    ea[0][q] = std::max(0.0, ts.to_model(times[q]) - ts.to_model(from));
  }
  return per_file_unit(
      intensity_at(*saved_.model, history, interval, elapsed)[0].to(torch::kCPU, torch::kFloat64).contiguous());
}

}  // namespace tpp
