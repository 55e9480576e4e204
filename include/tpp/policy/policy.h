#pragma once
// The action policy π_ξ(a | history) = softmax(W h + b) over the action types ("none" included),
// h the concatenated states of the fitted user models after the opportunity (docs/policy.md), and
// its optimisation by simulating the fitted models forward from logged users' histories.
//
// A rollout of one user from its history to the horizon: from the current state, both waiting
// times are drawn by inverse survival functions conditioned on the quiet time so far, the earlier
// one happens (a user event of a drawn type, or an opportunity where the policy draws an action),
// the state advances, and so on until the horizon (right-censored) or churn (an infinite draw).
// Under an ensemble each rollout's events come from one member drawn uniformly (the posterior
// predictive of a bootstrap); every member's state advances along the same events.
//
// Utility per rollout: Σ E[value(type) | state] at user events (the type's expectation given the
// state replaces the drawn type's value: unbiased, less variance) − Σ cost(action).
#include <torch/torch.h>

#include <ostream>
#include <vector>

#include "tpp/core/context.h"
#include "tpp/policy/policy_config.h"
#include "tpp/policy/simulator.h"
#include "tpp/policy/user_model.h"

namespace tpp {

class PolicyImpl : public torch::nn::Module {
 public:
  PolicyImpl(int features, int actions);
  torch::Tensor logits(const torch::Tensor& features) { return linear_->forward(features); }  // [B, A]

 private:
  torch::nn::Linear linear_{nullptr};
};
TORCH_MODULE(Policy);

// The fitted user models and the policy over their states.
struct PolicyBundle {
  PolicyConfig config;
  std::vector<UserModel> models;  // ensemble members
  Policy policy{nullptr};
  int features() const;
};

// How actions are chosen in a rollout.
enum class RolloutMode {
  Policy,    // π_ξ, sampled; log π summed for the score function
  Pathwise,  // π_ξ through straight-through Gumbel-softmax: exact samples, relaxed gradients
  Fixed,     // a given probability vector at every opportunity
};

struct RolloutOptions {
  RolloutMode mode{RolloutMode::Policy};
  std::vector<double> fixed;  // Fixed: probabilities per action
  std::uint64_t seed{0};
  int max_steps{400};
  double temperature{0.5};
};

struct RolloutResult {
  torch::Tensor utility;   // [B]
  torch::Tensor log_prob;  // [B] Σ log π(a_j | h_j) over the rollout's opportunities (Policy mode)
  torch::Tensor actions;   // [B] non-"none" actions taken
};

// Starting points: each logged user's carried states (one per member) and quiet time at its window end.
// Two optional columns start a rollout elsewhere: `remaining` replaces the configured horizon per
// row, and `first_action` (>= 0) says the state is right after an opportunity, where that action is
// taken (its cost counted, its token entered at gap 0) before anything else happens.
struct RolloutStart {
  std::vector<RnnEncoder::Carry> carries;  // per member, [layers, B, H]
  torch::Tensor quiet;                     // [B]
  torch::Tensor remaining;                 // [B] or undefined: the horizon
  torch::Tensor first_action;              // [B] long or undefined: none forced
  RolloutStart select(const torch::Tensor& index) const;  // users `index` (repeats allowed)
};
RolloutStart rollout_start(PolicyBundle& bundle, const std::vector<const UserHistory*>& users, const Context& ctx);

RolloutResult rollout(PolicyBundle& bundle, const RolloutStart& start, const RolloutOptions& options, const Context& ctx);

// One gradient estimate of −E[U] with respect to the policy's parameters (left in .grad()), from
// `rollouts` futures of each of the given users; returns the mean utility of those rollouts.
double policy_gradient(PolicyBundle& bundle, const RolloutStart& users, const std::string& estimator, int rollouts,
                       std::uint64_t seed, const Context& ctx);

// Adam on ξ with the configured estimator from the logged users; a line per 10 steps on `progress`.
struct OptimisationTrace {
  std::vector<double> utility;  // mean rollout utility per step
};
OptimisationTrace optimise_policy(PolicyBundle& bundle, const ActionLog& log, const Context& ctx, std::ostream* progress);

// Fits the ensemble of user models (bootstrap resamples of the users when ensemble > 1) and returns
// the bundle with a uniform policy (zero weights). Log-likelihoods per member in `fit_ll`.
PolicyBundle fit_user_models(const PolicyConfig& config, const ActionLog& log, const Context& ctx,
                             std::ostream* progress, std::vector<double>* fit_ll = nullptr);

// Save and load: parameters of every member and of the policy, and the config, in one torch archive,
// written atomically.
void save_policy(const std::string& path, PolicyBundle& bundle);
PolicyBundle load_policy(const std::string& path, const Context& ctx);

// The policy as a decision rule for the ground-truth simulator: one state per member per user,
// advanced event by event; actions drawn from π_ξ (or argmax when `greedy_argmax`).
std::unique_ptr<DecisionRule> policy_rule(PolicyBundle& bundle, const Context& ctx, bool argmax = false);

}  // namespace tpp
