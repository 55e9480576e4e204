#pragma once
// Sampling any Model with the one thinning loop (sim/thinning.h): a generic ThinningTarget that
// re-encodes the growing history with encode() and bounds with intensity_upper_bound(), and
// multi-step generation from a history prefix. Times here are absolute, in model units.
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "tpp/core/context.h"
#include "tpp/core/rng.h"
#include "tpp/data/dataset.h"
#include "tpp/models/model.h"
#include "tpp/models/thinning_target.h"

namespace tpp {

// Works for every model through its incremental user state (Model::start): O(1) per event for
// RNN and classical models, O(n) for THP's key/value cache, a re-encode for models without their
// own state.
class ModelThinningTarget : public ThinningTarget {
 public:
  // `history` holds the events observed so far and its t_start; the model is borrowed.
  ModelThinningTarget(Model& model, const Schema& schema, const Sequence& history, Context ctx = {});
  int num_types() const override;
  double upper_bound(double t, double t_until) override;
  void intensities(double t, std::vector<double>& out) override;
  void observe(const Event& event) override;
  // Exact draw by the model's closed-form next-event law (Model::next_event_law), if it has one.
  std::optional<Draw> draw_next(double t, Rng& rng) override;
  std::size_t num_events() const { return state_->num_events(); }

 private:
  Model& model_;
  std::unique_ptr<UserState> state_;
};

// The model's own scalar simulator fed with `history` when it has one and `prefer_model_target`,
// otherwise a ModelThinningTarget (which borrows `model`).
std::unique_ptr<ThinningTarget> make_thinning_target(Model& model, const Schema& schema, const Sequence& history,
                                                     bool prefer_model_target = true, const Context& ctx = {});

struct GenerateOptions {
  int num_events{1};    // n: actions to sample after the prefix
  int num_samples{100};  // M
  // Window after prefix.t_end; a sample stops early at its end. Must be finite unless lookahead is.
  double horizon{std::numeric_limits<double>::infinity()};
  double lookahead{std::numeric_limits<double>::infinity()};  // passed to the thinning loop
  std::uint64_t seed{0};
  bool prefer_model_target{true};
};

struct GeneratedEvents {
  std::vector<std::vector<Event>> samples;        // M samples of at most n actions each
  std::vector<double> mean_time;                  // [n] mean time of the j-th sampled action
  std::vector<std::vector<double>> type_frequency;  // [n][K] type frequencies of the j-th action
  std::vector<std::size_t> reached;               // [n] samples that produced a j-th action
};

// Samples the next n actions after `prefix` (its events are the history; sampling starts at
// prefix.t_end) M times; stimuli are not generated.
GeneratedEvents generate_next_events(Model& model, const Schema& schema, const Sequence& prefix,
                                     const GenerateOptions& options, const Context& ctx = {});

// `num_sequences` sequences on [0, horizon] (model units, identity time scale); sequence i is
// user "i" drawn with stream_seed(seed, i).
Dataset simulate_dataset(Model& model, const Schema& schema, std::size_t num_sequences, double horizon,
                         std::uint64_t seed, bool prefer_model_target = true, const Context& ctx = {});
// The same sequences handed to `sink` one at a time as they are drawn, none kept (a simulation
// written straight into a store holds one sequence at a time).
void simulate_sequences(Model& model, const Schema& schema, std::size_t num_sequences, double horizon, std::uint64_t seed,
                        bool prefer_model_target, const Context& ctx, const std::function<void(Sequence&)>& sink);

}  // namespace tpp
