// TEST SCAFFOLDING — remove when merging: src/sim/thinning.cpp (another branch) implements
// tpp::simulate_thinning. This minimal copy of the contract in include/tpp/sim/thinning.h only lets
// this branch's tests and CLI link; tests/sim/tests.cmake adds it only while that file is absent.
#include <algorithm>
#include <cmath>

#include "tpp/core/error.h"
#include "tpp/sim/thinning.h"

namespace tpp {

Sequence simulate_thinning(ThinningTarget& target, const ThinningOptions& options, Rng& rng,
                           const std::vector<Event>& stimuli) {
  Sequence seq;
  seq.t_start = options.t_start;
  seq.t_end = options.t_end;
  std::vector<double> lambda;
  std::size_t next_stimulus = 0, actions = 0;
  double t = options.t_start;
  auto flush_stimuli = [&](double until, bool inclusive) {
    while (next_stimulus < stimuli.size() &&
           (stimuli[next_stimulus].time < until || (inclusive && stimuli[next_stimulus].time == until))) {
      const Event& s = stimuli[next_stimulus++];
      if (s.time >= options.t_start && s.time <= options.t_end) {
        target.observe(s);
        seq.events.push_back(s);
      }
    }
  };
  flush_stimuli(t, true);
  while (t < options.t_end) {
    double window_end = std::min(options.t_end, t + options.lookahead);
    if (next_stimulus < stimuli.size()) window_end = std::min(window_end, std::max(t, stimuli[next_stimulus].time));
    const double bound = target.upper_bound(t, window_end);
    const double candidate = bound > 0 ? t + rng.exponential(bound) : window_end + 1.0;
    if (candidate > window_end) {
      t = window_end;
      flush_stimuli(t, true);
      continue;
    }
    t = candidate;
    target.intensities(t, lambda);
    double total = 0.0;
    for (double v : lambda) total += v;
    if (total > bound * (1 + 1e-9)) throw Error("simulate_thinning: intensity exceeds its upper bound");
    if (rng.uniform() * bound < total) {
      const int type = rng.categorical(lambda);
      Event e{t, type, false, {}, {}};
      target.observe(e);
      seq.events.push_back(e);
      if (++actions >= options.max_events) throw Error("simulate_thinning: max_events reached");
    }
  }
  flush_stimuli(options.t_end, true);
  return seq;
}

}  // namespace tpp
