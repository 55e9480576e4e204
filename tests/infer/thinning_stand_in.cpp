// TEST-ONLY STAND-IN for src/sim/thinning.cpp (written by the simulation helper). tests/infer/
// tests.cmake compiles it only while that file is missing from TPP_SOURCES, so the inference
// tests and `tpp simulate` link on this branch; once the real loop is merged this file is unused
// and can be deleted. A plain Ogata loop honouring the declared contract.
#include <algorithm>
#include <cmath>
#include <string>

#include "tpp/core/error.h"
#include "tpp/sim/thinning.h"

namespace tpp {

Sequence simulate_thinning(ThinningTarget& target, const ThinningOptions& options, Rng& rng,
                           const std::vector<Event>& stimuli) {
  Sequence out;
  out.t_start = options.t_start;
  out.t_end = options.t_end;
  std::size_t next_stimulus = 0, actions = 0;
  while (next_stimulus < stimuli.size() && stimuli[next_stimulus].time < options.t_start) ++next_stimulus;
  std::vector<double> lambda;
  double t = options.t_start;
  while (t < options.t_end && actions < options.max_events) {
    double until = std::min(options.t_end, t + options.lookahead);
    const bool stimulus_first = next_stimulus < stimuli.size() && stimuli[next_stimulus].time <= until;
    if (stimulus_first) until = stimuli[next_stimulus].time;
    const double bound = target.upper_bound(t, until);
    if (!(bound >= 0) || !std::isfinite(bound)) throw Error("thinning: invalid upper bound " + std::to_string(bound));
    const double proposal = bound > 0 ? t + rng.exponential(bound) : until;
    if (proposal >= until) {
      t = until;
      if (stimulus_first) {
        target.observe(stimuli[next_stimulus]);
        out.events.push_back(stimuli[next_stimulus++]);
      }
      continue;
    }
    t = proposal;
    target.intensities(t, lambda);
    double total = 0;
    for (double l : lambda) total += l;
    if (total > bound * (1 + 1e-9)) throw Error("thinning: intensity exceeds its bound");
    if (rng.uniform() * bound < total) {
      Event e;
      e.time = t;
      e.type = rng.categorical(lambda);
      target.observe(e);
      out.events.push_back(e);
      ++actions;
    }
  }
  return out;
}

}  // namespace tpp
