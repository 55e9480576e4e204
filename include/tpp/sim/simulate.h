#pragma once
// Simulates a dataset from a model with its current parameters, through the model's scalar
// simulator (Model::thinning_target) and the one thinning loop.
#include <cstdint>
#include <limits>
#include <vector>

#include "tpp/data/dataset.h"
#include "tpp/models/model.h"

namespace tpp {

struct SimulateOptions {
  std::size_t num_sequences{1};
  double t_start{0.0};
  double t_end{1.0};
  std::uint64_t seed{0};
  std::size_t max_events{10'000'000};  // per sequence
  double lookahead{std::numeric_limits<double>::infinity()};  // see ThinningOptions
};

// Sequence i is drawn from stream_seed(options.seed, i) (core/rng.h): same (seed, i), same
// sequence, whatever the number of sequences simulated.
// `stimuli`: empty, or one sorted list per sequence (is_stimulus set) observed at their times.
// Throws tpp::Error when the model has no scalar simulator.
Dataset simulate(const Model& model, const Schema& schema, const SimulateOptions& options,
                 const std::vector<std::vector<Event>>& stimuli = {});

}  // namespace tpp
