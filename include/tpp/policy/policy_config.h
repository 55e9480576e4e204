#pragma once
// The JSON config of `tpp policy fit` (docs/policy.md):
//   {"event_types": ["visit", "purchase"], "actions": ["none", "email", "coupon"],
//    "value": {"purchase": 1.0}, "cost": {"email": 0.05, "coupon": 0.3}, "horizon": 20,
//    "user_model": {...UserModelConfig...}, "ensemble": 1,
//    "optimiser": {"estimator": "reinforce", "iterations": 150, ...}}
// Every key is checked; errors name the file and the key path.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/core/config_fields.h"
#include "tpp/policy/action_log.h"
#include "tpp/policy/user_model.h"

namespace tpp {

// What a policy maximises: Σ value(type of each user event) − Σ cost(each action) over `horizon`.
struct Utility {
  std::vector<double> value;  // per user event type (absent types: 0)
  std::vector<double> cost;   // per action type ("none": 0)
  double horizon{20.0};
};

struct OptimiserConfig {
  std::string estimator{"reinforce"};  // "reinforce" (score function, baseline) or "pathwise"
  int iterations{150};
  int users_per_step{128};  // logged users whose histories start each step's rollouts
  int rollouts{4};          // rollouts per user; each one's baseline is the mean of the others
  double lr{0.05};
  double temperature{0.5};  // pathwise: Gumbel-softmax temperature of the relaxed action
  int max_steps{400};       // events per rollout at most (a guard; horizon ends rollouts first)
  static const ConfigFields<OptimiserConfig>& fields();
};

struct PolicyConfig {
  ActionSchema schema;
  Utility utility;
  UserModelConfig user_model;
  int ensemble{1};  // user models fitted on bootstrap resamples of the users (1: one model, all users)
  OptimiserConfig optimiser;
};

PolicyConfig parse_policy_config(const nlohmann::json& j, const std::string& where);
nlohmann::json policy_config_json(const PolicyConfig& config);

}  // namespace tpp
