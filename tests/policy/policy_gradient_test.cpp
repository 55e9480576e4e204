// Policy gradients on a toy problem with a known answer: every action enters the user model with
// the same embedding, so the future does not depend on the action taken, and the utility is
// −Σ cost(a_j) over the rollout's opportunities with costs (0, 1, −0.5): action "b" is optimal,
// E[U] = −E[N] p·c for a constant policy p, and −∂E[U]/∂b_a = E[N] p_a (c_a − p·c) exactly, E[N]
// the expected number of opportunities (estimated separately by many rollouts). REINFORCE with the
// leave-one-out baseline must match it within its standard error; optimisation must find "b".
#include <gtest/gtest.h>

#include <cmath>

#include "tpp/core/rng.h"
#include "tpp/policy/evaluation.h"
#include "tpp/policy/policy.h"

namespace tpp {
namespace {

struct Toy {
  PolicyBundle bundle;
  ActionLog log;
};

Toy toy() {
  Toy t;
  PolicyConfig& c = t.bundle.config;
  c.schema = ActionSchema{{"visit"}, {"none", "a", "b"}};
  c.utility.value = {0.0};
  c.utility.cost = {0.0, 1.0, -0.5};
  c.utility.horizon = 4.0;
  c.user_model.encoder.hidden = 4;
  c.user_model.encoder.embed_dim = 3;
  c.user_model.defective = false;
  c.optimiser.users_per_step = 8;
  c.optimiser.rollouts = 8;
  c.optimiser.iterations = 40;
  c.optimiser.lr = 0.2;
  torch::manual_seed(7);
  UserModel m(c.schema, c.user_model);
  m->to(torch::kFloat64);
  {
    torch::NoGradGuard no_grad;
    auto emb = m->named_parameters()["type_embedding.weight"];
    for (int a = 1; a < 3; ++a) emb[m->action_token(a)].copy_(emb[m->action_token(0)]);
  }
  t.bundle.models.push_back(m);
  t.bundle.policy = Policy(t.bundle.features(), 3);
  t.bundle.policy->to(torch::kFloat64);
  t.log.schema = c.schema;
  for (int i = 0; i < 8; ++i) {
    UserHistory u{"u" + std::to_string(i), 3.0 + i, {}, -1};
    for (int j = 0; j <= i % 3; ++j) {
      u.events.push_back({0.5 + j, EventKind::UserEvent, 0});
      u.events.push_back({0.9 + j, EventKind::Opportunity, 0});
      u.events.push_back({0.9 + j, EventKind::Action, (i + j) % 3, 1.0 / 3});
    }
    t.log.users.push_back(u);
  }
  return t;
}

RolloutStart starts(Toy& t) {
  std::vector<const UserHistory*> users;
  for (const auto& u : t.log.users) users.push_back(&u);
  return rollout_start(t.bundle, users, Context{});
}

TEST(PolicyGradient, ReinforceIsUnbiasedOnAToyWithAKnownOptimum) {
  Toy t = toy();
  for (auto& p : t.bundle.models[0]->parameters()) p.set_requires_grad(false);
  auto start = starts(t);
  const int64_t N = start.quiet.size(0);
  // E[N]: opportunities per rollout under "always a" (any policy gives the same law).
  double expected_n, se_n;
  {
    torch::NoGradGuard no_grad;
    const int reps = 2000;
    RolloutOptions o;
    o.mode = RolloutMode::Fixed;
    o.fixed = {0, 1, 0};
    o.seed = 99;
    auto idx = torch::arange(N, torch::kLong).repeat({reps});
    auto counts = rollout(t.bundle, start.select(idx), o, Context{}).actions.view({reps, N}).mean(1);
    expected_n = counts.mean().item<double>();
    se_n = counts.std().item<double>() / std::sqrt(static_cast<double>(reps));
  }
  ASSERT_GT(expected_n, 0.5);
  const std::vector<double> c{0.0, 1.0, -0.5};
  const double pc = (c[0] + c[1] + c[2]) / 3.0;
  const int R = 40;
  std::vector<std::vector<double>> grads(3);
  for (int r = 0; r < R; ++r) {
    policy_gradient(t.bundle, start, "reinforce", 25, 1000 + r, Context{});
    auto g = t.bundle.policy->named_parameters()["linear.bias"].grad();
    for (int a = 0; a < 3; ++a) grads[a].push_back(g[a].item<double>());
  }
  for (int a = 0; a < 3; ++a) {
    double mean = 0, ss = 0;
    for (double x : grads[a]) mean += x / R;
    for (double x : grads[a]) ss += (x - mean) * (x - mean);
    const double se = std::sqrt(ss / (R - 1) / R);
    const double exact = expected_n * (c[a] - pc) / 3.0;
    const double tolerance = 4 * std::sqrt(se * se + std::pow(se_n * std::abs(c[a] - pc) / 3.0, 2));
    EXPECT_NEAR(mean, exact, tolerance) << "action " << a << " (E[N] " << expected_n << ")";
    // The estimate is informative: its error is small against the gradient itself.
    EXPECT_LT(tolerance, 0.5 * std::abs(exact)) << a;
  }
}

TEST(PolicyGradient, OptimisationFindsTheKnownOptimalAction) {
  for (const std::string estimator : {"reinforce", "pathwise"}) {
    Toy t = toy();
    t.bundle.config.optimiser.estimator = estimator;
    Context ctx;
    ctx.seed = 3;
    auto trace = optimise_policy(t.bundle, t.log, ctx, nullptr);
    ASSERT_EQ(trace.utility.size(), 40u);
    auto start = starts(t);
    torch::NoGradGuard no_grad;
    auto p = torch::softmax(t.bundle.policy->logits(t.bundle.models[0]->top(start.carries[0])), -1);
    EXPECT_GT(p.select(1, 2).min().item<double>(), 0.9) << estimator << "\n" << p;
  }
}

// The off-policy estimators on a logged chain with a known value: three decisions per user, the
// logging policy picks action 1 with probability 1/2, the evaluated one with 0.8; the utility
// after decision k is payoff · a_k + N(0, 0.5²) and before the first one N(0, 1), so the value is
// 3 · 0.8 · payoff.
std::vector<LoggedTrajectory> chain_log(int users, std::uint64_t seed, double payoff = 1.0) {
  Rng rng(seed);
  std::vector<LoggedTrajectory> out(users);
  for (auto& t : out) {
    t.segment_utility.push_back(rng.normal(0.0, 1.0));
    for (int k = 0; k < 3; ++k) {
      const int a = rng.uniform() < 0.5 ? 1 : 0;
      t.log_ratio.push_back(std::log((a == 1 ? 0.8 : 0.2) / 0.5));
      t.segment_utility.push_back(payoff * a + rng.normal(0.0, 0.5));
    }
  }
  return out;
}

// The mean and sample standard deviation of repeated estimates.
std::pair<double, double> mean_sd(const std::vector<double>& x) {
  double m = 0.0, ss = 0.0;
  for (double v : x) m += v / static_cast<double>(x.size());
  for (double v : x) ss += (v - m) * (v - m);
  return {m, std::sqrt(ss / static_cast<double>(x.size() - 1))};
}

TEST(OffPolicy, EstimatorsRecoverAKnownValueAndPerDecisionHasLessVariance) {
  // The logging policy itself (every ratio 1): both are the mean logged utility.
  auto same = chain_log(300, 3);
  double mean = 0.0;
  for (auto& t : same) {
    for (double& r : t.log_ratio) r = 0.0;
    for (double v : t.segment_utility) mean += v / 300.0;
  }
  const auto e0 = importance_estimates(same, 1);
  EXPECT_NEAR(e0.value, mean, 1e-12);
  EXPECT_NEAR(e0.per_decision_value, mean, 1e-12);
  EXPECT_NEAR(e0.effective_sample_size, 300.0, 1e-9);

  // 100 logs of 200 users: both estimators centre on 2.4 (the mean of 100 estimates within 4 of
  // its standard errors), the per-decision one varies less (utility before a decision does not
  // carry its ratio), and its bootstrap interval covers 2.4 in at least 85 of 100 logs (95% nominal:
  // fewer than 85 has probability below 1e−4).
  const double truth = 2.4;
  std::vector<double> trajectory, per_decision;
  int covered = 0;
  for (int r = 0; r < 100; ++r) {
    const auto e = importance_estimates(chain_log(200, 100 + r), 7 + r);
    trajectory.push_back(e.value);
    per_decision.push_back(e.per_decision_value);
    covered += e.per_decision_low <= truth && truth <= e.per_decision_high;
  }
  const auto [mt, st] = mean_sd(trajectory);
  const auto [mp, sp] = mean_sd(per_decision);
  // Self-normalised estimators are biased at O(1/n); at n = 200 that is far below these bands.
  EXPECT_LT(std::abs(mt - truth), 4 * st / 10) << mt;
  EXPECT_LT(std::abs(mp - truth), 4 * sp / 10) << mp;
  EXPECT_LT(sp, st) << "per-decision sd " << sp << ", trajectory sd " << st;
  EXPECT_GE(covered, 85);
  EXPECT_THROW(importance_estimates({LoggedTrajectory{{0.0}, {1.0}, {}, {}}}, 1), std::logic_error);
}

// The chain's model values: after decision k (1-based) come payoff · a_k and, in expectation under
// the evaluated policy, 0.8 payoff for each later decision: Q(h_k, a) = payoff (a + 0.8 (3 − k)),
// V(h_k) = 0.8 payoff (4 − k). `offset` and `slope` make a wrong model: Q = offset + slope · (the
// exact Q), V its mean under π.
void add_chain_model(std::vector<LoggedTrajectory>& log, double payoff, double offset, double slope) {
  for (auto& t : log)
    for (std::size_t k = 1; k <= t.log_ratio.size(); ++k) {
      const double a = t.log_ratio[k - 1] > 0 ? 1.0 : 0.0;  // ratio 0.8/0.5 for action 1, 0.2/0.5 for 0
      const double later = 0.8 * (3.0 - static_cast<double>(k));
      t.model_q.push_back(offset + slope * payoff * (a + later));
      t.model_v.push_back(offset + slope * payoff * (0.8 + later));
    }
}

TEST(OffPolicy, DoublyRobustIsUnbiasedWithAnyModelAndRemovesTheRatiosVarianceWithTheRightOne) {
  // 100 logs of 200 users, as above but with actions paying 4, so that most of the per-decision
  // spread comes from the ratios. With the exact model only the noise of the utilities is left; with
  // a wrong one (offset and scale) the estimate is still centred on the value.
  const double payoff = 4.0, truth = 2.4 * payoff;
  std::vector<double> per_decision, exact, wrong;
  int covered = 0;
  for (int r = 0; r < 100; ++r) {
    auto log = chain_log(200, 100 + r, payoff);
    auto right = log;
    add_chain_model(right, payoff, 0.0, 1.0);
    auto bad = log;
    add_chain_model(bad, payoff, 3.0, -0.7);
    const auto e = importance_estimates(right, 7 + r);
    ASSERT_TRUE(e.has_doubly_robust);
    per_decision.push_back(e.per_decision_value);
    exact.push_back(e.doubly_robust_value);
    covered += e.doubly_robust_low <= truth && truth <= e.doubly_robust_high;
    wrong.push_back(importance_estimates(bad, 7 + r).doubly_robust_value);
    // The model alone: the utility before the first decision plus V(h_1), the value.
    double before = 0.0;
    for (const auto& t : log) before += t.segment_utility[0] / 200.0;
    EXPECT_NEAR(e.model_value, before + truth, 1e-12);
  }
  const auto [mp, sp] = mean_sd(per_decision);
  const auto [me, se] = mean_sd(exact);
  const auto [mw, sw] = mean_sd(wrong);
  EXPECT_LT(std::abs(me - truth), 4 * se / 10) << me;
  EXPECT_LT(std::abs(mw - truth), 4 * sw / 10) << mw;
  // The exact model leaves only the utilities' own noise: the mean of 200 N(0, 1) before the first
  // decision, and Σ_i w̄_ik ε_ik with ε ~ N(0, 0.5²) after decision k, whose variance is 0.25 / ESS_k
  // with ESS_k = 200 / 1.36^k (E[ρ²] = (1.6² + 0.4²) / 2 = 1.36 per decision): sd
  // √(1/200 + 0.25 (1.36 + 1.36² + 1.36³) / 200) = 0.110. Estimated from 100 logs its standard error
  // is 0.008, so 0.135 is 3 of them away. The per-decision estimate carries the ratios' spread of
  // payoff · a on top (its sd is about 0.21 here); each sd has a relative standard error of 7% over
  // 100 logs, so the ratio of the two, about 0.52, is below 0.7 by more than 3 of its own.
  EXPECT_LT(se, 0.7 * sp) << "doubly robust sd " << se << ", per-decision sd " << sp;
  EXPECT_LT(se, 0.135) << se;
  EXPECT_GE(covered, 85);
  // Model values at some decisions only are a caller's mistake.
  auto partial = chain_log(3, 1);
  partial[0].model_q = {0.0, 0.0, 0.0};
  EXPECT_THROW(importance_estimates(partial, 1), std::logic_error);
}

// End to end on the toy, where the future does not depend on the action: under common random
// numbers the model's Q̂(h, a) − V̂(h) is exactly −c_a + p·c, so with the uniform policy (equal to
// the logging policy, all ratios 1) the doubly robust estimate is the per-decision one plus the
// mean over users of Σ_k (c_{a_k} − p·c).
TEST(OffPolicy, DoublyRobustModelValuesFromRolloutsOnTheToy) {
  Toy t = toy();
  Context ctx;
  ctx.dtype = torch::kFloat64;
  ctx.seed = 5;
  const auto e = off_policy_estimate(t.bundle, t.log, "toy", ctx, 3);
  ASSERT_TRUE(e.has_doubly_robust);
  const auto& cost = t.bundle.config.utility.cost;
  const double pc = (cost[0] + cost[1] + cost[2]) / 3.0;
  double correction = 0.0;
  for (const auto& u : t.log.users)
    for (const auto& ev : u.events)
      if (ev.kind == EventKind::Action && ev.time > u.t_end - t.bundle.config.utility.horizon)
        correction += (cost[ev.mark] - pc) / static_cast<double>(t.log.users.size());
  EXPECT_NEAR(e.doubly_robust_value, e.per_decision_value + correction, 1e-9);
  EXPECT_NEAR(e.per_decision_value, e.logged_value, 1e-12);
  EXPECT_FALSE(off_policy_estimate(t.bundle, t.log, "toy", ctx, 0).has_doubly_robust);
}

TEST(Rollout, AForcedFirstActionWithNoTimeLeftCostsItsPriceOnly) {
  Toy t = toy();
  Context ctx;
  ctx.dtype = torch::kFloat64;
  auto start = starts(t);
  const int64_t B = start.quiet.size(0);
  start.remaining = torch::zeros({B}, torch::kFloat64);
  start.first_action = torch::arange(B, torch::kLong) % 3;
  start.quiet = torch::zeros({B}, torch::kFloat64);
  RolloutOptions o;
  o.seed = 1;
  const auto r = rollout(t.bundle, start, o, ctx);
  for (int64_t i = 0; i < B; ++i) {
    EXPECT_DOUBLE_EQ(r.utility[i].item<double>(), -t.bundle.config.utility.cost[i % 3]) << i;
    EXPECT_DOUBLE_EQ(r.actions[i].item<double>(), i % 3 == 0 ? 0.0 : 1.0) << i;
  }
}

}  // namespace
}  // namespace tpp
