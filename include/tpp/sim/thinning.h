#pragma once
// The one thinning loop (Ogata 1981): proposes from the target's bound and accepts with λ/M; a
// target with a closed-form next-event law (ThinningTarget::draw_next) is drawn from exactly instead.
#include <limits>
#include <vector>

#include "tpp/core/rng.h"
#include "tpp/data/dataset.h"
#include "tpp/models/thinning_target.h"

namespace tpp {

struct ThinningOptions {
  double t_start{0.0};
  double t_end{1.0};
  std::size_t max_events{10'000'000};
  // true: stop after max_events actions (sampling the next n events); false: more is an error.
  bool stop_at_max_events{false};
  // Longest window one bound is asked for; shorter windows give tighter bounds for processes
  // whose intensity can grow between events.
  double lookahead{std::numeric_limits<double>::infinity()};
};

// Simulates actions on [t_start, t_end]. `stimuli` (sorted, is_stimulus set) are observed at their
// times and returned in the sequence with the actions. Throws if the bound is ever violated.
Sequence simulate_thinning(ThinningTarget& target, const ThinningOptions& options, Rng& rng,
                           const std::vector<Event>& stimuli = {});

}  // namespace tpp
