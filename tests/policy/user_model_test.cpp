// The competing-risks user model: its likelihood against a brute-force sum over a toy log computed
// event by event from incrementally stepped states (densities and survivals, not hazards), its
// gradients against central differences, and recovery of known waiting-time laws and type
// probabilities from data simulated by the very process the model describes.
#include <gtest/gtest.h>

#include <cmath>

#include "tpp/core/rng.h"
#include "tpp/policy/user_model.h"

namespace tpp {
namespace {

ActionSchema schema() { return ActionSchema{{"visit", "purchase"}, {"none", "email"}}; }

std::vector<UserHistory> toy_users() {
  return {
      UserHistory{"u0", 4.0,
                  {{0.5, EventKind::UserEvent, 0},
                   {1.0, EventKind::Opportunity, 0},
                   {1.0, EventKind::Action, 1, 0.5},
                   {2.5, EventKind::UserEvent, 1}},
                  -1},
      UserHistory{"u1", 1.0, {{0.3, EventKind::Opportunity, 0}, {0.3, EventKind::Action, 0, 0.5}}, -1},
      UserHistory{"u2", 2.0, {}, -1},
  };
}

UserModel small_model(bool defective) {
  torch::manual_seed(3);
  UserModelConfig c;
  c.encoder.hidden = 5;
  c.encoder.embed_dim = 3;
  c.defective = defective;
  UserModel m(schema(), c);
  m->to(torch::kFloat64);
  // Larger weights than the initialisation so that states, and thus laws, differ between intervals.
  torch::NoGradGuard no_grad;
  for (auto& p : m->parameters()) p.add_(torch::randn_like(p) * 0.3);
  return m;
}

double scalar(const torch::Tensor& t) { return t.item<double>(); }

// Σ_i [log f_kind(τ_i) + log S_other(τ_i) + log p(mark_i)] + log S_user(τ_end) + log S_opp(τ_end),
// with the state carried one event at a time.
double brute_force(UserModel& m, const UserHistory& u) {
  torch::NoGradGuard no_grad;
  Context ctx;
  auto carry = m->initial(1);
  double total = 0.0, previous = 0.0;
  auto one = [](double x) { return torch::full({1, 1}, x, torch::kFloat64); };
  for (const auto& e : u.events) {
    const double tau = e.time - previous;
    auto laws = m->laws(m->top(carry));
    if (e.kind == EventKind::UserEvent) {
      total += scalar(laws.user_event->log_density(one(tau))) + scalar(laws.opportunity->log_survival(one(tau))) +
               scalar(laws.mark_log_probs[0][e.mark]);
    } else if (e.kind == EventKind::Opportunity) {
      total += scalar(laws.opportunity->log_density(one(tau))) + scalar(laws.user_event->log_survival(one(tau)));
    }
    const int64_t token = e.kind == EventKind::UserEvent     ? m->event_token(e.mark)
                          : e.kind == EventKind::Opportunity ? m->opportunity_token()
                                                             : m->action_token(e.mark);
    carry = m->advance(carry, torch::full({1}, token, torch::kLong), torch::full({1}, tau, torch::kFloat64));
    previous = e.time;
  }
  auto laws = m->laws(m->top(carry));
  const double tail = u.t_end - previous;
  total += scalar(laws.user_event->log_survival(one(tail))) + scalar(laws.opportunity->log_survival(one(tail)));
  return total;
}

TEST(UserModel, LikelihoodEqualsBruteForceOnAToyLog) {
  for (bool defective : {false, true}) {
    auto m = small_model(defective);
    auto users = toy_users();
    std::vector<const UserHistory*> ptrs;
    for (const auto& u : users) ptrs.push_back(&u);
    torch::NoGradGuard no_grad;
    auto ll = m->log_likelihood(make_action_log_batch(ptrs, Context{}));
    for (std::size_t i = 0; i < users.size(); ++i)
      EXPECT_NEAR(ll[i].item<double>(), brute_force(m, users[i]), 1e-10) << users[i].user << " defective " << defective;
  }
}

TEST(UserModel, IncrementalCarryEqualsBatchEncoding) {
  auto m = small_model(true);
  auto users = toy_users();
  std::vector<const UserHistory*> ptrs;
  for (const auto& u : users) ptrs.push_back(&u);
  torch::NoGradGuard no_grad;
  auto batch = make_action_log_batch(ptrs, Context{});
  auto states = m->encode(batch);  // [B, L+1, H]
  auto [carry, quiet] = m->carry_after(ptrs, Context{});
  for (std::size_t i = 0; i < users.size(); ++i) {
    const auto n = static_cast<int64_t>(users[i].events.size());
    EXPECT_TRUE(torch::allclose(states[i][n], m->top(carry)[i], 1e-12, 1e-12)) << users[i].user;
    const double last = users[i].events.empty() ? 0.0 : users[i].events.back().time;
    EXPECT_DOUBLE_EQ(quiet[i].item<double>(), users[i].t_end - last);
  }
}

TEST(UserModel, GradientsMatchCentralDifferences) {
  auto m = small_model(true);
  auto users = toy_users();
  std::vector<const UserHistory*> ptrs;
  for (const auto& u : users) ptrs.push_back(&u);
  auto batch = make_action_log_batch(ptrs, Context{});
  auto ll = m->log_likelihood(batch).sum();
  m->zero_grad();
  ll.backward();
  Rng rng(5);
  int checked = 0;
  for (auto& item : m->named_parameters()) {
    auto p = item.value();
    auto flat = p.view({-1});
    for (int r = 0; r < 3; ++r) {
      const int64_t i = static_cast<int64_t>(rng.uniform() * flat.numel()) % flat.numel();
      const double h = 1e-6, x = flat[i].item<double>();
      double up, down;
      {
        torch::NoGradGuard no_grad;
        flat[i] = x + h;
        up = m->log_likelihood(batch).sum().item<double>();
        flat[i] = x - h;
        down = m->log_likelihood(batch).sum().item<double>();
        flat[i] = x;
      }
      const double numeric = (up - down) / (2 * h), analytic = p.grad().view({-1})[i].item<double>();
      EXPECT_NEAR(analytic, numeric, 1e-5 * std::max(1.0, std::abs(numeric))) << item.key() << "[" << i << "]";
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
}

// Competing risks with constant laws (the state never matters): after every event, the wait to a
// user event is log-logistic (λ 1, c 2, k 1), the wait to an opportunity Lomax (λ 2, c 1, k 2), a
// user event is a purchase with probability 0.3, and an action (uniform) follows each opportunity.
ActionLog constant_process(int users, double window, std::uint64_t seed) {
  ActionLog log;
  log.schema = schema();
  Rng rng(seed);
  for (int i = 0; i < users; ++i) {
    UserHistory u{"u" + std::to_string(i), window, {}, -1};
    double t = 0.0;
    while (true) {
      const double wu = 1.0 * std::pow(std::pow(rng.uniform(), -1.0 / 1.0) - 1.0, 1.0 / 2.0);
      const double wo = 2.0 * std::pow(std::pow(rng.uniform(), -1.0 / 2.0) - 1.0, 1.0 / 1.0);
      t += std::min(wu, wo);
      if (t > window) break;
      if (wu < wo) {
        u.events.push_back({t, EventKind::UserEvent, rng.uniform() < 0.3 ? 1 : 0});
      } else {
        u.events.push_back({t, EventKind::Opportunity, 0});
        u.events.push_back({t, EventKind::Action, rng.uniform() < 0.5 ? 1 : 0, 0.5});
      }
    }
    log.users.push_back(std::move(u));
  }
  return log;
}

TEST(UserModel, TrainingRecoversKnownCompetingRisks) {
  const ActionLog log = constant_process(150, 15.0, 11);
  torch::manual_seed(1);
  UserModelConfig c;
  c.encoder.hidden = 8;
  c.encoder.embed_dim = 4;
  c.defective = false;
  c.epochs = 25;
  c.batch_size = 50;
  c.lr = 0.03;
  UserModel m(schema(), c);
  m->to(torch::kFloat64);
  Context ctx;
  ctx.seed = 2;
  const double before = user_model_log_likelihood(m, log, ctx);
  const double fitted = fit_user_model(m, log, ctx, nullptr);
  // The true per-event log-likelihood of the same log.
  double truth = 0.0;
  std::size_t events = 0;
  for (const auto& u : log.users) {
    double previous = 0.0;
    auto log_s_user = [](double x) { return -std::log1p(x * x); };
    auto log_s_opp = [](double x) { return -2.0 * std::log1p(x / 2.0); };
    for (const auto& e : u.events) {
      const double x = e.time - previous;
      if (e.kind == EventKind::UserEvent)
        truth += std::log(2.0 * x / (1 + x * x)) + log_s_user(x) + log_s_opp(x) + std::log(e.mark ? 0.3 : 0.7);
      if (e.kind == EventKind::Opportunity) truth += std::log(1.0 / (1 + x / 2.0)) + log_s_user(x) + log_s_opp(x);
      events += e.kind != EventKind::Action;
      previous = e.time;
    }
    truth += log_s_user(u.t_end - previous) + log_s_opp(u.t_end - previous);
  }
  truth /= static_cast<double>(events);
  EXPECT_GT(fitted, before + 0.05);
  EXPECT_NEAR(fitted, truth, 0.03) << "before " << before;
  // The laws at every logged state against the truth.
  std::vector<const UserHistory*> ptrs;
  for (const auto& u : log.users) ptrs.push_back(&u);
  torch::NoGradGuard no_grad;
  // The states of real intervals only (padding positions are not part of any user's history).
  auto batch = make_action_log_batch(ptrs, ctx);
  auto valid = torch::arange(batch.span.size(1)).unsqueeze(0) <= batch.length.unsqueeze(1);
  auto all = m->encode(batch).index({valid});
  auto laws = m->laws(all);
  auto at = [&](const BurrLaw& law, double tau) {
    return law.log_survival(torch::full({all.size(0), 1}, tau, torch::kFloat64)).exp().mean().item<double>();
  };
  EXPECT_NEAR(at(*laws.user_event, 1.0), 0.5, 0.04);
  EXPECT_NEAR(at(*laws.user_event, 2.0), 0.2, 0.04);
  EXPECT_NEAR(at(*laws.opportunity, 1.0), 1.0 / 2.25, 0.04);
  EXPECT_NEAR(laws.mark_log_probs.exp().select(-1, 1).mean().item<double>(), 0.3, 0.03);
}

}  // namespace
}  // namespace tpp
