#pragma once
// What a process supplies to the one thinning loop (sim/thinning.h): its intensities given its own
// history, and an upper bound over a window. Plain doubles: simulation runs one event at a time.
#include <optional>
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
  // The first action after t given none in (last observed event, t], drawn exactly from a
  // closed-form law (inverse survival function, then the mark) by processes that have one; the
  // loop then does not thin. time = +inf: no further action ever (a defective law). nullopt (the
  // default): no closed form, the loop thins with upper_bound and intensities.
  struct Draw {
    double time;
    int type;
  };
  virtual std::optional<Draw> draw_next(double t, Rng& rng) { return std::nullopt; }
};

}  // namespace tpp
