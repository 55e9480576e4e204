#pragma once
// A ground-truth population of users for repeated action delivery (docs/policy.md). A user of type
// m, while it has not churned, has
//   opportunities:  a Poisson process of rate ρ_m (sessions at which the platform may act),
//   user events of type e at intensity
//     λ_e(t) = F(t) · [ r_me · σ_m / (σ_m + s(t))  +  Σ_j β_{m,a_j,e} · 1{t − t_j > d_{m,a_j}} · exp(−(t − t_j − d_{m,a_j}) / w_{m,a_j}) ]
//     with s(t) the time since its last user event (a hazard decaying like 1/s: heavy-tailed gaps,
//     S(s) = (1 + s/σ)^(−σ Σ_e r_e)), actions a_j at times t_j raising types e after a delay d,
//     and fatigue F(t) = exp(−Σ_j φ_{m,a_j} exp(−(t − t_j)/μ)) <= 1 from recent actions;
//   churn: after each action a with probability χ_{m,a}, after each user event with probability χ_m.
// A hidden binary trait z (not in the log, probability 1/2) multiplies every action effect β by
// (1 + κ (2z − 1)) and tilts the logging policy's non-"none" probabilities by exp(γ (2z − 1)):
// with γ != 0 the logs are confounded (the user model assumes they are not).
// Simulation is Ogata thinning against a bound over short steps (the base term falls between
// events, each kernel's supremum over a step is known, F <= 1).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/policy/action_log.h"

namespace tpp {

struct ActionResponse {  // β, d, w, φ, χ of one action for one user type
  std::vector<double> effect;  // β per user event type
  double delay{0.0}, width{1.0}, fatigue{0.0}, churn{0.0};
};

struct UserType {
  std::string name;
  double weight{1.0};
  std::vector<double> rate;  // r per user event type
  double recency{1.0};       // σ
  double opportunity_rate{1.0};
  double churn{0.0};         // χ_m per user event
  std::vector<ActionResponse> response;  // per action type; "none" has no effect
};

struct SimulatorConfig {
  ActionSchema schema;
  std::vector<UserType> types;
  std::vector<double> logging_policy;  // probability per action type, "none" first
  double fatigue_memory{2.0};          // μ
  double trait_effect{0.0};            // κ
  double trait_logging_tilt{0.0};      // γ
  int users{1000};
  double window{20.0};   // logged window [0, window]
  double horizon{20.0};  // a policy acts over (window, window + horizon]
};

// The JSON config (docs/policy.md): located errors "<where>: <key path>: reason".
SimulatorConfig parse_simulator_config(const nlohmann::json& j, const std::string& where);
nlohmann::json simulator_config_json(const SimulatorConfig& config);

// Chooses an action at each opportunity of one user; sees only what the log would show.
class UserDecider {
 public:
  virtual ~UserDecider() = default;
  virtual void observe(const LoggedEvent& event) = 0;            // every event, the decider's actions included
  virtual std::vector<double> probabilities(double now) = 0;     // after observing the opportunity at `now`
};
class DecisionRule {
 public:
  virtual ~DecisionRule() = default;
  virtual std::unique_ptr<UserDecider> start() const = 0;
};

// One simulated user: its log over [0, window] under the logging policy, then, when `rule` is not
// null, over (window, window + horizon] under `rule`. `value`/`cost` score the second part.
struct SimulatedUser {
  UserHistory history;
  double utility{0.0};  // Σ value(user events) − Σ cost(actions) in the policy part
  int actions{0};       // non-"none" actions in the policy part
};
SimulatedUser simulate_user(const SimulatorConfig& config, std::uint64_t seed, std::size_t index,
                            const DecisionRule* rule, const std::vector<double>& value, const std::vector<double>& cost);

// config.users logged users over [0, window] (user ids "u0", "u1", ...; the true type on end rows).
ActionLog simulate_logs(const SimulatorConfig& config, std::uint64_t seed);

// The logging policy's probabilities for a user with trait z.
std::vector<double> logging_probabilities(const SimulatorConfig& config, int trait);

}  // namespace tpp
