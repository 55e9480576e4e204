#include "tpp/policy/simulator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "tpp/core/error.h"
#include "tpp/core/rng.h"

namespace tpp {

namespace {

using json = nlohmann::json;

// Closed-key JSON reading with the key path in every error.
class Reader {
 public:
  Reader(const json& j, std::string where, std::string path) : j_(j), where_(std::move(where)), path_(std::move(path)) {
    if (!j_.is_object()) fail("must be a JSON object");
  }
  [[noreturn]] void fail(const std::string& reason, const std::string& key = "") const {
    const std::string at = path_.empty() ? key : (key.empty() ? path_ : path_ + "." + key);
    throw Error(fmt::format("{}: {}{}", where_, at.empty() ? "" : at + ": ", reason));
  }
  void closed(const std::set<std::string>& keys) const {
    for (const auto& [k, v] : j_.items())
      if (!keys.count(k)) {
        std::string known;
        for (const auto& x : keys) known += (known.empty() ? "" : ", ") + x;
        fail(fmt::format("unknown key (known: {})", known), k);
      }
  }
  const json* find(const std::string& key) const {
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }
  double number(const std::string& key, double fallback, double lo, bool lo_open = false) const {
    const json* v = find(key);
    if (!v) return fallback;
    if (!v->is_number()) fail("must be a number", key);
    const double x = v->get<double>();
    if (!std::isfinite(x) || x < lo || (lo_open && x == lo))
      fail(fmt::format("must be finite and {} {}, got {}", lo_open ? ">" : ">=", lo, v->dump()), key);
    return x;
  }
  std::vector<double> numbers(const std::string& key, std::size_t size, double fallback) const {
    const json* v = find(key);
    if (!v) return std::vector<double>(size, fallback);
    if (!v->is_array() || v->size() != size) fail(fmt::format("must be an array of {} numbers", size), key);
    std::vector<double> out;
    for (const auto& x : *v) {
      if (!x.is_number() || !std::isfinite(x.get<double>()) || x.get<double>() < 0)
        fail(fmt::format("must hold numbers >= 0, got {}", x.dump()), key);
      out.push_back(x.get<double>());
    }
    return out;
  }
  std::vector<std::string> names(const std::string& key) const {
    const json* v = find(key);
    if (!v) fail("missing", key);
    if (!v->is_array()) fail("must be an array of names", key);
    std::vector<std::string> out;
    for (const auto& x : *v) {
      if (!x.is_string()) fail("must be an array of names", key);
      out.push_back(x.get<std::string>());
    }
    return out;
  }
  Reader child(const std::string& key, const json& value) const {
    return Reader(value, where_, path_.empty() ? key : path_ + "." + key);
  }

 private:
  const json& j_;
  std::string where_, path_;
};

double probability(const Reader& r, const std::string& key, double fallback) {
  const double p = r.number(key, fallback, 0.0);
  if (p > 1.0) r.fail(fmt::format("must be a probability in [0, 1], got {}", p), key);
  return p;
}

}  // namespace

SimulatorConfig parse_simulator_config(const json& j, const std::string& where) {
  Reader r(j, where, "");
  r.closed({"event_types", "actions", "user_types", "logging_policy", "fatigue_memory", "trait", "users", "window",
            "horizon"});
  SimulatorConfig c;
  c.schema.event_types = r.names("event_types");
  c.schema.action_types = r.names("actions");
  c.schema.validate(where);
  const std::size_t E = c.schema.event_types.size(), A = c.schema.action_types.size();
  c.logging_policy = r.numbers("logging_policy", A, 1.0 / static_cast<double>(A));
  double total = 0.0;
  for (double p : c.logging_policy) total += p;
  if (std::abs(total - 1.0) > 1e-9) r.fail(fmt::format("must sum to 1, sums to {}", total), "logging_policy");
  for (std::size_t a = 0; a < A; ++a)
    if (c.logging_policy[a] <= 0.0) r.fail("every action needs a positive logging probability (propensities)", "logging_policy");
  c.fatigue_memory = r.number("fatigue_memory", c.fatigue_memory, 0.0, true);
  if (const json* t = r.find("trait")) {
    Reader tr = r.child("trait", *t);
    tr.closed({"effect", "logging_tilt"});
    c.trait_effect = tr.number("effect", 0.0, 0.0);
    if (c.trait_effect > 1.0) tr.fail("must be in [0, 1] (an effect never changes sign)", "effect");
    const json* tilt = tr.find("logging_tilt");
    if (tilt && (!tilt->is_number() || !std::isfinite(tilt->get<double>()))) tr.fail("must be a finite number", "logging_tilt");
    c.trait_logging_tilt = tilt ? tilt->get<double>() : 0.0;
  }
  const double users = r.number("users", c.users, 1.0);
  if (users != std::floor(users)) r.fail("must be an integer", "users");
  c.users = static_cast<int>(users);
  c.window = r.number("window", c.window, 0.0, true);
  c.horizon = r.number("horizon", c.horizon, 0.0, true);
  const json* types = r.find("user_types");
  if (!types || !types->is_array() || types->empty()) r.fail("must be a non-empty array of user types", "user_types");
  for (std::size_t m = 0; m < types->size(); ++m) {
    Reader tr = r.child(fmt::format("user_types[{}]", m), (*types)[m]);
    tr.closed({"name", "weight", "rate", "recency", "opportunity_rate", "churn", "actions"});
    UserType t;
    t.name = tr.find("name") && tr.find("name")->is_string() ? tr.find("name")->get<std::string>() : fmt::format("type{}", m);
    t.weight = tr.number("weight", 1.0, 0.0, true);
    t.rate = tr.numbers("rate", E, 0.1);
    t.recency = tr.number("recency", 1.0, 0.0, true);
    t.opportunity_rate = tr.number("opportunity_rate", 1.0, 0.0, true);
    t.churn = probability(tr, "churn", 0.0);
    t.response.assign(A, ActionResponse{std::vector<double>(E, 0.0), 0.0, 1.0, 0.0, 0.0});
    if (const json* acts = tr.find("actions")) {
      Reader ar = tr.child("actions", *acts);
      std::set<std::string> known(c.schema.action_types.begin() + 1, c.schema.action_types.end());
      ar.closed(known);
      for (std::size_t a = 1; a < A; ++a) {
        const json* one = ar.find(c.schema.action_types[a]);
        if (!one) continue;
        Reader x = ar.child(c.schema.action_types[a], *one);
        x.closed({"effect", "delay", "width", "fatigue", "churn"});
        auto& resp = t.response[a];
        resp.effect = x.numbers("effect", E, 0.0);
        resp.delay = x.number("delay", 0.0, 0.0);
        resp.width = x.number("width", 1.0, 0.0, true);
        resp.fatigue = x.number("fatigue", 0.0, 0.0);
        resp.churn = probability(x, "churn", 0.0);
      }
    }
    c.types.push_back(std::move(t));
  }
  return c;
}

json simulator_config_json(const SimulatorConfig& c) {
  json types = json::array();
  for (const auto& t : c.types) {
    json actions = json::object();
    for (std::size_t a = 1; a < t.response.size(); ++a) {
      const auto& r = t.response[a];
      actions[c.schema.action_types[a]] = {
          {"effect", r.effect}, {"delay", r.delay}, {"width", r.width}, {"fatigue", r.fatigue}, {"churn", r.churn}};
    }
    types.push_back({{"name", t.name}, {"weight", t.weight}, {"rate", t.rate}, {"recency", t.recency},
                     {"opportunity_rate", t.opportunity_rate}, {"churn", t.churn}, {"actions", actions}});
  }
  return {{"event_types", c.schema.event_types}, {"actions", c.schema.action_types}, {"user_types", types},
          {"logging_policy", c.logging_policy}, {"fatigue_memory", c.fatigue_memory},
          {"trait", {{"effect", c.trait_effect}, {"logging_tilt", c.trait_logging_tilt}}},
          {"users", c.users}, {"window", c.window}, {"horizon", c.horizon}};
}

std::vector<double> logging_probabilities(const SimulatorConfig& c, int trait) {
  std::vector<double> p = c.logging_policy;
  const double tilt = std::exp(c.trait_logging_tilt * (2 * trait - 1));
  double total = 0.0;
  for (std::size_t a = 0; a < p.size(); ++a) total += (p[a] *= a == 0 ? 1.0 : tilt);
  for (auto& x : p) x /= total;
  return p;
}

namespace {

struct Delivered {
  double time;
  int action;
};

// The user's intensities given its past: λ_e(t), and a bound over [t, t + step].
struct UserIntensity {
  const SimulatorConfig& c;
  const UserType& type;
  double effect_scale;
  double last_user_event{0.0};
  std::vector<Delivered> actions;

  double kernel(const ActionResponse& r, double u) const {
    return u > r.delay ? std::exp(-(u - r.delay) / r.width) : 0.0;
  }
  double kernel_sup(const ActionResponse& r, double u0, double u1) const {
    if (u1 <= r.delay) return 0.0;
    return u0 <= r.delay ? 1.0 : std::exp(-(u0 - r.delay) / r.width);
  }
  void intensities(double t, std::vector<double>& out) const {
    double load = 0.0;
    const std::size_t E = type.rate.size();
    const double base = type.recency / (type.recency + (t - last_user_event));
    for (std::size_t e = 0; e < E; ++e) out[e] = type.rate[e] * base;
    for (const auto& d : actions) {
      const auto& r = type.response[d.action];
      load += r.fatigue * std::exp(-(t - d.time) / c.fatigue_memory);
      const double k = kernel(r, t - d.time) * effect_scale;
      for (std::size_t e = 0; e < E; ++e) out[e] += r.effect[e] * k;
    }
    const double fatigue = std::exp(-load);
    for (auto& x : out) x *= fatigue;
  }
  double bound(double t, double step) const {
    double total = 0.0;
    const double base = type.recency / (type.recency + (t - last_user_event));
    for (double r : type.rate) total += r * base;
    for (const auto& d : actions) {
      const auto& r = type.response[d.action];
      const double k = kernel_sup(r, t - d.time, t + step - d.time) * effect_scale;
      for (double b : r.effect) total += b * k;
    }
    return total;
  }
};

int draw(Rng& rng, const std::vector<double>& p) { return rng.categorical(p); }

}  // namespace

SimulatedUser simulate_user(const SimulatorConfig& c, std::uint64_t seed, std::size_t index, const DecisionRule* rule,
                            const std::vector<double>& value, const std::vector<double>& cost) {
  Rng rng(stream_seed(seed, index));
  std::vector<double> weights;
  for (const auto& t : c.types) weights.push_back(t.weight);
  const int m = draw(rng, weights);
  const int trait = rng.uniform() < 0.5 ? 1 : 0;
  const UserType& type = c.types[m];
  UserIntensity intensity{c, type, 1.0 + c.trait_effect * (2 * trait - 1)};
  SimulatedUser out;
  out.history.user = "u" + std::to_string(index);
  out.history.hidden_type = m;
  const double end = rule ? c.window + c.horizon : c.window;
  out.history.t_end = end;
  const auto logging = logging_probabilities(c, trait);
  std::unique_ptr<UserDecider> decider = rule ? rule->start() : nullptr;
  auto record = [&](const LoggedEvent& e) {
    out.history.events.push_back(e);
    if (decider) decider->observe(e);
  };
  const std::size_t E = c.schema.event_types.size();
  std::vector<double> lambda(E);
  double t = 0.0;
  double next_opportunity = rng.exponential(type.opportunity_rate);
  const double step = 1.0;  // thinning steps; the bound is recomputed after each
  bool churned = false;
  while (!churned && t < end) {
    const double until = std::min({t + step, next_opportunity, end});
    const double bound = intensity.bound(t, until - t) * (1.0 + 1e-12);
    const double candidate = bound > 0 ? t + rng.exponential(bound) : std::numeric_limits<double>::infinity();
    if (candidate < until) {
      t = candidate;
      intensity.intensities(t, lambda);
      double total = 0.0;
      for (double x : lambda) total += x;
      if (rng.uniform() * bound >= total) continue;
      const int e = draw(rng, lambda);
      record(LoggedEvent{t, EventKind::UserEvent, e});
      intensity.last_user_event = t;
      if (t > c.window) out.utility += value[e];
      if (rng.uniform() < type.churn) churned = true;
      continue;
    }
    t = until;
    if (t >= end || t != next_opportunity) continue;
    record(LoggedEvent{t, EventKind::Opportunity, 0});
    const bool policy_part = t > c.window;
    const std::vector<double> p = policy_part ? decider->probabilities(t) : logging;
    const int a = draw(rng, p);
    record(LoggedEvent{t, EventKind::Action, a, p[a]});
    if (a != 0) {
      intensity.actions.push_back({t, a});
      if (policy_part) {
        out.utility -= cost[a];
        ++out.actions;
      }
      if (rng.uniform() < type.response[a].churn) churned = true;
    }
    next_opportunity = t + rng.exponential(type.opportunity_rate);
  }
  return out;
}

ActionLog simulate_logs(const SimulatorConfig& c, std::uint64_t seed) {
  ActionLog log;
  log.schema = c.schema;
  const std::vector<double> none(c.schema.action_types.size(), 0.0);
  for (int i = 0; i < c.users; ++i) log.users.push_back(simulate_user(c, seed, i, nullptr, none, none).history);
  return log;
}

}  // namespace tpp
