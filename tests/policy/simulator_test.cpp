// The ground-truth user simulator: logged propensities are the logging policy's (with and without
// the hidden trait's tilt) and actions are drawn with them; user-event gaps follow the heavy-tailed
// law of the base hazard (time-rescaling-free KS test on a type without actions); action effects
// raise the affected intensity; and malformed configs are errors naming the key path.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "tpp/core/error.h"
#include "tpp/core/stats.h"
#include "tpp/policy/simulator.h"

namespace tpp {
namespace {

nlohmann::json two_types() {
  return nlohmann::json::parse(R"({
    "event_types": ["visit", "purchase"], "actions": ["none", "email", "coupon"],
    "logging_policy": [0.5, 0.3, 0.2], "users": 300, "window": 20, "horizon": 10,
    "user_types": [
      {"name": "keen", "weight": 1, "rate": [0.5, 0.05], "recency": 1, "opportunity_rate": 0.6,
       "actions": {"coupon": {"effect": [0, 0.5], "delay": 0.5, "width": 2}}},
      {"name": "wary", "weight": 1, "rate": [1.0, 0.1], "recency": 2, "opportunity_rate": 0.6, "churn": 0.01,
       "actions": {"email": {"fatigue": 0.5, "churn": 0.1}, "coupon": {"churn": 0.2}}}
    ]})");
}

TEST(PolicySimulator, LoggedPropensitiesAreTheLoggingPolicy) {
  const SimulatorConfig c = parse_simulator_config(two_types(), "test");
  const ActionLog log = simulate_logs(c, 4);
  ASSERT_EQ(log.users.size(), 300u);
  std::vector<double> count(3, 0.0);
  double n = 0;
  for (const auto& u : log.users)
    for (std::size_t i = 0; i < u.events.size(); ++i) {
      const auto& e = u.events[i];
      if (e.kind != EventKind::Action) continue;
      ASSERT_GT(i, 0u);
      EXPECT_EQ(u.events[i - 1].kind, EventKind::Opportunity);
      EXPECT_EQ(u.events[i - 1].time, e.time);
      EXPECT_DOUBLE_EQ(e.propensity, c.logging_policy[e.mark]);
      count[e.mark] += 1;
      n += 1;
    }
  ASSERT_GT(n, 1000);
  // Frequencies within 4 binomial standard errors of the logging policy.
  for (int a = 0; a < 3; ++a) {
    const double p = c.logging_policy[a];
    EXPECT_NEAR(count[a] / n, p, 4 * std::sqrt(p * (1 - p) / n)) << a;
  }
}

TEST(PolicySimulator, TraitTiltedPropensitiesAreLoggedAsDrawn) {
  auto j = two_types();
  j["trait"] = {{"effect", 0.5}, {"logging_tilt", 1.0}};
  const SimulatorConfig c = parse_simulator_config(j, "test");
  const auto p0 = logging_probabilities(c, 0), p1 = logging_probabilities(c, 1);
  EXPECT_NEAR(p0[0] + p0[1] + p0[2], 1.0, 1e-12);
  EXPECT_GT(p1[1], c.logging_policy[1]);
  EXPECT_LT(p0[1], c.logging_policy[1]);
  const ActionLog log = simulate_logs(c, 5);
  // Each user's actions all carry one of the two vectors; per vector the draws match it.
  std::map<int, std::vector<double>> counts{{0, std::vector<double>(3)}, {1, std::vector<double>(3)}};
  for (const auto& u : log.users) {
    int trait = -1;
    for (const auto& e : u.events) {
      if (e.kind != EventKind::Action) continue;
      const int t = std::abs(e.propensity - p1[e.mark]) < 1e-12 ? 1 : 0;
      EXPECT_NEAR(e.propensity, (t ? p1 : p0)[e.mark], 1e-12);
      if (trait >= 0) EXPECT_EQ(trait, t);  // one trait per user
      trait = t;
      counts[t][e.mark] += 1;
    }
  }
  for (int t : {0, 1}) {
    const auto& p = t ? p1 : p0;
    double n = counts[t][0] + counts[t][1] + counts[t][2];
    ASSERT_GT(n, 300);
    for (int a = 1; a < 3; ++a) EXPECT_NEAR(counts[t][a] / n, p[a], 4 * std::sqrt(p[a] * (1 - p[a]) / n)) << t << a;
  }
}

TEST(PolicySimulator, GapsFollowTheHeavyTailedBaseLaw) {
  // One type, no opportunities to speak of: the hazard of any user event is R σ / (σ + s), so the
  // gaps have survival (1 + s/σ)^(−σR) (a Lomax law of tail index σR = 2).
  auto j = nlohmann::json::parse(R"({"event_types": ["visit", "purchase"], "actions": ["none", "email"],
      "users": 20, "window": 2000,
      "user_types": [{"rate": [0.6, 0.4], "recency": 2, "opportunity_rate": 1e-9}]})");
  const SimulatorConfig c = parse_simulator_config(j, "test");
  const ActionLog log = simulate_logs(c, 6);
  std::vector<double> gaps;
  double purchases = 0, events = 0;
  for (const auto& u : log.users) {
    double previous = 0.0;
    for (const auto& e : u.events) {
      gaps.push_back(e.time - previous);
      previous = e.time;
      purchases += e.mark == 1;
      events += 1;
    }
  }
  ASSERT_GT(gaps.size(), 5000u);
  auto ks = ks_test(gaps, [](double s) { return 1.0 - std::pow(1.0 + s / 2.0, -2.0); });
  EXPECT_GT(ks.p_value, 0.001) << "D = " << ks.statistic;
  EXPECT_NEAR(purchases / events, 0.4, 4 * std::sqrt(0.24 / events));
}

TEST(PolicySimulator, ActionsRaiseTheIntensityTheyTarget) {
  // A coupon adds 0.5 to the purchase intensity after its delay: always sending it must raise the
  // purchases in the horizon against never sending it, on the same users (paired seeds).
  const SimulatorConfig c = parse_simulator_config(two_types(), "test");
  struct Constant : DecisionRule {
    struct D : UserDecider {
      std::vector<double> p;
      void observe(const LoggedEvent&) override {}
      std::vector<double> probabilities(double) override { return p; }
    };
    std::vector<double> p;
    std::unique_ptr<UserDecider> start() const override {
      auto d = std::make_unique<D>();
      d->p = p;
      return d;
    }
  };
  Constant never, coupon;
  never.p = {1, 0, 0};
  coupon.p = {0, 0, 1};
  const std::vector<double> value{0, 1}, cost{0, 0, 0};
  double with = 0, without = 0;
  for (int i = 0; i < 200; ++i) {
    with += simulate_user(c, 9, i, &coupon, value, cost).utility;
    without += simulate_user(c, 9, i, &never, value, cost).utility;
  }
  EXPECT_GT(with, without * 1.5) << with << " vs " << without;
}

void expect_config_error(nlohmann::json j, const std::string& words) {
  try {
    parse_simulator_config(j, "S.json");
    ADD_FAILURE() << "accepted " << j.dump();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("S.json: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(PolicySimulator, MalformedConfigsNameTheKey) {
  auto j = two_types();
  j["colour"] = 1;
  expect_config_error(j, "colour: unknown key");
  j = two_types();
  j["user_types"][1]["actions"]["email"]["delay"] = -1;
  expect_config_error(j, "user_types[1].actions.email.delay: must be finite and >= 0");
  j = two_types();
  j["user_types"][0]["rate"] = {1.0};
  expect_config_error(j, "user_types[0].rate: must be an array of 2 numbers");
  j = two_types();
  j["logging_policy"] = {0.5, 0.5, 0.5};
  expect_config_error(j, "logging_policy: must sum to 1");
  j = two_types();
  j["user_types"][0]["actions"]["sms"] = nlohmann::json::object();
  expect_config_error(j, "user_types[0].actions.sms: unknown key");
  j = two_types();
  j["actions"] = {"email", "none"};
  expect_config_error(j, "\"none\" first");
  j = two_types();
  j["user_types"][1]["churn"] = 2;
  expect_config_error(j, "user_types[1].churn: must be a probability");
}

}  // namespace
}  // namespace tpp
