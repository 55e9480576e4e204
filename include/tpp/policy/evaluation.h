#pragma once
// What a policy is worth (docs/policy.md): on the ground-truth simulator (fresh users, each logged
// under the logging policy over [0, window], then acted on over the horizon), against baselines,
// and off-policy from a log by self-normalised importance sampling with the logged propensities.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/core/context.h"
#include "tpp/policy/policy.h"
#include "tpp/policy/simulator.h"

namespace tpp {

struct PolicyValue {
  std::string name;
  double mean{0.0};
  double half_width{0.0};  // 95% confidence interval: mean ± half_width (normal, 1.96 standard errors)
  double actions{0.0};     // mean non-"none" actions per user
  std::size_t users{0};
  std::vector<double> utilities;  // per user, for paired comparisons
};
nlohmann::json to_json(const PolicyValue& v);

// Mean utility of `rule` over `users` simulated users (seeded; user i is the same person under
// every rule, so differences between rules are paired).
PolicyValue evaluate_on_simulator(const SimulatorConfig& sim, const DecisionRule& rule, const Utility& utility,
                                  int users, std::uint64_t seed, const std::string& name);

// The same action probabilities at every opportunity (never act, always act, the logging policy).
std::unique_ptr<DecisionRule> constant_rule(std::vector<double> probabilities);
// Action `action` at an opportunity once at least `period` has passed since the last action
// (and at the first opportunity), "none" otherwise: a fixed schedule.
std::unique_ptr<DecisionRule> schedule_rule(int action, double period, int num_actions);
// Greedy one-step on the fitted models: at each opportunity the action maximising the expected
// value of what happens before the next opportunity (the next event if it is a user event),
// minus its cost, by `draws` draws of the competing waits per action; ensemble members averaged.
std::unique_ptr<DecisionRule> greedy_rule(PolicyBundle& bundle, const Context& ctx, int draws, std::uint64_t seed);
// The constant action with the highest mean utility in model rollouts from the logged users.
int best_single_action(PolicyBundle& bundle, const ActionLog& log, int rollouts, const Context& ctx,
                       std::vector<double>* values = nullptr);

// One logged user's decisions inside the evaluated window: log π(a_k | h_k) − log propensity_k of
// each logged decision k = 1..K, and the utility of each segment (segment 0 before the first
// decision, segment k from decision k, its cost included, to the next one): K + 1 values.
// For the doubly robust estimate, the fitted model's values at each decision (both empty when
// there is no model): model_q[k] = Q̂(h_k, a_k), the expected utility from decision k (its cost
// included) to the window end when the logged action is taken and π_ξ follows, and model_v[k] =
// V̂(h_k) = Σ_a π(a | h_k) Q̂(h_k, a).
struct LoggedTrajectory {
  std::vector<double> log_ratio;
  std::vector<double> segment_utility;
  std::vector<double> model_q, model_v;
};

// Self-normalised importance sampling over each logged user's last `horizon` time units, two ways:
// - per trajectory: w_i = Π_k π/μ over the window, estimate Σ w_i U_i / Σ w_i with its delta-method
//   95% interval and effective sample size (Σ w)² / Σ w²;
// - per decision (weighted per-decision importance sampling): segment k's utility is weighted by
//   the ratios of the decisions before it only, ρ_ik = Π_{j<=k} π/μ, and each segment
//   self-normalised on its own, V = Σ_k Σ_i ρ_ik R_ik / Σ_i ρ_ik (a user with fewer decisions keeps
//   its last ρ and adds no utility). Utility that comes before a decision does not carry that
//   decision's ratio, which is where the trajectory weight's variance comes from. Its 95%
//   interval is the 2.5–97.5% percentile range of 400 bootstrap resamples of the users (seeded).
// - doubly robust (weighted, Thomas & Brunskill 2016), when the trajectories carry model values:
//   the per-decision estimate with the model as a control variate at each decision,
//   V = Σ_k Σ_i w̄_ik R_ik − Σ_{k>=1} Σ_i (w̄_ik Q̂_ik − w̄_i,k−1 V̂_ik), w̄ the self-normalised ρ.
//   Each correction has mean zero whatever the model, since the propensities are the logged ones,
//   so a wrong model costs variance, not bias; a good one removes the variance of the ratios.
//   Bootstrap interval as above.
struct OffPolicyEstimate {
  double value{0.0}, half_width{0.0}, effective_sample_size{0.0}, logged_value{0.0};
  double per_decision_value{0.0}, per_decision_low{0.0}, per_decision_high{0.0};
  bool has_doubly_robust{false};
  double doubly_robust_value{0.0}, doubly_robust_low{0.0}, doubly_robust_high{0.0};
  double model_value{0.0};  // mean V̂ at each user's first decision plus the utility before it: the model alone
  std::size_t users{0};
};
OffPolicyEstimate importance_estimates(const std::vector<LoggedTrajectory>& users, std::uint64_t seed);
// `rollouts` model rollouts per decision and action give the doubly robust estimate's Q̂ (0: no
// doubly robust estimate).
OffPolicyEstimate off_policy_estimate(PolicyBundle& bundle, const ActionLog& log, const std::string& where,
                                      const Context& ctx, int rollouts = 0);

// One user's recommendation: the policy's probabilities at an opportunity at the end of its
// history, and the expected utility over the horizon of following the policy / never acting,
// by `rollouts` model rollouts from its history.
struct Recommendation {
  std::string user;
  std::vector<double> probabilities;
  int action{0};
  double expected_utility{0.0}, expected_utility_never{0.0};
};
std::vector<Recommendation> recommend(PolicyBundle& bundle, const ActionLog& users, int rollouts, const Context& ctx);

}  // namespace tpp
