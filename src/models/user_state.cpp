#include "tpp/models/user_state.h"

#include <fmt/format.h>

#include "tpp/core/error.h"
#include "tpp/models/model.h"

namespace tpp {

UserState::UserState(const Schema& schema, const Sequence& user, const Context& ctx)
    : schema_(schema), user_(user), ctx_(ctx), t_start_(user.t_start), last_time_(user.t_start) {
  user_.events.clear();
}

void UserState::observe(const Event& event) {
  if (!(event.time >= last_time_))
    throw Error(fmt::format("user state: event at {} precedes the last observed time {}", event.time, last_time_));
  const int K = schema_.num_action_types;
  const int limit = event.is_stimulus ? schema_.num_stimulus_types : K;
  if (event.type < 0 || event.type >= limit)
    throw Error(fmt::format("user state: {} type {} outside [0, {})", event.is_stimulus ? "stimulus" : "action",
                            event.type, limit));
  const int64_t token = event.is_stimulus ? K + event.type : event.type;
  advance(event, event.time - t_start_, token, event.time - last_time_);
  last_time_ = event.time;
  ++num_events_;
}

torch::Tensor UserState::intensity_at(Model& model, const std::vector<double>& times) {
  std::vector<double> elapsed(times.size());
  for (std::size_t s = 0; s < times.size(); ++s) {
    if (!(times[s] >= last_time_)) throw Error("user state: intensity asked before the last observed event");
    elapsed[s] = times[s] - last_time_;
  }
  return intensity_after(model, elapsed);
}

torch::Tensor UserState::intensity_direct(Model&, const std::vector<double>&) { return {}; }

torch::Tensor UserState::intensity_after(Model& model, const std::vector<double>& elapsed) {
  torch::NoGradGuard no_grad;
  for (double e : elapsed)
    if (!(e >= 0)) throw Error("user state: intensity asked before the last observed event");
  if (auto direct = intensity_direct(model, elapsed); direct.defined()) return direct;
  const History& h = current();
  const int64_t open = open_interval(), intervals = h.start.size(1), S = static_cast<int64_t>(elapsed.size());
  // Filled through an accessor: one tensor operation per element would dominate a served query.
  auto grid = torch::zeros({1, intervals, S}, torch::kFloat64);
  auto e = grid.accessor<double, 3>();
  for (int64_t s = 0; s < S; ++s) e[0][open][s] = elapsed[s];
  return model.intensity(h, grid.to(h.start.options()))[0][open].to(torch::kCPU, torch::kFloat64).contiguous();
}

double UserState::upper_bound(Model& model, double window) {
  torch::NoGradGuard no_grad;
  const History& h = current();
  auto w = torch::zeros({1, h.start.size(1)}, torch::kFloat64);
  w.accessor<double, 2>()[0][open_interval()] = window;
  return model.intensity_upper_bound(h, w.to(h.start.options()))[0][open_interval()].item<double>();
}

const Batch& UserState::empty_batch() const {
  if (!empty_batch_) {
    Dataset one;
    one.schema = schema_;
    one.sequences.push_back(user_);
    one.sequences.back().t_end = user_.t_start;
    empty_batch_ = std::make_shared<const Batch>(make_batch(one, ctx_));
  }
  return *empty_batch_;
}

History UserState::open_history() const {
  History h;
  h.batch = empty_batch();
  h.start = torch::full({1, 1}, last_time_ - t_start_, h.batch.time.options());
  return h;
}

ReencodingState::ReencodingState(Model& model, const Schema& schema, const Sequence& user, const Context& ctx)
    : UserState(schema, user, ctx), model_(model) {
  data_.schema = schema;
  data_.sequences.push_back(user_);
}

ReencodingState::~ReencodingState() = default;

void ReencodingState::advance(const Event& event, double, int64_t, double) {
  data_.sequences.front().events.push_back(event);
  encoded_.reset();
}

const History& ReencodingState::current() {
  if (!encoded_) {
    torch::NoGradGuard no_grad;
    auto& seq = data_.sequences.front();
    seq.t_end = last_time_;  // only the open interval is queried, so the window may end at its start
    encoded_ = std::make_unique<History>(model_.encode(make_batch(data_, ctx_)));
  }
  return *encoded_;
}

}  // namespace tpp
