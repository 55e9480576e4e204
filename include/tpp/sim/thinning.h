#pragma once
// The one thinning loop (Ogata 1981). A process supplies its intensities given its own history and
// an upper bound over a window; the loop proposes from the bound and accepts with λ/M.
#include <limits>
#include <vector>

#include "tpp/core/rng.h"
#include "tpp/data/dataset.h"

namespace tpp {

class ThinningTarget {
 public:
  virtual ~ThinningTarget() = default;
  virtual int num_types() const = 0;
  // M >= Σ_k λ_k(s) for every s in [t, t_until], given the history observed so far.
  virtual double upper_bound(double t, double t_until) = 0;
  // λ_k(t) for t at or after the last observed event; out is resized to num_types().
  virtual void intensities(double t, std::vector<double>& out) = 0;
  // Appends an event (an accepted action, or an exogenous stimulus) to the history.
  virtual void observe(const Event& event) = 0;
};

struct ThinningOptions {
  double t_start{0.0};
  double t_end{1.0};
  std::size_t max_events{10'000'000};
  // Longest window one bound is asked for; shorter windows give tighter bounds for processes
  // whose intensity can grow between events.
  double lookahead{std::numeric_limits<double>::infinity()};
};

// Simulates actions on [t_start, t_end]. `stimuli` (sorted, is_stimulus set) are observed at their
// times and returned in the sequence with the actions. Throws if the bound is ever violated.
Sequence simulate_thinning(ThinningTarget& target, const ThinningOptions& options, Rng& rng,
                           const std::vector<Event>& stimuli = {});

}  // namespace tpp
