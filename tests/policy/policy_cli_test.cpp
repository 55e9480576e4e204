// tpp policy end to end through the verbs' entry points on a small simulated log (simulate, fit,
// evaluate on the simulator and off-policy, act, gradients), the policy file written atomically and
// read back identically, and malformed policy configs rejected with errors naming file and key.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "../test_support.h"
#include "tpp/cli/policy.h"
#include "tpp/core/error.h"
#include "tpp/policy/policy.h"

namespace tpp {
namespace {

const char* kSimulator = R"({
  "event_types": ["visit", "purchase"], "actions": ["none", "email", "coupon"],
  "logging_policy": [0.5, 0.3, 0.2], "users": 40, "window": 10, "horizon": 5,
  "user_types": [
    {"weight": 1, "rate": [0.5, 0.05], "opportunity_rate": 0.6,
     "actions": {"coupon": {"effect": [0, 0.5], "delay": 0.5, "width": 2}}},
    {"weight": 1, "rate": [1.0, 0.1], "recency": 2, "opportunity_rate": 0.6,
     "actions": {"email": {"churn": 0.1}, "coupon": {"churn": 0.2}}}]})";

nlohmann::json policy_config() {
  return nlohmann::json::parse(R"({
    "event_types": ["visit", "purchase"], "actions": ["none", "email", "coupon"],
    "value": {"purchase": 1}, "cost": {"email": 0.05, "coupon": 0.3}, "horizon": 5,
    "user_model": {"hidden": 6, "embed_dim": 3, "epochs": 2, "batch_size": 20},
    "optimiser": {"iterations": 3, "users_per_step": 10, "rollouts": 2}})");
}

// Captures std::cout while `f` runs.
template <class F>
std::string captured(F f) {
  std::stringstream buffer;
  auto* old = std::cout.rdbuf(buffer.rdbuf());
  try {
    f();
  } catch (...) {
    std::cout.rdbuf(old);
    throw;
  }
  std::cout.rdbuf(old);
  return buffer.str();
}

// The small log every end-to-end test fits on, written into `dir`.
PolicySimulateOptions simulated_log(testing::TempDir& dir) {
  PolicySimulateOptions s;
  s.common.quiet = true;
  s.simulator = kSimulator;
  s.output = dir.file("logged.jsonl");
  s.common.seed = 1;
  EXPECT_EQ(run_policy_simulate(s), 0);
  return s;
}

// `tpp policy act` output: one line per user with its action, expected utility and action
// probabilities summing to 1.
void expect_one_decision_per_user(const std::string& output, int users) {
  std::istringstream lines(output);
  std::string line;
  int seen = 0;
  while (std::getline(lines, line)) {
    const auto row = nlohmann::json::parse(line);
    EXPECT_TRUE(row.contains("user") && row.contains("action") && row.contains("expected_utility"));
    double total = 0;
    for (auto& [k, v] : row["probabilities"].items()) total += v.get<double>();
    EXPECT_NEAR(total, 1.0, 1e-9);
    ++seen;
  }
  EXPECT_EQ(seen, users);
}

TEST(PolicyCli, SimulateFitEvaluateActEndToEnd) {
  testing::TempDir dir;
  PolicySimulateOptions s = simulated_log(dir);

  PolicyFitOptions f;
  f.common.quiet = true;
  f.common.json = true;
  f.config = policy_config().dump();
  f.log = s.output;
  f.output = dir.file("policy.tpp");
  const std::string fit = captured([&] { ASSERT_EQ(run_policy_fit(f), 0); });
  auto summary = nlohmann::json::parse(fit);
  EXPECT_EQ(summary["users"], 40);
  EXPECT_TRUE(std::filesystem::exists(f.output));
  EXPECT_FALSE(std::filesystem::exists(f.output + ".tmp"));

  PolicyEvaluateOptions e;
  e.common.json = true;
  e.common.quiet = true;
  e.policy = f.output;
  e.simulator = kSimulator;
  e.users = 30;
  e.markdown = dir.file("table.md");
  e.utilities = dir.file("utilities.csv");
  auto table = nlohmann::json::parse(captured([&] { ASSERT_EQ(run_policy_evaluate(e), 0); }));
  ASSERT_EQ(table["results"].size(), 8u);  // learned, never, always ×2, random, best single, schedule, greedy
  EXPECT_EQ(table["results"][0]["policy"], "learned policy");
  EXPECT_EQ(table["results"][1]["actions_per_user"], 0.0);
  EXPECT_TRUE(std::filesystem::exists(e.markdown));
  // The per-user utilities: a header and one row per user, whose columns average to the table's means.
  {
    std::ifstream in(e.utilities);
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    EXPECT_EQ(line.rfind("user,\"learned policy\",\"never act\"", 0), 0u) << line;
    double learned = 0.0;
    int rows = 0;
    while (std::getline(in, line)) {
      const auto first = line.find(','), second = line.find(',', first + 1);
      learned += std::stod(line.substr(first + 1, second - first - 1));
      ++rows;
    }
    EXPECT_EQ(rows, 30);
    EXPECT_NEAR(learned / rows, table["results"][0]["mean_utility"].get<double>(), 1e-9);
  }

  PolicyEvaluateOptions off;
  off.common.json = true;
  off.policy = f.output;
  off.log = s.output;
  auto estimate = nlohmann::json::parse(captured([&] { ASSERT_EQ(run_policy_evaluate(off), 0); }));
  EXPECT_GT(estimate["effective_sample_size"].get<double>(), 0.0);
  EXPECT_LE(estimate["effective_sample_size"].get<double>(), 40.0);
  // The doubly robust estimate comes by default, and not with --model-rollouts 0.
  ASSERT_TRUE(estimate.contains("doubly_robust_value"));
  EXPECT_TRUE(std::isfinite(estimate["doubly_robust_value"].get<double>()));
  EXPECT_LE(estimate["doubly_robust_ci95"][0].get<double>(), estimate["doubly_robust_ci95"][1].get<double>());
  off.model_rollouts = 0;
  EXPECT_FALSE(nlohmann::json::parse(captured([&] { ASSERT_EQ(run_policy_evaluate(off), 0); })).contains("doubly_robust_value"));
  off.model_rollouts = -1;
  EXPECT_THROW(run_policy_evaluate(off), Error);

  PolicyActOptions a;
  a.common.quiet = true;
  a.policy = f.output;
  a.data = s.output;
  a.rollouts = 4;
  const std::string first = captured([&] { ASSERT_EQ(run_policy_act(a), 0); });
  const std::string second = captured([&] { ASSERT_EQ(run_policy_act(a), 0); });
  EXPECT_EQ(first, second);  // seeded
  expect_one_decision_per_user(first, 40);

  PolicyGradientsOptions g;
  g.policy = f.output;
  g.log = s.output;
  g.repeats = 3;
  g.users = 5;
  g.rollouts = 2;
  auto variance = nlohmann::json::parse(captured([&] { ASSERT_EQ(run_policy_gradients(g), 0); }));
  EXPECT_GE(variance["reinforce"]["total_variance"].get<double>(), 0.0);
}

// "ensemble": 2 end to end: two user models fitted on different bootstrap resamples (so they
// disagree), the policy reading both states, both saved and loaded back, and act and evaluate
// running through the posterior predictive.
TEST(PolicyCli, EnsembleFitsDistinctMembersAndRunsEndToEnd) {
  testing::TempDir dir;
  PolicySimulateOptions s = simulated_log(dir);
  auto config = policy_config();
  config["ensemble"] = 2;
  PolicyFitOptions f;
  f.common.quiet = true;
  f.config = config.dump();
  f.log = s.output;
  f.output = dir.file("policy.tpp");
  captured([&] { ASSERT_EQ(run_policy_fit(f), 0); });

  auto b = load_policy(f.output, Context{});
  ASSERT_EQ(b.models.size(), 2u);
  EXPECT_EQ(b.config.ensemble, 2);
  EXPECT_EQ(b.features(), 2 * 6);  // both members' states, hidden 6 each
  torch::NoGradGuard no_grad;
  auto x = torch::randn({3, 6}, b.models[0]->head(torch::zeros({1, 6}, torch::kFloat64)).options());
  EXPECT_FALSE(torch::allclose(b.models[0]->head(x), b.models[1]->head(x)));  // different resamples
  EXPECT_EQ(b.policy->logits(torch::zeros({1, 12}, x.options())).size(1), 3);

  PolicyActOptions a;
  a.common.quiet = true;
  a.policy = f.output;
  a.data = s.output;
  a.rollouts = 2;
  expect_one_decision_per_user(captured([&] { ASSERT_EQ(run_policy_act(a), 0); }), 40);

  PolicyEvaluateOptions e;
  e.common.json = true;
  e.common.quiet = true;
  e.policy = f.output;
  e.simulator = kSimulator;
  e.users = 10;
  auto table = nlohmann::json::parse(captured([&] { ASSERT_EQ(run_policy_evaluate(e), 0); }));
  EXPECT_EQ(table["results"][0]["policy"], "learned policy");
}

TEST(PolicyCli, SavedPolicyLoadsBackIdentically) {
  testing::TempDir dir;
  PolicyConfig c = parse_policy_config(policy_config(), "cfg");
  torch::manual_seed(4);
  PolicyBundle b;
  b.config = c;
  b.models.push_back(UserModel(c.schema, c.user_model));
  b.models[0]->to(torch::kFloat64);
  b.policy = Policy(b.features(), 3);
  b.policy->to(torch::kFloat64);
  {
    torch::NoGradGuard no_grad;
    for (auto& p : b.policy->parameters()) p.normal_();
  }
  save_policy(dir.file("p.tpp"), b);
  auto back = load_policy(dir.file("p.tpp"), Context{});
  auto x = torch::randn({2, 6}, torch::kFloat64);
  EXPECT_TRUE(torch::equal(b.policy->logits(x), back.policy->logits(x)));
  EXPECT_TRUE(torch::equal(b.models[0]->head(x), back.models[0]->head(x)));
  EXPECT_EQ(policy_config_json(back.config), policy_config_json(c));
}

void expect_fit_error(const nlohmann::json& config, const std::string& words) {
  testing::TempDir dir;
  const std::string path = dir.file("P.json");
  std::ofstream(path) << config.dump();
  PolicyFitOptions f;
  f.config = path;
  f.log = dir.file("missing.jsonl");
  f.output = dir.file("out.tpp");
  try {
    run_policy_fit(f);
    ADD_FAILURE() << "accepted " << config.dump();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(PolicyCli, MalformedPolicyConfigsAreLocatedErrors) {
  auto j = policy_config();
  j["horizn"] = 3;
  expect_fit_error(j, "horizn: unknown key");
  j = policy_config();
  j["value"]["click"] = 1;
  expect_fit_error(j, "value.click: not a known user event type");
  j = policy_config();
  j["cost"]["none"] = 1;
  expect_fit_error(j, "cost.none: not a known non-\"none\" action type");
  j = policy_config();
  j["cost"]["email"] = -1;
  expect_fit_error(j, "cost.email: a cost must be >= 0");
  j = policy_config();
  j["horizon"] = 0;
  expect_fit_error(j, "horizon: must be a positive finite number");
  j = policy_config();
  j["optimiser"]["estimator"] = "magic";
  expect_fit_error(j, "optimiser: \"estimator\" must be one of");
  j = policy_config();
  j["user_model"]["hidden"] = 0;
  expect_fit_error(j, "user_model: \"hidden\" must be in [1, 16384]");
  j = policy_config();
  j["user_model"]["hiden"] = 4;
  expect_fit_error(j, "hiden");
  j = policy_config();
  j["actions"] = {"email"};
  expect_fit_error(j, "\"none\" first");
  j = policy_config();
  j["ensemble"] = 0;
  expect_fit_error(j, "ensemble: must be an integer >= 1");
  // Invalid JSON: the parser's line and column.
  testing::TempDir dir;
  std::ofstream(dir.file("bad.json")) << "{\n  \"horizon\": ,\n}";
  PolicyFitOptions f;
  f.config = dir.file("bad.json");
  f.log = "x";
  f.output = "y";
  try {
    run_policy_fit(f);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tpp
