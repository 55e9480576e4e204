#include "tpp/policy/policy_config.h"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "tpp/core/error.h"

namespace tpp {

const ConfigFields<OptimiserConfig>& OptimiserConfig::fields() {
  static const auto fields =
      ConfigFields<OptimiserConfig>("optimiser")
          .field("estimator", &OptimiserConfig::estimator,
                 "policy gradient: score function with a baseline, or pathwise through the timing sampler",
                 rules::one_of({"reinforce", "pathwise"}))
          .field("iterations", &OptimiserConfig::iterations, "Adam steps on the policy", rules::positive<int>())
          .field("users_per_step", &OptimiserConfig::users_per_step, "logged users per step", rules::positive<int>())
          .field("rollouts", &OptimiserConfig::rollouts, "simulated futures per user and step (>= 2 for the baseline)",
                 Rule<int>{[](const int& v) { return v >= 2; }, ">= 2"})
          .field("lr", &OptimiserConfig::lr, "Adam learning rate", rules::positive<double>())
          .field("temperature", &OptimiserConfig::temperature, "Gumbel-softmax temperature (pathwise)",
                 rules::positive<double>())
          .field("max_steps", &OptimiserConfig::max_steps, "events per rollout at most", rules::positive<int>());
  return fields;
}

namespace {

std::vector<double> per_name(const nlohmann::json& j, const char* key, const std::vector<std::string>& names,
                             const std::string& where, bool skip_first) {
  std::vector<double> out(names.size(), 0.0);
  auto it = j.find(key);
  if (it == j.end()) return out;
  if (!it->is_object()) throw Error(fmt::format("{}: {}: must be an object of name: number", where, key));
  for (const auto& [name, v] : it->items()) {
    std::size_t i = 0;
    while (i < names.size() && names[i] != name) ++i;
    if (i == names.size() || (skip_first && i == 0))
      throw Error(fmt::format("{}: {}.{}: not a known {} type", where, key, name, skip_first ? "non-\"none\" action" : "user event"));
    if (!v.is_number() || !std::isfinite(v.get<double>()))
      throw Error(fmt::format("{}: {}.{}: must be a finite number, got {}", where, key, name, v.dump()));
    if (skip_first && v.get<double>() < 0) throw Error(fmt::format("{}: {}.{}: a cost must be >= 0", where, key, name));
    out[i] = v.get<double>();
  }
  return out;
}

std::vector<std::string> names(const nlohmann::json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) throw Error(fmt::format("{}: {}: missing", where, key));
  if (!it->is_array()) throw Error(fmt::format("{}: {}: must be an array of names", where, key));
  std::vector<std::string> out;
  for (const auto& x : *it) {
    if (!x.is_string()) throw Error(fmt::format("{}: {}: must be an array of names, got {}", where, key, x.dump()));
    out.push_back(x.get<std::string>());
  }
  return out;
}

}  // namespace

PolicyConfig parse_policy_config(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": the policy config must be a JSON object");
  const std::set<std::string> known{"event_types", "actions", "value", "cost", "horizon", "user_model", "ensemble", "optimiser"};
  for (const auto& [k, v] : j.items())
    if (!known.count(k))
      throw Error(fmt::format("{}: {}: unknown key (known: actions, cost, ensemble, event_types, horizon, optimiser, "
                              "user_model, value)", where, k));
  PolicyConfig c;
  c.schema.event_types = names(j, "event_types", where);
  c.schema.action_types = names(j, "actions", where);
  c.schema.validate(where);
  c.utility.value = per_name(j, "value", c.schema.event_types, where, false);
  c.utility.cost = per_name(j, "cost", c.schema.action_types, where, true);
  if (auto h = j.find("horizon"); h != j.end()) {
    if (!h->is_number() || !(h->get<double>() > 0) || !std::isfinite(h->get<double>()))
      throw Error(fmt::format("{}: horizon: must be a positive finite number, got {}", where, h->dump()));
    c.utility.horizon = h->get<double>();
  }
  if (auto e = j.find("ensemble"); e != j.end()) {
    if (!e->is_number_integer() || e->get<int>() < 1)
      throw Error(fmt::format("{}: ensemble: must be an integer >= 1, got {}", where, e->dump()));
    c.ensemble = e->get<int>();
  }
  try {
    if (auto m = j.find("user_model"); m != j.end()) UserModelConfig::fields().read(*m, c.user_model);
    if (auto o = j.find("optimiser"); o != j.end()) OptimiserConfig::fields().read(*o, c.optimiser);
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  return c;
}

nlohmann::json policy_config_json(const PolicyConfig& c) {
  nlohmann::json value = nlohmann::json::object(), cost = nlohmann::json::object();
  for (std::size_t i = 0; i < c.schema.event_types.size(); ++i) value[c.schema.event_types[i]] = c.utility.value[i];
  for (std::size_t i = 1; i < c.schema.action_types.size(); ++i) cost[c.schema.action_types[i]] = c.utility.cost[i];
  return {{"event_types", c.schema.event_types}, {"actions", c.schema.action_types}, {"value", value},
          {"cost", cost}, {"horizon", c.utility.horizon}, {"user_model", UserModelConfig::fields().write(c.user_model)},
          {"ensemble", c.ensemble}, {"optimiser", OptimiserConfig::fields().write(c.optimiser)}};
}

}  // namespace tpp
