#include "tpp/cli/policy.h"

#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "tpp/core/atomic_output.h"
#include "tpp/core/error.h"
#include "tpp/core/rng.h"
#include "tpp/policy/evaluation.h"
#include "tpp/policy/policy.h"
#include "tpp/policy/simulator.h"

namespace tpp {

namespace {

std::string where_of(const std::string& arg, const std::string& what) {
  return !arg.empty() && arg[0] == '{' ? what : arg;
}

SimulatorConfig read_simulator(const std::string& arg) {
  if (arg.empty()) throw Error("--simulator: required");
  return parse_simulator_config(read_json_argument(arg, "simulator config"), where_of(arg, "simulator config"));
}

std::ostream* progress_stream(const Context& ctx) { return ctx.progress ? &std::cerr : nullptr; }

std::string markdown_table(const std::vector<PolicyValue>& rows) {
  std::string out = "| policy | mean utility | 95% CI | actions per user |\n|---|---:|---:|---:|\n";
  for (const auto& r : rows)
    out += fmt::format("| {} | {:.3f} | [{:.3f}, {:.3f}] | {:.2f} |\n", r.name, r.mean, r.mean - r.half_width,
                       r.mean + r.half_width, r.actions);
  return out;
}

}  // namespace

int run_policy_simulate(const PolicySimulateOptions& o) {
  SimulatorConfig sim = read_simulator(o.simulator);
  if (o.users < 0) throw Error("--users: must be >= 0");
  if (o.users > 0) sim.users = o.users;
  if (o.output.empty()) throw Error("-o: required");
  const ActionLog log = simulate_logs(sim, o.common.seed);
  write_action_log(log, o.output);
  nlohmann::json summary{{"users", log.users.size()}, {"events", log.num_events()}, {"output", o.output}};
  if (o.common.json)
    std::cout << summary.dump() << "\n";
  else if (!o.common.quiet)
    std::cerr << fmt::format("simulated {} rows for {} users into {}\n", log.num_events(), log.users.size(), o.output);
  return 0;
}

int run_policy_fit(const PolicyFitOptions& o) {
  if (o.config.empty() || o.log.empty() || o.output.empty()) throw Error("policy fit: --config, --log and -o are required");
  const PolicyConfig config = parse_policy_config(read_json_argument(o.config, "policy config"), where_of(o.config, "policy config"));
  Context ctx = o.common.context();
  ctx.apply();
  const ActionLog log = read_action_log(o.log, config.schema);
  auto began = std::chrono::steady_clock::now();
  std::vector<double> ll;
  PolicyBundle bundle = fit_user_models(config, log, ctx, progress_stream(ctx), &ll);
  const double model_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  auto trace = optimise_policy(bundle, log, ctx, progress_stream(ctx));
  save_policy(o.output, bundle);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  nlohmann::json summary{{"output", o.output}, {"users", log.users.size()}, {"log_likelihood_per_event", ll},
                         {"first_rollout_utility", trace.utility.front()},
                         {"final_rollout_utility", trace.utility.back()},
                         {"user_model_seconds", model_seconds}, {"seconds", seconds}};
  if (o.common.json)
    std::cout << summary.dump() << "\n";
  else if (!o.common.quiet)
    std::cerr << fmt::format("fitted {} user model(s) (log-likelihood {:.4f} nats/event) and the policy "
                             "(rollout utility {:.3f} -> {:.3f}); wrote {}\n",
                             ll.size(), ll.front(), trace.utility.front(), trace.utility.back(), o.output);
  return 0;
}

int run_policy_evaluate(const PolicyEvaluateOptions& o) {
  if (o.policy.empty()) throw Error("policy evaluate: --policy is required");
  if (o.simulator.empty() && o.log.empty()) throw Error("policy evaluate: give --simulator, --log or both");
  Context ctx = o.common.context();
  ctx.apply();
  PolicyBundle bundle = load_policy(o.policy, ctx);
  const auto& schema = bundle.config.schema;
  nlohmann::json result = nlohmann::json::object();
  if (o.simulator.empty()) {
    const ActionLog log = read_action_log(o.log, schema);
    if (o.model_rollouts < 0) throw Error("--model-rollouts: must be >= 0");
    const auto estimate = off_policy_estimate(bundle, log, o.log, ctx, o.model_rollouts);
    result = {{"off_policy_value", estimate.value},
              {"ci95", {estimate.value - estimate.half_width, estimate.value + estimate.half_width}},
              {"effective_sample_size", estimate.effective_sample_size},
              {"per_decision_value", estimate.per_decision_value},
              {"per_decision_ci95", {estimate.per_decision_low, estimate.per_decision_high}},
              {"logged_value", estimate.logged_value},
              {"users", estimate.users}};
    if (estimate.has_doubly_robust) {
      result["doubly_robust_value"] = estimate.doubly_robust_value;
      result["doubly_robust_ci95"] = {estimate.doubly_robust_low, estimate.doubly_robust_high};
      result["model_value"] = estimate.model_value;
    }
    if (o.common.json) {
      std::cout << result.dump() << "\n";
      return 0;
    }
    std::cout << fmt::format("off-policy value {:.3f} (95% CI [{:.3f}, {:.3f}], effective sample size {:.1f} of {}); "
                             "per decision {:.3f} (95% CI [{:.3f}, {:.3f}]); ",
                             estimate.value, estimate.value - estimate.half_width, estimate.value + estimate.half_width,
                             estimate.effective_sample_size, estimate.users, estimate.per_decision_value,
                             estimate.per_decision_low, estimate.per_decision_high);
    if (estimate.has_doubly_robust)
      std::cout << fmt::format("doubly robust {:.3f} (95% CI [{:.3f}, {:.3f}]); model alone {:.3f}; ",
                               estimate.doubly_robust_value, estimate.doubly_robust_low, estimate.doubly_robust_high,
                               estimate.model_value);
    std::cout << fmt::format("logging policy {:.3f}\n", estimate.logged_value);
    return 0;
  }
  SimulatorConfig sim = read_simulator(o.simulator);
  if (sim.schema.event_types != schema.event_types || sim.schema.action_types != schema.action_types)
    throw Error(fmt::format("{}: event types and actions differ from the policy's", where_of(o.simulator, "simulator config")));
  if (o.users < 0) throw Error("--users: must be >= 0");
  const int users = o.users > 0 ? o.users : sim.users;
  // Evaluation users are seeded apart from any log the simulator wrote with the same --seed.
  const std::uint64_t seed = stream_seed(o.common.seed, 0xe7a1);
  std::vector<PolicyValue> rows;
  auto add = [&](const DecisionRule& rule, const std::string& name) {
    rows.push_back(evaluate_on_simulator(sim, rule, bundle.config.utility, users, seed, name));
    if (ctx.progress) std::cerr << fmt::format("evaluated {}: {:.3f}\n", name, rows.back().mean);
  };
  add(*policy_rule(bundle, ctx), "learned policy");
  if (o.baselines) {
    const int A = schema.num_action_types();
    std::vector<double> never(A, 0.0);
    never[0] = 1.0;
    add(*constant_rule(never), "never act");
    for (int a = 1; a < A; ++a) {
      std::vector<double> always(A, 0.0);
      always[a] = 1.0;
      add(*constant_rule(always), "always " + schema.action_types[a]);
    }
    add(*constant_rule(sim.logging_policy), "random (logging policy)");
    const ActionLog choice_log = o.log.empty() ? simulate_logs(sim, stream_seed(o.common.seed, 0xb357))
                                               : read_action_log(o.log, schema);
    const int best = best_single_action(bundle, choice_log, 4, ctx);
    std::vector<double> single(A, 0.0);
    single[best] = 1.0;
    add(*constant_rule(single), "best single action (" + schema.action_types[best] + ")");
    const int scheduled = best == 0 ? 1 : best;
    add(*schedule_rule(scheduled, o.schedule_period, A),
        fmt::format("fixed schedule ({} every {})", schema.action_types[scheduled], o.schedule_period));
    add(*greedy_rule(bundle, ctx, 256, stream_seed(o.common.seed, 0x96ee)), "greedy one-step");
  }
  // Paired differences against the learned policy (the same simulated users under every rule).
  nlohmann::json table = nlohmann::json::array();
  for (const auto& r : rows) {
    auto j = to_json(r);
    std::vector<double> d;
    for (std::size_t i = 0; i < r.utilities.size(); ++i) d.push_back(rows[0].utilities[i] - r.utilities[i]);
    double mean = 0, ss = 0;
    for (double x : d) mean += x / d.size();
    for (double x : d) ss += (x - mean) * (x - mean);
    const double half = d.size() > 1 ? 1.96 * std::sqrt(ss / (d.size() - 1)) / std::sqrt(static_cast<double>(d.size())) : 0.0;
    j["learned_minus_this"] = mean;
    j["learned_minus_this_ci95"] = {mean - half, mean + half};
    table.push_back(j);
  }
  if (!o.markdown.empty()) {
    std::string text = markdown_table(rows) + "\nPaired difference, learned policy minus each row (95% CI):\n\n";
    for (const auto& j : table)
      if (j["policy"] != "learned policy")
        text += fmt::format("- {}: {:+.3f} [{:+.3f}, {:+.3f}]\n", j["policy"].get<std::string>(),
                            j["learned_minus_this"].get<double>(), j["learned_minus_this_ci95"][0].get<double>(),
                            j["learned_minus_this_ci95"][1].get<double>());
    write_file_atomically(o.markdown, text);
  }
  if (!o.utilities.empty()) {
    std::string csv = "user";
    for (const auto& r : rows) csv += ",\"" + r.name + "\"";
    csv += "\n";
    for (int i = 0; i < users; ++i) {
      csv += std::to_string(i);
      for (const auto& r : rows) csv += fmt::format(",{:.17g}", r.utilities[static_cast<std::size_t>(i)]);
      csv += "\n";
    }
    write_file_atomically(o.utilities, csv);
  }
  if (o.common.json)
    std::cout << nlohmann::json{{"users", users}, {"results", table}}.dump() << "\n";
  else
    std::cout << markdown_table(rows);
  return 0;
}

int run_policy_act(const PolicyActOptions& o) {
  if (o.policy.empty() || o.data.empty()) throw Error("policy act: --policy and --data are required");
  if (o.rollouts < 1) throw Error("--rollouts: must be >= 1");
  Context ctx = o.common.context();
  ctx.apply();
  PolicyBundle bundle = load_policy(o.policy, ctx);
  const ActionLog users = read_action_log(o.data, bundle.config.schema);
  const auto recs = recommend(bundle, users, o.rollouts, ctx);
  std::string text;
  for (const auto& r : recs) {
    nlohmann::json p = nlohmann::json::object();
    for (std::size_t a = 0; a < r.probabilities.size(); ++a) p[bundle.config.schema.action_types[a]] = r.probabilities[a];
    text += nlohmann::json{{"user", r.user},
                           {"action", bundle.config.schema.action_types[r.action]},
                           {"probabilities", p},
                           {"expected_utility", r.expected_utility},
                           {"expected_utility_never", r.expected_utility_never}}
                .dump() +
            "\n";
  }
  if (o.output.empty() || o.output == "-") {
    std::cout << text;
  } else {
    write_file_atomically(o.output, text);
    if (!o.common.quiet && !o.common.json) std::cerr << fmt::format("wrote {} recommendations to {}\n", recs.size(), o.output);
  }
  return 0;
}

int run_policy_gradients(const PolicyGradientsOptions& o) {
  if (o.policy.empty() || o.log.empty()) throw Error("policy gradients: --policy and --log are required");
  if (o.repeats < 2 || o.users < 1 || o.rollouts < 2) throw Error("policy gradients: --repeats >= 2, --users >= 1, --rollouts >= 2");
  Context ctx = o.common.context();
  ctx.apply();
  PolicyBundle bundle = load_policy(o.policy, ctx);
  const ActionLog log = read_action_log(o.log, bundle.config.schema);
  std::vector<const UserHistory*> users;
  for (const auto& u : log.users) users.push_back(&u);
  auto all = rollout_start(bundle, users, ctx);
  for (auto& m : bundle.models)
    for (auto& p : m->parameters()) p.set_requires_grad(false);
  Rng rng(stream_seed(o.common.seed, 0x6ad));
  nlohmann::json result = nlohmann::json::object();
  std::map<std::string, torch::Tensor> means;
  for (const std::string estimator : {"reinforce", "pathwise"}) {
    std::vector<torch::Tensor> grads;
    auto began = std::chrono::steady_clock::now();
    for (int r = 0; r < o.repeats; ++r) {
      std::vector<int64_t> pick;
      for (int i = 0; i < o.users; ++i) pick.push_back(static_cast<int64_t>(rng.uniform() * users.size()) % users.size());
      auto index = torch::tensor(pick, torch::kLong).to(ctx.device);
      policy_gradient(bundle, all.select(index), estimator, o.rollouts, stream_seed(o.common.seed, 100 + r), ctx);
      std::vector<torch::Tensor> flat;
      for (auto& p : bundle.policy->parameters()) flat.push_back(p.grad().detach().flatten().to(torch::kFloat64).clone());
      grads.push_back(torch::cat(flat));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
    auto g = torch::stack(grads);  // [R, P]
    auto mean = g.mean(0);
    auto variance = g.var(0).sum().item<double>();
    means[estimator] = mean;
    result[estimator] = {{"total_variance", variance},
                         {"mean_norm", mean.norm().item<double>()},
                         {"seconds_per_estimate", seconds / o.repeats}};
  }
  auto diff = means["reinforce"] - means["pathwise"];
  const double cosine = (means["reinforce"] * means["pathwise"]).sum().item<double>() /
                        std::max(1e-300, means["reinforce"].norm().item<double>() * means["pathwise"].norm().item<double>());
  result["mean_difference_norm"] = diff.norm().item<double>();
  result["cosine_of_means"] = cosine;
  result["variance_ratio_reinforce_over_pathwise"] =
      result["reinforce"]["total_variance"].get<double>() / std::max(1e-300, result["pathwise"]["total_variance"].get<double>());
  result["repeats"] = o.repeats;
  result["users"] = o.users;
  result["rollouts"] = o.rollouts;
  std::cout << result.dump(o.common.json ? -1 : 2) << "\n";
  return 0;
}

void add_policy(CLI::App& app, CommandAction& action) {
  auto* policy = app.add_subcommand("policy", "repeated action delivery: simulate logs, fit, evaluate, act");
  policy->require_subcommand(1);
  {
    auto o = std::make_shared<PolicySimulateOptions>();
    auto* cmd = policy->add_subcommand("simulate", "logs from the ground-truth user simulator under its logging policy");
    add_common_options(*cmd, o->common);
    cmd->add_option("--simulator", o->simulator, "simulator config: JSON file or inline JSON")->required();
    cmd->add_option("--users", o->users, "users (default: the config's)");
    cmd->add_option("-o,--output", o->output, "log JSONL")->required();
    cmd->callback([o, &action] { action = [o] { return run_policy_simulate(*o); }; });
  }
  {
    auto o = std::make_shared<PolicyFitOptions>();
    auto* cmd = policy->add_subcommand("fit", "fit the user model(s) to a log, then optimise the policy on them");
    add_common_options(*cmd, o->common);
    cmd->add_option("--config", o->config, "policy config: JSON file or inline JSON")->required();
    cmd->add_option("--log", o->log, "logged events (JSONL)")->required();
    cmd->add_option("-o,--output", o->output, "policy file")->required();
    cmd->callback([o, &action] { action = [o] { return run_policy_fit(*o); }; });
  }
  {
    auto o = std::make_shared<PolicyEvaluateOptions>();
    auto* cmd = policy->add_subcommand("evaluate", "value of a policy on the simulator (with baselines) or off-policy from a log");
    add_common_options(*cmd, o->common);
    cmd->add_option("--policy", o->policy, "policy file")->required();
    cmd->add_option("--simulator", o->simulator, "simulator config: on-simulator values");
    cmd->add_option("--log", o->log, "log: off-policy estimate (alone), or the users choosing the best single action");
    cmd->add_option("--users", o->users, "simulated users (default: the simulator config's)");
    cmd->add_option("--schedule-period", o->schedule_period, "fixed schedule: time between actions")->capture_default_str();
    cmd->add_flag("!--no-baselines", o->baselines, "the learned policy only");
    cmd->add_option("--markdown", o->markdown, "write the table as markdown to this file");
    cmd->add_option("--utilities", o->utilities, "write every simulated user's utility under every policy to this CSV");
    cmd->add_option("--model-rollouts", o->model_rollouts,
                    "off-policy: model rollouts per decision and action for the doubly robust estimate (0: none)")
        ->capture_default_str();
    cmd->callback([o, &action] { action = [o] { return run_policy_evaluate(*o); }; });
  }
  {
    auto o = std::make_shared<PolicyActOptions>();
    auto* cmd = policy->add_subcommand("act", "recommended action and expected utility per user (JSONL)");
    add_common_options(*cmd, o->common);
    cmd->add_option("--policy", o->policy, "policy file")->required();
    cmd->add_option("--data", o->data, "users' histories (log JSONL)")->required();
    cmd->add_option("-o,--output", o->output, "output JSONL (default stdout)");
    cmd->add_option("--rollouts", o->rollouts, "model rollouts per user for the expected utility")->capture_default_str();
    cmd->callback([o, &action] { action = [o] { return run_policy_act(*o); }; });
  }
  {
    auto o = std::make_shared<PolicyGradientsOptions>();
    auto* cmd = policy->add_subcommand("gradients", "variance of the REINFORCE and pathwise policy gradients at a policy");
    add_common_options(*cmd, o->common);
    cmd->add_option("--policy", o->policy, "policy file")->required();
    cmd->add_option("--log", o->log, "logged users whose histories start the rollouts")->required();
    cmd->add_option("--repeats", o->repeats, "independent estimates per estimator")->capture_default_str();
    cmd->add_option("--users", o->users, "users per estimate")->capture_default_str();
    cmd->add_option("--rollouts", o->rollouts, "rollouts per user")->capture_default_str();
    cmd->callback([o, &action] { action = [o] { return run_policy_gradients(*o); }; });
  }
}

}  // namespace tpp
