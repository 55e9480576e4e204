#pragma once
// A user's state for one-event-at-a-time work: a served user's next event, sampling, policy
// rollouts. A state advances by one observed event and exposes the open interval after the last
// event as interval open_interval() of a History, so Model::intensity, intensity_upper_bound and
// predict_next_event work on it unchanged.
//
// Costs per observed event: RNN models O(1) (one cell step), attention models O(n) with a
// key/value cache (ExPERT one cache per stimulus-visibility pattern), classical models by their
// recursions; a model without its own state uses ReencodingState, which re-encodes the history on
// the next query (correct for every model).
// infer/state_prediction.h predicts the next event from a state.
// States run in evaluation mode without gradients; the model must outlive its states.
#include <torch/torch.h>

#include <cstdint>
#include <memory>

#include "tpp/core/context.h"
#include "tpp/data/batch.h"
#include "tpp/data/dataset.h"

namespace tpp {

class Model;
struct History;

class UserState {
 public:
  virtual ~UserState() = default;
  // Appends an event: absolute time in the user's units (those of Sequence::t_start), at or after
  // the last observed one; type and is_stimulus as in Event. Throws tpp::Error otherwise.
  void observe(const Event& event);
  // The History whose interval open_interval() runs from the last event (t_start before any).
  virtual const History& current() = 0;
  virtual int64_t open_interval() const = 0;

  double t_start() const { return t_start_; }
  double last_time() const { return last_time_; }  // absolute; t_start before any event
  std::size_t num_events() const { return num_events_; }
  // λ_k at absolute times t >= last_time(): [S] -> [S, K] (double, CPU).
  torch::Tensor intensity_at(Model& model, const std::vector<double>& times);
  // λ_k at times elapsed since last_time(), each >= 0: [S] -> [S, K] (double, CPU).
  torch::Tensor intensity_after(Model& model, const std::vector<double>& elapsed);
  // M >= Σ_k λ_k on [last_time(), last_time() + window].
  double upper_bound(Model& model, double window);

 protected:
  UserState(const Schema& schema, const Sequence& user, const Context& ctx);
  // Model-specific advance by one event; `relative` is its time − t_start, `token` its batch type
  // (action k, stimulus K + s), `gap` the time since the previous event (or t_start).
  virtual void advance(const Event& event, double relative, int64_t token, double gap) = 0;
  // λ_k on the open interval at `elapsed` (each >= 0) as [S, K] (double, CPU) from the state's own
  // prepared factors, for a model whose History pass at batch 1 is dominated by kernel dispatch (a
  // served query makes several such calls). Undefined (the default) to use model.intensity on
  // current(); a state that answers must equal it.
  virtual torch::Tensor intensity_direct(Model& model, const std::vector<double>& elapsed);
  // A one-sequence batch with no events (L = 0) carrying the user's features: the Batch of a
  // one-interval History built from a state. Made on first use and kept: it depends only on the
  // user's header, and building it was 8% of a served request.
  const Batch& empty_batch() const;
  // The one-interval History of a state: batch = empty_batch(), start = the last event's
  // relative time.
  History open_history() const;

  Schema schema_;
  Sequence user_;  // header only (user id, features, t_start); events are not kept here
  Context ctx_;
  double t_start_{0.0};
  double last_time_{0.0};
  std::size_t num_events_{0};

 private:
  mutable std::shared_ptr<const Batch> empty_batch_;
};

// Keeps the events and re-encodes them on the next query after a change: O(encode) per event.
class ReencodingState : public UserState {
 public:
  ReencodingState(Model& model, const Schema& schema, const Sequence& user, const Context& ctx);
  ~ReencodingState() override;
  const History& current() override;
  int64_t open_interval() const override { return static_cast<int64_t>(data_.sequences.front().events.size()); }

 private:
  void advance(const Event& event, double relative, int64_t token, double gap) override;
  Model& model_;
  Dataset data_;  // one sequence, identity time scale
  std::unique_ptr<History> encoded_;
};

}  // namespace tpp
