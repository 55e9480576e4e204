#include "tpp/sim/complex_stimuli.h"

#include <algorithm>
#include <cmath>

#include "tpp/core/error.h"
#include "tpp/core/rng.h"
#include "tpp/sim/generator_fields.h"
#include "tpp/sim/generator_registry.h"
#include "tpp/sim/thinning.h"

namespace tpp {

namespace {

constexpr double kPi = 3.14159265358979323846;
const std::vector<std::string> kParamNames{"A", "M", "Gamma_d", "Gamma_o", "Gamma_h", "v", "b", "p", "c"};

// Whether a drawn value lies in the parameter's valid range (README, "Readings").
bool in_range(const std::string& name, double x, double deadline) {
  if (name == "A") return x >= 0 && x < 1;
  if (name == "M") return x >= 0 && x < deadline;
  if (name == "Gamma_d" || name == "Gamma_o" || name == "Gamma_h") return x >= 0;
  if (name == "v") return x > 0;
  if (name == "b") return x > 0 && x < 1;
  if (name == "c") return x >= 1;
  return std::isfinite(x);  // p
}

// exp(−(ln x)²/v) / (√(2πv) x), evaluated in log space; 0 outside x > 0.
double log_normal_bump(double x, double v) {
  if (!(x > 0)) return 0.0;
  const double u = std::log(x);
  return std::exp(-u * u / v - u - 0.5 * std::log(2 * kPi * v));
}

}  // namespace

const ConfigFields<ComplexStimuliParams>& ComplexStimuliParams::fields() {
  using P = ComplexStimuliParams;
  // Ranges depend on the config's deadline, so ComplexStimuliConfig::validate checks them.
  static const auto fields = ConfigFields<P>("complex_stimuli parameters")
                                 .field("A", &P::alpha, "branching ratio of the self-excitation")
                                 .field("M", &P::m, "margin before the deadline, in units of s")
                                 .field("Gamma_d", &P::gamma_d, "weight of the deadline term")
                                 .field("Gamma_o", &P::gamma_o, "weight of the starting term")
                                 .field("Gamma_h", &P::gamma_h, "weight of the periodic term")
                                 .field("v", &P::v, "spread of the log-normal deadline bump")
                                 .field("b", &P::b, "decay base of the starting term b^{t/s}")
                                 .field("p", &P::p, "phase of the periodic term")
                                 .field("c", &P::c, "offset of the periodic term");
  return fields;
}

nlohmann::json ComplexStimuliParams::to_json() const { return fields().write(*this); }

ComplexStimuliParams ComplexStimuliParams::from_json(const nlohmann::json& j) {
  ComplexStimuliParams p;
  fields().read(j, p);
  return p;
}

namespace {

using Priors = std::map<std::string, std::pair<double, double>>;

nlohmann::json priors_json(const Priors& priors) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, ms] : priors) out[name] = {ms.first, ms.second};
  return out;
}

// "priors": {name: [mean, sd]} for some of the parameters; the others keep their prior.
ConfigField<ComplexStimuliConfig> priors_field() {
  ConfigField<ComplexStimuliConfig> f;
  std::string names;
  for (const auto& name : kParamNames) names += (names.empty() ? "" : ", ") + name;
  f.doc = {"priors", "object: " + names + ", each [mean, sd >= 0]", priors_json(ComplexStimuliConfig{}.priors).dump(),
           "normal prior (mean, sd) of each parameter, truncated to its range; given ones replace the paper's"};
  f.read = [names](const nlohmann::json* v, ComplexStimuliConfig& c) {
    if (!v) return;
    if (!v->is_object()) throw ConfigFieldError("must be an object, got " + v->dump());
    for (const auto& item : v->items()) {
      if (std::find(kParamNames.begin(), kParamNames.end(), item.key()) == kParamNames.end())
        throw ConfigFieldError("has no parameter \"" + item.key() + "\" (known: " + names + ")");
      const nlohmann::json& pair = item.value();
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number() || !pair[1].is_number() ||
          !std::isfinite(pair[0].get<double>()) || !(pair[1].get<double>() >= 0) ||
          !std::isfinite(pair[1].get<double>()))
        throw ConfigFieldError("entry \"" + item.key() + "\" must be [mean, sd >= 0], got " + pair.dump());
      c.priors[item.key()] = {pair[0].get<double>(), pair[1].get<double>()};
    }
  };
  f.write = [](const ComplexStimuliConfig& c) { return priors_json(c.priors); };
  return f;
}

}  // namespace

const ConfigFields<ComplexStimuliConfig>& ComplexStimuliConfig::fields() {
  using C = ComplexStimuliConfig;
  namespace g = generator_fields;
  static const auto fields =
      ConfigFields<C>("complex_stimuli")
          .field("t_end", &C::t_end, "end of the window [0, t_end]", g::positive())
          .field("scale", &C::scale, "s: period of the stimulation, decay unit of the start, deadline unit",
                 g::positive())
          .field("deadline", &C::deadline, "d, in units of s", g::positive())
          .field("beta", &C::beta, "decay β of the self-excitation", g::positive())
          .add(priors_field());
  return fields;
}

ComplexStimuliConfig ComplexStimuliConfig::from_json(const nlohmann::json& j) {
  ComplexStimuliConfig c;
  fields().read(j, c);
  return c;
}

nlohmann::json ComplexStimuliConfig::to_json() const { return fields().write(*this); }

ComplexStimuliParams ComplexStimuliConfig::draw(Rng& rng) const {
  std::map<std::string, double> value;
  for (const std::string& name : kParamNames) {
    const auto [mean, sd] = priors.at(name);
    bool found = false;
    // Rejection keeps the normal's shape inside the valid range; a prior with almost no mass there
    // is a configuration error, not something to loop on forever.
    for (int attempt = 0; attempt < 100000 && !found; ++attempt) {
      const double x = sd > 0 ? rng.normal(mean, sd) : mean;
      if (in_range(name, x, deadline)) {
        value[name] = x;
        found = true;
      } else if (sd == 0) {
        break;
      }
    }
    if (!found) throw Error("complex_stimuli: prior of " + name + " has (almost) no mass in its valid range");
  }
  ComplexStimuliParams p;
  p.alpha = value["A"];
  p.m = value["M"];
  p.gamma_d = value["Gamma_d"];
  p.gamma_o = value["Gamma_o"];
  p.gamma_h = value["Gamma_h"];
  p.v = value["v"];
  p.b = value["b"];
  p.p = value["p"];
  p.c = value["c"];
  return p;
}

void ComplexStimuliConfig::validate(const ComplexStimuliParams& p) const {
  const std::vector<std::pair<std::string, double>> values{{"A", p.alpha}, {"M", p.m},   {"Gamma_d", p.gamma_d},
                                                           {"Gamma_o", p.gamma_o}, {"Gamma_h", p.gamma_h},
                                                           {"v", p.v},   {"b", p.b},     {"p", p.p}, {"c", p.c}};
  for (const auto& [name, x] : values)
    if (!in_range(name, x, deadline))
      throw Error("complex_stimuli parameters: " + name + " = " + std::to_string(x) + " is outside its valid range");
}

ComplexStimuliTarget::ComplexStimuliTarget(ComplexStimuliConfig config, ComplexStimuliParams params)
    : config_(std::move(config)), params_(params) {
  config_.validate(params_);
}

double ComplexStimuliTarget::periodic_term(double t) const {
  return params_.gamma_h * (std::sin(2 * kPi * (t + params_.p) / config_.scale) + params_.c);
}

double ComplexStimuliTarget::starting_term(double t) const {
  return params_.gamma_o * std::pow(params_.b, t / config_.scale);
}

double ComplexStimuliTarget::deadline_term(double t) const {
  return params_.gamma_d * log_normal_bump(config_.deadline - params_.m - t / config_.scale, params_.v);
}

double ComplexStimuliTarget::excitation(double t) const {
  return params_.alpha * config_.beta * decayed_sum_ * std::exp(-config_.beta * std::max(0.0, t - last_time_));
}

double ComplexStimuliTarget::personal_deadline() const { return config_.scale * (config_.deadline - params_.m); }

void ComplexStimuliTarget::intensities(double t, std::vector<double>& out) {
  out.assign(1, periodic_term(t) + starting_term(t) + deadline_term(t) + excitation(t));
}

double ComplexStimuliTarget::upper_bound(double t, double t_until) {
  t_until = std::max(t, t_until);
  // Periodic: the largest sine over the phase interval.
  const double th0 = 2 * kPi * (t + params_.p) / config_.scale, th1 = 2 * kPi * (t_until + params_.p) / config_.scale;
  double sine = std::max(std::sin(th0), std::sin(th1));
  const double first_peak = kPi / 2 + 2 * kPi * std::ceil((th0 - kPi / 2) / (2 * kPi));
  if (first_peak <= th1) sine = 1.0;
  const double periodic = params_.gamma_h * (sine + params_.c);
  // Deadline: the bump is unimodal in x = d − m − t/s (mode e^{−v/2}); x falls as t grows.
  const double x_hi = config_.deadline - params_.m - t / config_.scale;
  const double x_lo = std::max(0.0, config_.deadline - params_.m - t_until / config_.scale);
  double bump = 0.0;
  if (x_hi > 0) {
    const double mode = std::exp(-params_.v / 2);
    bump = (x_lo <= mode && mode <= x_hi) ? log_normal_bump(mode, params_.v)
                                          : std::max(log_normal_bump(x_lo, params_.v), log_normal_bump(x_hi, params_.v));
  }
  const double bound = periodic + starting_term(t) + params_.gamma_d * bump + excitation(t);
  return bound * (1 + 1e-12);  // round-off in the separately evaluated terms
}

void ComplexStimuliTarget::observe(const Event& event) {
  if (event.is_stimulus) return;  // the stimuli are functions of the drawn parameters
  decayed_sum_ = decayed_sum_ * std::exp(-config_.beta * (event.time - last_time_)) + 1.0;
  last_time_ = event.time;
}

void ComplexStimuliTarget::breakpoints(double t0, double t1, std::vector<double>& out) const {
  // The deadline bump lives on a log scale of the time left: cut at D − s e^{−k/2} so each piece
  // sees it vary smoothly, down to far below its mode e^{−v/2}.
  const double D = personal_deadline();
  if (D > t0 && D < t1) out.push_back(D);
  const int last = static_cast<int>(std::ceil(params_.v + 12 * std::sqrt(params_.v) + 20));
  for (int k = -8; k <= last; ++k) {
    const double cut = D - config_.scale * std::exp(-0.5 * k);
    if (cut > t0 && cut < t1) out.push_back(cut);
  }
}

std::vector<double> ComplexStimuliTarget::peak_times() const {
  std::vector<double> times;
  const double s = config_.scale;
  // sin(2π(t+p)/s) = 1 at t = s(1/4 + n) − p.
  for (double n = std::ceil((params_.p) / s - 0.25);; n += 1) {
    const double t = s * (0.25 + n) - params_.p;
    if (t > config_.t_end) break;
    if (t >= 0) times.push_back(t);
  }
  return times;
}

std::vector<Event> ComplexStimuliTarget::stimuli() const {
  std::vector<Event> events;
  events.push_back(Event{0.0, 0, true, "start of the course", {}});
  for (double t : peak_times()) events.push_back(Event{t, 1, true, "periodic reminder", {}});
  const double D = personal_deadline();
  if (D >= 0 && D <= config_.t_end) events.push_back(Event{D, 2, true, "assignment deadline", {}});
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
  return events;
}

GeneratedData generate_complex_stimuli(const ComplexStimuliConfig& config, std::size_t n_seq, std::uint64_t seed) {
  GeneratedData out;
  out.config = config.to_json();
  Schema& schema = out.data.schema;
  schema.num_action_types = 1;
  schema.num_stimulus_types = 3;
  schema.action_names = {"action"};
  schema.stimulus_names = {"start", "periodic_peak", "deadline"};
  schema.affects = {{0}, {0}, {0}};
  ThinningOptions options;
  options.t_start = 0.0;
  options.t_end = config.t_end;
  options.lookahead = std::min(1.0 / config.beta, config.scale / 10);
  for (std::size_t i = 0; i < n_seq; ++i) {
    Rng rng(stream_seed(seed, i));
    const ComplexStimuliParams params = config.draw(rng);
    ComplexStimuliTarget target(config, params);
    Sequence seq = simulate_thinning(target, options, rng, target.stimuli());
    seq.user = "u" + std::to_string(i);
    seq.t_start = 0.0;
    seq.t_end = config.t_end;
    out.data.sequences.push_back(std::move(seq));
    out.truth.push_back(params.to_json());
  }
  return out;
}

namespace {

// A sequence's truth entry holds the parameters drawn for it.
std::unique_ptr<GroundTruthTarget> complex_stimuli_target(const ComplexStimuliConfig& config,
                                                          const nlohmann::json& truth) {
  return std::make_unique<ComplexStimuliTarget>(config, ComplexStimuliParams::from_json(truth));
}

}  // namespace

TPP_REGISTER_GENERATOR(complex_stimuli, ComplexStimuliConfig, generate_complex_stimuli, complex_stimuli_target)

}  // namespace tpp
