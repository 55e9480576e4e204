#pragma once
// tpp policy: repeated action delivery (docs/policy.md).
//   tpp policy simulate --simulator S.json -o logged.jsonl            logs from the ground-truth simulator
//   tpp policy fit --config P.json --log logged.jsonl -o policy.tpp    user model(s), then the policy
//   tpp policy evaluate --policy policy.tpp --simulator S.json         on the simulator, with baselines
//   tpp policy evaluate --policy policy.tpp --log logged.jsonl         off-policy (self-normalised IS)
//   tpp policy act --policy policy.tpp --data users.jsonl              action + expected utility per user
//   tpp policy gradients --policy policy.tpp --log logged.jsonl        REINFORCE vs pathwise variance
#include <iosfwd>
#include <string>

#include "tpp/cli/command.h"

namespace tpp {

struct PolicySimulateOptions {
  CommonOptions common;
  std::string simulator;  // JSON file or inline JSON
  int users{0};           // 0: the config's
  std::string output;
};

struct PolicyFitOptions {
  CommonOptions common;
  std::string config;  // policy config: JSON file or inline JSON
  std::string log;
  std::string output;
};

struct PolicyEvaluateOptions {
  CommonOptions common;
  std::string policy;
  std::string simulator;  // on-simulator value with baselines
  std::string log;        // off-policy estimate (or, with --simulator, the users that choose the best single action)
  int users{0};           // simulated users (0: the simulator config's)
  double schedule_period{5.0};
  bool baselines{true};
  std::string markdown;   // optional: the results table as markdown
  std::string utilities;  // optional: every simulated user's utility under every policy (CSV)
  int model_rollouts{4};  // off-policy: model rollouts per decision and action for the doubly robust estimate (0: none)
};

struct PolicyActOptions {
  CommonOptions common;
  std::string policy;
  std::string data;
  std::string output;  // JSONL; empty or "-" for stdout
  int rollouts{64};
};

struct PolicyGradientsOptions {
  CommonOptions common;
  std::string policy;
  std::string log;
  int repeats{30};
  int users{64};
  int rollouts{4};
};

int run_policy_simulate(const PolicySimulateOptions& options);
int run_policy_fit(const PolicyFitOptions& options);
int run_policy_evaluate(const PolicyEvaluateOptions& options);
int run_policy_act(const PolicyActOptions& options);
int run_policy_gradients(const PolicyGradientsOptions& options);

// The `policy` verb and its subcommands (declared here rather than in command.h, beside its options).
void add_policy(CLI::App& app, CommandAction& action);

}  // namespace tpp
