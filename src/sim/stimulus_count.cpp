#include "tpp/sim/stimulus_count.h"

#include <algorithm>
#include <cmath>

#include "tpp/core/error.h"
#include "tpp/core/rng.h"
#include "tpp/sim/generator_fields.h"
#include "tpp/sim/generator_registry.h"
#include "tpp/sim/thinning.h"

namespace tpp {

const ConfigFields<StimulusCountConfig>& StimulusCountConfig::fields() {
  using C = StimulusCountConfig;
  namespace g = generator_fields;
  static const auto fields =
      ConfigFields<C>("stimulus_count")
          .field("mu", &C::mu, "background rate μ", g::positive())
          .field("alpha", &C::alpha, "branching ratio α of the kernel α β e^{−βt}",
                 g::finite_where([](double v) { return v >= 0 && v < 1; }, "in [0, 1)"))
          .field("beta", &C::beta, "decay β of the self-excitation", g::positive())
          .field("num_stimuli", &C::num_stimuli, "number K of stimuli", rules::non_negative<int>())
          .field("stimulus_slope", &C::stimulus_slope, "slope b_k of every stimulus's ramp (the text's β_k)",
                 g::non_negative())
          .field("onset_ratio", &C::onset_ratio, "γ_k of every stimulus: stimulus k acts from t_k/γ_k",
                 g::finite_where([](double v) { return v > 0 && v <= 1; }, "in (0, 1]"))
          .field("scale", &C::scale, "time scale s of the ramps", g::positive())
          .field("t_end", &C::t_end, "end of the window [0, t_end]", g::positive())
          .field("placement", &C::placement,
                 "\"onsets\": t_k = γ k T/(K+1), so every stimulus acts; \"uniform\": t_k = k T/(K+1); "
                 "\"random\": t_k uniform in [0, γT), drawn per sequence",
                 rules::one_of({"onsets", "uniform", "random"}));
  return fields;
}

StimulusCountConfig StimulusCountConfig::from_json(const nlohmann::json& j) {
  StimulusCountConfig c;
  fields().read(j, c);
  return c;
}

nlohmann::json StimulusCountConfig::to_json() const { return fields().write(*this); }

std::vector<double> StimulusCountConfig::stimulus_times() const {
  if (placement == "random") throw std::logic_error("stimulus_count: random stimulus times are drawn per sequence");
  std::vector<double> times;
  const double spread = placement == "onsets" ? onset_ratio * t_end : t_end;
  for (int k = 1; k <= num_stimuli; ++k) times.push_back(spread * k / (num_stimuli + 1));
  return times;
}

std::vector<double> StimulusCountConfig::stimulus_times(Rng& rng) const {
  if (placement != "random") return stimulus_times();
  std::vector<double> times;
  for (int k = 0; k < num_stimuli; ++k) times.push_back(rng.uniform() * onset_ratio * t_end);
  std::sort(times.begin(), times.end());
  return times;
}

StimulusCountTarget::StimulusCountTarget(StimulusCountConfig config)
    : config_(std::move(config)), stimulus_times_(config_.stimulus_times()) {}

StimulusCountTarget::StimulusCountTarget(StimulusCountConfig config, std::vector<double> stimulus_times)
    : config_(std::move(config)), stimulus_times_(std::move(stimulus_times)) {}

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
  ThinningOptions options;
  options.t_start = 0.0;
  options.t_end = config.t_end;
  // A window of one decay time keeps both the ramp's growth and the excitation's decay inside it small.
  options.lookahead = 1.0 / config.beta;
  for (std::size_t i = 0; i < n_seq; ++i) {
    Rng rng(stream_seed(seed, i));
    // Random placements draw from a stream of their own, so the fixed ones keep their sequences.
    Rng placement_rng(stream_seed(stream_seed(seed, 0x5715), i));
    const auto times = config.stimulus_times(placement_rng);
    std::vector<Event> stimuli;
    for (std::size_t k = 0; k < times.size(); ++k)
      stimuli.push_back(Event{times[k], 0, true, "stimulus " + std::to_string(k + 1) + " of " + std::to_string(times.size()), {}});
    StimulusCountTarget target(config, times);
    Sequence seq = simulate_thinning(target, options, rng, stimuli);
    seq.user = "u" + std::to_string(i);
    seq.t_start = 0.0;
    seq.t_end = config.t_end;
    out.data.sequences.push_back(std::move(seq));
    out.truth.push_back({{"stimulus_times", times}});
  }
  return out;
}

namespace {

// The truth entry holds the sequence's stimulus times (drawn per sequence under "random").
std::unique_ptr<GroundTruthTarget> stimulus_count_target(const StimulusCountConfig& config, const nlohmann::json& truth) {
  if (config.placement != "random") return std::make_unique<StimulusCountTarget>(config);
  if (!truth.is_object() || !truth.contains("stimulus_times") || !truth["stimulus_times"].is_array())
    throw Error("stimulus_count truth: \"stimulus_times\" is required with placement \"random\"");
  std::vector<double> times;
  for (const auto& t : truth["stimulus_times"]) {
    if (!t.is_number() || !std::isfinite(t.get<double>())) throw Error("stimulus_count truth: stimulus_times: must be finite numbers");
    times.push_back(t.get<double>());
  }
  return std::make_unique<StimulusCountTarget>(config, std::move(times));
}

}  // namespace

TPP_REGISTER_GENERATOR(stimulus_count, StimulusCountConfig, generate_stimulus_count, stimulus_count_target)

}  // namespace tpp
