#include "tpp/sim/stimulus_count.h"

#include <algorithm>
#include <cmath>

#include "tpp/core/error.h"
#include "tpp/core/rng.h"
#include "tpp/sim/thinning.h"

namespace tpp {

namespace {
template <class T>
T read(const nlohmann::json& j, const char* key, T fallback) {
  try {
    return j.contains(key) ? j.at(key).get<T>() : fallback;
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("stimulus_count: ") + key + ": " + e.what());
  }
}
}  // namespace

StimulusCountConfig StimulusCountConfig::from_json(const nlohmann::json& j) {
  check_known_keys(j, {"mu", "alpha", "beta", "num_stimuli", "stimulus_slope", "onset_ratio", "scale", "t_end", "placement"},
                   "stimulus_count");
  StimulusCountConfig c;
  c.mu = read(j, "mu", c.mu);
  c.alpha = read(j, "alpha", c.alpha);
  c.beta = read(j, "beta", c.beta);
  c.num_stimuli = read(j, "num_stimuli", c.num_stimuli);
  c.stimulus_slope = read(j, "stimulus_slope", c.stimulus_slope);
  c.onset_ratio = read(j, "onset_ratio", c.onset_ratio);
  c.scale = read(j, "scale", c.scale);
  c.t_end = read(j, "t_end", c.t_end);
  c.placement = read(j, "placement", c.placement);
  auto fail = [](const std::string& why) { throw Error("stimulus_count: " + why); };
  if (!(c.mu > 0 && std::isfinite(c.mu))) fail("mu must be positive");
  if (!(c.alpha >= 0 && c.alpha < 1)) fail("alpha must lie in [0, 1) (branching ratio)");
  if (!(c.beta > 0 && std::isfinite(c.beta))) fail("beta must be positive");
  if (c.num_stimuli < 0) fail("num_stimuli must be >= 0");
  if (!(c.stimulus_slope >= 0 && std::isfinite(c.stimulus_slope))) fail("stimulus_slope must be >= 0");
  if (!(c.onset_ratio > 0 && c.onset_ratio <= 1)) fail("onset_ratio (gamma_k) must lie in (0, 1]");
  if (!(c.scale > 0 && std::isfinite(c.scale))) fail("scale must be positive");
  if (!(c.t_end > 0 && std::isfinite(c.t_end))) fail("t_end must be positive");
  if (c.placement != "onsets" && c.placement != "uniform") fail("placement must be 'onsets' or 'uniform'");
  return c;
}

nlohmann::json StimulusCountConfig::to_json() const {
  return {{"mu", mu},         {"alpha", alpha}, {"beta", beta},   {"num_stimuli", num_stimuli},
          {"stimulus_slope", stimulus_slope}, {"onset_ratio", onset_ratio}, {"scale", scale},
          {"t_end", t_end},   {"placement", placement}};
}

std::vector<double> StimulusCountConfig::stimulus_times() const {
  std::vector<double> times;
  const double spread = placement == "onsets" ? onset_ratio * t_end : t_end;
  for (int k = 1; k <= num_stimuli; ++k) times.push_back(spread * k / (num_stimuli + 1));
  return times;
}

StimulusCountTarget::StimulusCountTarget(StimulusCountConfig config)
    : config_(std::move(config)), stimulus_times_(config_.stimulus_times()) {}

double StimulusCountTarget::stimulus_term(double t) const {
  double sum = 0.0;
  for (double tk : stimulus_times_)
    if (config_.onset_ratio * t > tk) sum += config_.stimulus_slope * (t - tk) / config_.scale;
  return sum;
}

double StimulusCountTarget::excitation(double t) const {
  return config_.alpha * config_.beta * decayed_sum_ * std::exp(-config_.beta * std::max(0.0, t - last_time_));
}

double StimulusCountTarget::upper_bound(double t, double t_until) {
  // The ramps only grow and the excitation only decays between actions.
  return config_.mu + stimulus_term(std::max(t, t_until)) + excitation(t);
}

void StimulusCountTarget::intensities(double t, std::vector<double>& out) {
  out.assign(1, config_.mu + stimulus_term(t) + excitation(t));
}

void StimulusCountTarget::observe(const Event& event) {
  if (event.is_stimulus) return;  // the stimulus schedule is known from the config
  decayed_sum_ = decayed_sum_ * std::exp(-config_.beta * (event.time - last_time_)) + 1.0;
  last_time_ = event.time;
}

void StimulusCountTarget::breakpoints(double t0, double t1, std::vector<double>& out) const {
  for (double tk : stimulus_times_) {
    const double onset = tk / config_.onset_ratio;
    if (onset > t0 && onset < t1) out.push_back(onset);
  }
}

GeneratedData generate_stimulus_count(const StimulusCountConfig& config, std::size_t n_seq, std::uint64_t seed) {
  GeneratedData out;
  out.config = config.to_json();
  Schema& schema = out.data.schema;
  schema.num_action_types = 1;
  schema.num_stimulus_types = 1;
  schema.action_names = {"action"};
  schema.stimulus_names = {"stimulus"};
  schema.affects = {{0}};
  std::vector<Event> stimuli;
  const auto times = config.stimulus_times();
  for (std::size_t k = 0; k < times.size(); ++k)
    stimuli.push_back(Event{times[k], 0, true, "stimulus " + std::to_string(k + 1) + " of " + std::to_string(times.size()), {}});
  ThinningOptions options;
  options.t_start = 0.0;
  options.t_end = config.t_end;
  // A window of one decay time keeps both the ramp's growth and the excitation's decay inside it small.
  options.lookahead = 1.0 / config.beta;
  for (std::size_t i = 0; i < n_seq; ++i) {
    Rng rng(stream_seed(seed, i));
    StimulusCountTarget target(config);
    Sequence seq = simulate_thinning(target, options, rng, stimuli);
    seq.user = "u" + std::to_string(i);
    seq.t_start = 0.0;
    seq.t_end = config.t_end;
    out.data.sequences.push_back(std::move(seq));
    out.truth.push_back({{"stimulus_times", times}});
  }
  return out;
}

}  // namespace tpp
