#include "tpp/sim/thinning.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "tpp/core/error.h"

namespace tpp {

namespace {
// Tolerated excess of Σλ over the bound: rounding in the bound's and the intensity's formulas.
constexpr double kBoundSlack = 1e-9;

void check_stimuli(const std::vector<Event>& stimuli, const ThinningOptions& options) {
  for (std::size_t i = 0; i < stimuli.size(); ++i) {
    const Event& s = stimuli[i];
    const std::string where = "thinning: stimulus " + std::to_string(i) + ": ";
    if (!s.is_stimulus) throw Error(where + "is_stimulus is not set");
    if (s.type < 0) throw Error(where + "negative type");
    if (!(s.time >= options.t_start && s.time <= options.t_end))
      throw Error(where + "time " + std::to_string(s.time) + " is outside [t_start, t_end]");
    if (i > 0 && s.time < stimuli[i - 1].time) throw Error(where + "stimuli are not sorted by time");
  }
}
}  // namespace

Sequence simulate_thinning(ThinningTarget& target, const ThinningOptions& options, Rng& rng,
                           const std::vector<Event>& stimuli) {
  if (!(std::isfinite(options.t_start) && std::isfinite(options.t_end) && options.t_end >= options.t_start))
    throw Error("thinning: need finite t_start <= t_end");
  if (!(options.lookahead > 0)) throw Error("thinning: lookahead must be positive");
  check_stimuli(stimuli, options);

  Sequence seq;
  seq.t_start = options.t_start;
  seq.t_end = options.t_end;
  const int K = target.num_types();
  std::vector<double> lambda(K);
  std::size_t next_stimulus = 0, num_actions = 0;
  double t = options.t_start;

  while (true) {
    // Stimuli due now are observed before any proposal beyond them.
    while (next_stimulus < stimuli.size() && stimuli[next_stimulus].time <= t) {
      target.observe(stimuli[next_stimulus]);
      seq.events.push_back(stimuli[next_stimulus++]);
    }
    if (t >= options.t_end) break;
    const double stimulus_time = next_stimulus < stimuli.size() ? stimuli[next_stimulus].time : options.t_end;
    const double horizon = std::min({options.t_end, stimulus_time, t + options.lookahead});
    if (auto draw = target.draw_next(t, rng)) {
      // Exact draw from the target's closed-form law given no action in (last event, t]. Beyond the
      // window, move to its end: the next draw conditions on the longer quiet period (and on a
      // stimulus observed there), so the result is the same law as one draw without windows.
      if (!(draw->time < horizon)) {
        t = horizon;
        continue;
      }
      if (draw->type < 0 || draw->type >= K) throw Error("thinning: drawn type out of range");
      t = std::max(t, draw->time);
      Event e{t, draw->type, false, {}, {}};
      target.observe(e);
      seq.events.push_back(e);
      if (++num_actions >= options.max_events && options.stop_at_max_events) return seq;
      if (num_actions > options.max_events)
        throw Error("thinning: more than " + std::to_string(options.max_events) +
                    " events on one sequence (is the process explosive?)");
      continue;
    }
    const double bound = target.upper_bound(t, horizon);
    if (std::isnan(bound) || bound < 0)
      throw Error("thinning: invalid intensity bound " + std::to_string(bound) + " at t = " + std::to_string(t));
    if (std::isinf(bound))
      throw Error("thinning: infinite intensity bound at t = " + std::to_string(t) +
                  " (a process whose intensity grows between events needs a finite lookahead)");
    const double candidate = bound > 0 ? t + rng.exponential(bound) : horizon;
    if (candidate >= horizon) {
      // No event before the window closes: move to its end and ask for a new bound there.
      t = horizon;
      continue;
    }
    t = candidate;
    target.intensities(t, lambda);
    double total = 0;
    for (double x : lambda) {
      if (!(x >= 0)) throw Error("thinning: invalid intensity " + std::to_string(x) + " at t = " + std::to_string(t));
      total += x;
    }
    if (total > bound * (1 + kBoundSlack))
      throw Error("thinning: intensity " + std::to_string(total) + " exceeds its bound " + std::to_string(bound) +
                  " at t = " + std::to_string(t));
    const double u = rng.uniform() * bound;
    if (u >= total) continue;  // rejected
    int type = K - 1;
    double cumulative = 0;
    for (int k = 0; k < K; ++k) {
      cumulative += lambda[k];
      if (u < cumulative) {
        type = k;
        break;
      }
    }
    // Rounding can leave u at the total: fall back to the last type with positive intensity.
    while (type > 0 && lambda[type] <= 0) --type;
    Event e{t, type, false, {}, {}};
    target.observe(e);
    seq.events.push_back(e);
    if (++num_actions >= options.max_events && options.stop_at_max_events) return seq;
    if (num_actions > options.max_events)
      throw Error("thinning: more than " + std::to_string(options.max_events) +
                  " events on one sequence (is the process explosive?)");
  }
  return seq;
}

}  // namespace tpp
