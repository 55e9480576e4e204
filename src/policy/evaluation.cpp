#include "tpp/policy/evaluation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include <fmt/format.h>

#include "tpp/core/error.h"
#include "tpp/core/rng.h"

namespace tpp {

nlohmann::json to_json(const PolicyValue& v) {
  return {{"policy", v.name}, {"mean_utility", v.mean}, {"ci95", {v.mean - v.half_width, v.mean + v.half_width}},
          {"actions_per_user", v.actions}, {"users", v.users}};
}

namespace {

std::pair<double, double> mean_and_half_width(const std::vector<double>& x) {
  const double n = static_cast<double>(x.size());
  double mean = 0.0;
  for (double v : x) mean += v / n;
  double ss = 0.0;
  for (double v : x) ss += (v - mean) * (v - mean);
  const double sd = x.size() > 1 ? std::sqrt(ss / (n - 1)) : 0.0;
  return {mean, 1.96 * sd / std::sqrt(n)};
}

class ConstantDecider : public UserDecider {
 public:
  explicit ConstantDecider(const std::vector<double>& p) : p_(p) {}
  void observe(const LoggedEvent&) override {}
  std::vector<double> probabilities(double) override { return p_; }

 private:
  const std::vector<double>& p_;
};

class ConstantRule : public DecisionRule {
 public:
  explicit ConstantRule(std::vector<double> p) : p_(std::move(p)) {}
  std::unique_ptr<UserDecider> start() const override { return std::make_unique<ConstantDecider>(p_); }

 private:
  std::vector<double> p_;
};

class ScheduleDecider : public UserDecider {
 public:
  ScheduleDecider(int action, double period, int actions) : action_(action), period_(period), actions_(actions) {}
  void observe(const LoggedEvent& e) override {
    if (e.kind == EventKind::Action && e.mark != 0 && acting_) last_ = e.time;
  }
  std::vector<double> probabilities(double now) override {
    acting_ = true;  // the schedule counts its own actions, not the logging policy's
    std::vector<double> p(actions_, 0.0);
    p[now - last_ >= period_ ? action_ : 0] = 1.0;
    return p;
  }

 private:
  int action_;
  double period_;
  int actions_;
  bool acting_{false};
  double last_{-std::numeric_limits<double>::infinity()};
};

class ScheduleRule : public DecisionRule {
 public:
  ScheduleRule(int action, double period, int actions) : action_(action), period_(period), actions_(actions) {}
  std::unique_ptr<UserDecider> start() const override {
    return std::make_unique<ScheduleDecider>(action_, period_, actions_);
  }

 private:
  int action_;
  double period_;
  int actions_;
};

int64_t token_of(UserModelImpl& m, const LoggedEvent& e) {
  return e.kind == EventKind::UserEvent ? m.event_token(e.mark)
         : e.kind == EventKind::Opportunity ? m.opportunity_token()
                                            : m.action_token(e.mark);
}

// Every member's carry of one user, advanced event by event.
struct MemberStates {
  PolicyBundle& b;
  Context ctx;
  std::vector<RnnEncoder::Carry> carries;
  double last{0.0};
  MemberStates(PolicyBundle& bundle, const Context& c) : b(bundle), ctx(c) {
    for (auto& m : b.models) carries.push_back(m->initial(1));
  }
  void observe(const LoggedEvent& e) {
    torch::NoGradGuard no_grad;
    auto tokens = torch::full({1}, token_of(*b.models.front(), e), torch::TensorOptions().dtype(torch::kLong).device(ctx.device));
    auto gap = torch::full({1}, e.time - last, ctx.options());
    for (std::size_t m = 0; m < carries.size(); ++m) carries[m] = b.models[m]->advance(carries[m], tokens, gap);
    last = e.time;
  }
  torch::Tensor features() const {
    std::vector<torch::Tensor> parts;
    for (std::size_t m = 0; m < carries.size(); ++m) parts.push_back(b.models[m]->top(carries[m]));
    return torch::cat(parts, -1);
  }
};

class GreedyDecider : public UserDecider {
 public:
  GreedyDecider(PolicyBundle& b, const Context& ctx, int draws, std::uint64_t seed)
      : states_(b, ctx), draws_(draws), rng_(seed) {}
  void observe(const LoggedEvent& e) override { states_.observe(e); }
  std::vector<double> probabilities(double) override {
    torch::NoGradGuard no_grad;
    auto& b = states_.b;
    const auto& ctx = states_.ctx;
    const int64_t A = b.config.schema.num_action_types(), E = b.config.schema.num_event_types();
    auto value = torch::tensor(b.config.utility.value, torch::kFloat64).to(ctx.options());
    std::vector<double> u(static_cast<std::size_t>(2 * A * draws_));
    for (auto& x : u) x = std::max(rng_.uniform(), 1e-300);
    auto uniforms = torch::tensor(u, torch::kFloat64).view({2, A, draws_}).to(ctx.options());
    std::vector<double> score(A, 0.0);
    for (std::size_t m = 0; m < b.models.size(); ++m) {
      auto& model = b.models[m];
      // One carry per candidate action: the member's state after each action.
      RnnEncoder::Carry carry;
      carry.hidden = states_.carries[m].hidden.expand({-1, A, -1}).contiguous();
      if (states_.carries[m].cell.defined()) carry.cell = states_.carries[m].cell.expand({-1, A, -1}).contiguous();
      auto tokens = torch::arange(A, torch::TensorOptions().dtype(torch::kLong).device(ctx.device)) + E + 1;
      auto after = model->advance(carry, tokens, torch::zeros({A}, ctx.options()));
      auto laws = model->laws(model->top(after));  // [A]
      auto wu = laws.user_event->inverse_log_survival(torch::log(uniforms[0]));
      auto wo = laws.opportunity->inverse_log_survival(torch::log(uniforms[1]));
      auto first = (wu < wo) & torch::isfinite(wu) & (wu <= b.config.utility.horizon);
      auto expected = (laws.mark_log_probs.exp() * value).sum(-1) * first.to(ctx.dtype).mean(-1);
      auto e = expected.to(torch::kCPU).to(torch::kFloat64);
      for (int64_t a = 0; a < A; ++a) score[a] += e[a].item<double>() / static_cast<double>(b.models.size());
    }
    std::vector<double> p(A, 0.0);
    int best = 0;
    for (int64_t a = 0; a < A; ++a)
      if (score[a] - b.config.utility.cost[a] > score[best] - b.config.utility.cost[best]) best = static_cast<int>(a);
    p[best] = 1.0;
    return p;
  }

 private:
  MemberStates states_;
  int draws_;
  Rng rng_;
};

class GreedyRule : public DecisionRule {
 public:
  GreedyRule(PolicyBundle& b, const Context& ctx, int draws, std::uint64_t seed) : b_(b), ctx_(ctx), draws_(draws), seed_(seed) {}
  std::unique_ptr<UserDecider> start() const override {
    return std::make_unique<GreedyDecider>(b_, ctx_, draws_, stream_seed(seed_, counter_++));
  }

 private:
  PolicyBundle& b_;
  Context ctx_;
  int draws_;
  std::uint64_t seed_;
  mutable std::uint64_t counter_{0};
};

}  // namespace

std::unique_ptr<DecisionRule> constant_rule(std::vector<double> probabilities) {
  return std::make_unique<ConstantRule>(std::move(probabilities));
}
std::unique_ptr<DecisionRule> schedule_rule(int action, double period, int num_actions) {
  return std::make_unique<ScheduleRule>(action, period, num_actions);
}
std::unique_ptr<DecisionRule> greedy_rule(PolicyBundle& bundle, const Context& ctx, int draws, std::uint64_t seed) {
  return std::make_unique<GreedyRule>(bundle, ctx, draws, seed);
}

PolicyValue evaluate_on_simulator(const SimulatorConfig& sim, const DecisionRule& rule, const Utility& utility,
                                  int users, std::uint64_t seed, const std::string& name) {
  SimulatorConfig c = sim;
  c.horizon = utility.horizon;
  PolicyValue v;
  v.name = name;
  v.users = static_cast<std::size_t>(users);
  double actions = 0.0;
  for (int i = 0; i < users; ++i) {
    auto user = simulate_user(c, seed, static_cast<std::size_t>(i), &rule, utility.value, utility.cost);
    v.utilities.push_back(user.utility);
    actions += user.actions;
  }
  std::tie(v.mean, v.half_width) = mean_and_half_width(v.utilities);
  v.actions = actions / users;
  return v;
}

int best_single_action(PolicyBundle& b, const ActionLog& log, int rollouts, const Context& ctx, std::vector<double>* values) {
  torch::NoGradGuard no_grad;
  std::vector<const UserHistory*> users;
  for (const auto& u : log.users) users.push_back(&u);
  auto start = rollout_start(b, users, ctx);
  const int64_t N = start.quiet.size(0);
  auto index = torch::arange(N, torch::TensorOptions().dtype(torch::kLong).device(ctx.device)).repeat({rollouts});
  auto repeated = start.select(index);
  const int A = b.config.schema.num_action_types();
  int best = 0;
  double best_value = -std::numeric_limits<double>::infinity();
  for (int a = 0; a < A; ++a) {
    RolloutOptions o;
    o.mode = RolloutMode::Fixed;
    o.fixed.assign(A, 0.0);
    o.fixed[a] = 1.0;
    o.seed = stream_seed(ctx.seed, 77);  // the same random numbers for every action
    o.max_steps = b.config.optimiser.max_steps;
    const double v = rollout(b, repeated, o, ctx).utility.mean().item<double>();
    if (values) values->push_back(v);
    if (v > best_value) best_value = v, best = a;
  }
  return best;
}

namespace {

// Weighted per-decision importance sampling (see evaluation.h) of the users picked by `rows`;
// doubly robust when `model` (the trajectories then carry Q̂ and V̂ at each decision).
double per_decision_value(const std::vector<LoggedTrajectory>& users, const std::vector<std::size_t>& rows, bool model) {
  std::size_t segments = 0;
  for (std::size_t i : rows) segments = std::max(segments, users[i].segment_utility.size());
  const std::size_t n = rows.size();
  std::vector<double> cumulative(n, 0.0), log_rho(n), weight(n, 1.0 / static_cast<double>(n)), previous(n);
  double value = 0.0;
  for (std::size_t k = 0; k < segments; ++k) {
    previous = weight;
    for (std::size_t r = 0; r < n; ++r) {
      const auto& u = users[rows[r]];
      if (k >= 1 && k <= u.log_ratio.size()) cumulative[r] += u.log_ratio[k - 1];
      log_rho[r] = cumulative[r];
    }
    // Self-normalised in log space: scaling every ρ of a segment by one constant changes nothing.
    const double top = *std::max_element(log_rho.begin(), log_rho.end());
    double den = 0.0;
    for (std::size_t r = 0; r < n; ++r) den += weight[r] = std::exp(log_rho[r] - top);
    for (std::size_t r = 0; r < n; ++r) {
      const auto& u = users[rows[r]];
      weight[r] /= den;
      if (k < u.segment_utility.size()) value += weight[r] * u.segment_utility[k];
      // Decision k's control variate: what the model expects from it on, under the logged action
      // (weighted like the utility that follows it) and under π (weighted like what came before).
      if (model && k >= 1 && k <= u.model_q.size()) value -= weight[r] * u.model_q[k - 1] - previous[r] * u.model_v[k - 1];
    }
  }
  return value;
}

// The 2.5% and 97.5% points of `estimate` over 400 bootstrap resamples of the users.
template <class Estimate>
std::pair<double, double> bootstrap_interval(std::size_t users, std::uint64_t seed, Estimate estimate) {
  constexpr int kResamples = 400;
  Rng rng(seed);
  std::vector<double> boot;
  std::vector<std::size_t> pick(users);
  for (int b = 0; b < kResamples; ++b) {
    for (auto& i : pick) i = std::min(users - 1, static_cast<std::size_t>(rng.uniform() * users));
    boot.push_back(estimate(pick));
  }
  std::sort(boot.begin(), boot.end());
  return {boot[static_cast<std::size_t>(0.025 * (kResamples - 1))], boot[static_cast<std::size_t>(0.975 * (kResamples - 1))]};
}

}  // namespace

OffPolicyEstimate importance_estimates(const std::vector<LoggedTrajectory>& users, std::uint64_t seed) {
  OffPolicyEstimate out;
  out.users = users.size();
  if (users.empty()) return out;
  std::vector<double> w, u;
  double logged = 0.0;
  for (const auto& t : users) {
    if (t.segment_utility.size() != t.log_ratio.size() + 1)
      throw std::logic_error("importance_estimates: a trajectory needs one more segment than decisions");
    double log_weight = 0.0, utility = 0.0;
    for (double r : t.log_ratio) log_weight += r;
    for (double v : t.segment_utility) utility += v;
    w.push_back(log_weight);
    u.push_back(utility);
    logged += utility;
  }
  // Weights from log space, scaled by their maximum (the ratio estimate does not change).
  const double top = *std::max_element(w.begin(), w.end());
  double sw = 0.0, sw2 = 0.0, swu = 0.0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    w[i] = std::exp(w[i] - top);
    sw += w[i];
    sw2 += w[i] * w[i];
    swu += w[i] * u[i];
  }
  out.value = swu / sw;
  double var = 0.0;
  for (std::size_t i = 0; i < w.size(); ++i) var += w[i] * w[i] * (u[i] - out.value) * (u[i] - out.value);
  out.half_width = 1.96 * std::sqrt(var) / sw;
  out.effective_sample_size = sw * sw / sw2;
  out.logged_value = logged / static_cast<double>(w.size());

  std::vector<std::size_t> all(users.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  out.per_decision_value = per_decision_value(users, all, false);
  std::tie(out.per_decision_low, out.per_decision_high) =
      bootstrap_interval(users.size(), seed, [&](const auto& rows) { return per_decision_value(users, rows, false); });
  out.has_doubly_robust = std::any_of(users.begin(), users.end(), [](const LoggedTrajectory& t) { return !t.model_q.empty(); });
  if (out.has_doubly_robust) {
    for (const auto& t : users)
      if (t.model_q.size() != t.log_ratio.size() || t.model_v.size() != t.log_ratio.size())
        throw std::logic_error("importance_estimates: model values are needed at every decision of every trajectory");
    out.doubly_robust_value = per_decision_value(users, all, true);
    // The same resamples as the per-decision interval, so the two intervals compare like for like.
    std::tie(out.doubly_robust_low, out.doubly_robust_high) =
        bootstrap_interval(users.size(), seed, [&](const auto& rows) { return per_decision_value(users, rows, true); });
    for (const auto& t : users)
      out.model_value += (t.segment_utility[0] + (t.model_v.empty() ? 0.0 : t.model_v[0])) / static_cast<double>(users.size());
  }
  return out;
}

namespace {

// Q̂(h, a) for every decision state and action: `rollouts` model rollouts under π_ξ from each state
// right after its opportunity, the action forced first, until the state's window end. The same
// random numbers for every action (common random numbers: the differences between actions, which
// the control variate leans on, vary less). Rows in chunks, to bound memory. Returns [D, A].
torch::Tensor decision_values(PolicyBundle& b, const RolloutStart& decisions, int rollouts, const Context& ctx) {
  torch::NoGradGuard no_grad;
  const int64_t D = decisions.quiet.size(0), A = b.config.schema.num_action_types();
  const int64_t chunk = std::max<int64_t>(1, 8192 / rollouts);
  auto longs = torch::TensorOptions().dtype(torch::kLong).device(ctx.device);
  std::vector<torch::Tensor> columns;
  for (int64_t a = 0; a < A; ++a) {
    std::vector<torch::Tensor> parts;
    for (int64_t begin = 0; begin < D; begin += chunk) {
      const int64_t n = std::min(chunk, D - begin);
      auto index = torch::arange(begin, begin + n, longs).repeat({rollouts});
      auto start = decisions.select(index);
      start.first_action = torch::full({n * rollouts}, a, longs);
      RolloutOptions o;
      o.seed = stream_seed(ctx.seed, 0xd0b + static_cast<std::uint64_t>(begin));
      o.max_steps = b.config.optimiser.max_steps;
      parts.push_back(rollout(b, start, o, ctx).utility.view({rollouts, n}).mean(0));
    }
    columns.push_back(torch::cat(parts));
  }
  return torch::stack(columns, 1).to(torch::kCPU).to(torch::kFloat64);
}

}  // namespace

OffPolicyEstimate off_policy_estimate(PolicyBundle& b, const ActionLog& log, const std::string& where, const Context& ctx,
                                      int rollouts) {
  torch::NoGradGuard no_grad;
  const double horizon = b.config.utility.horizon;
  std::vector<LoggedTrajectory> users;
  // Every decision's state, window end and π, for the model values.
  std::vector<std::vector<torch::Tensor>> hidden(b.models.size()), cell(b.models.size());
  std::vector<double> remaining;
  std::vector<torch::Tensor> policy_probabilities;
  std::vector<int64_t> taken;
  for (const auto& user : log.users) {
    MemberStates states(b, ctx);
    const double begin = user.t_end - horizon;
    LoggedTrajectory t;
    t.segment_utility.push_back(0.0);
    for (const auto& e : user.events) {
      if (e.time > begin) {
        if (e.kind == EventKind::UserEvent) t.segment_utility.back() += b.config.utility.value[e.mark];
        if (e.kind == EventKind::Action) {
          if (!std::isfinite(e.propensity))
            throw Error(fmt::format("{}: user '{}': an action at time {} has no logged propensity; the off-policy "
                                    "estimate needs them", where, user.user, e.time));
          auto pi = torch::softmax(b.policy->logits(states.features()), -1)[0];
          const double p = pi[e.mark].item<double>();
          t.log_ratio.push_back(std::log(std::max(p, 1e-300)) - std::log(e.propensity));
          t.segment_utility.push_back(-b.config.utility.cost[e.mark]);
          if (rollouts > 0) {
            for (std::size_t m = 0; m < b.models.size(); ++m) {
              hidden[m].push_back(states.carries[m].hidden);
              if (states.carries[m].cell.defined()) cell[m].push_back(states.carries[m].cell);
            }
            remaining.push_back(user.t_end - e.time);
            policy_probabilities.push_back(pi.to(torch::kCPU).to(torch::kFloat64));
            taken.push_back(e.mark);
          }
        }
      }
      states.observe(e);
    }
    users.push_back(std::move(t));
  }
  if (rollouts > 0 && !remaining.empty()) {
    RolloutStart decisions;
    for (std::size_t m = 0; m < b.models.size(); ++m) {
      RnnEncoder::Carry c;
      c.hidden = torch::cat(hidden[m], 1);
      if (!cell[m].empty()) c.cell = torch::cat(cell[m], 1);
      decisions.carries.push_back(c);
    }
    const auto D = static_cast<int64_t>(remaining.size());
    decisions.quiet = torch::zeros({D}, ctx.options());  // right after the opportunity
    decisions.remaining = torch::tensor(remaining, torch::kFloat64).to(ctx.options());
    auto q = decision_values(b, decisions, rollouts, ctx);
    auto v = (q * torch::stack(policy_probabilities)).sum(1);
    auto q_taken = q.gather(1, torch::tensor(taken, torch::kLong).unsqueeze(1)).squeeze(1);
    int64_t d = 0;
    for (auto& t : users)
      for (std::size_t k = 0; k < t.log_ratio.size(); ++k, ++d) {
        t.model_q.push_back(q_taken[d].item<double>());
        t.model_v.push_back(v[d].item<double>());
      }
  }
  return importance_estimates(users, stream_seed(ctx.seed, 0x0b5));
}

std::vector<Recommendation> recommend(PolicyBundle& b, const ActionLog& log, int rollouts, const Context& ctx) {
  torch::NoGradGuard no_grad;
  std::vector<const UserHistory*> users;
  for (const auto& u : log.users) users.push_back(&u);
  auto start = rollout_start(b, users, ctx);
  const int64_t N = start.quiet.size(0);
  const int A = b.config.schema.num_action_types();
  // The policy at an opportunity right at the end of each history.
  std::vector<torch::Tensor> parts;
  auto& lead = b.models.front();
  auto tokens = torch::full({N}, lead->opportunity_token(), torch::TensorOptions().dtype(torch::kLong).device(ctx.device));
  for (std::size_t m = 0; m < b.models.size(); ++m)
    parts.push_back(b.models[m]->top(b.models[m]->advance(start.carries[m], tokens, start.quiet)));
  auto probabilities = torch::softmax(b.policy->logits(torch::cat(parts, -1)), -1).to(torch::kCPU).to(torch::kFloat64);
  auto index = torch::arange(N, torch::TensorOptions().dtype(torch::kLong).device(ctx.device)).repeat({rollouts});
  auto repeated = start.select(index);
  RolloutOptions o;
  o.seed = stream_seed(ctx.seed, 5);
  o.max_steps = b.config.optimiser.max_steps;
  auto with_policy = rollout(b, repeated, o, ctx).utility.view({rollouts, N}).mean(0).to(torch::kCPU).to(torch::kFloat64);
  o.mode = RolloutMode::Fixed;
  o.fixed.assign(A, 0.0);
  o.fixed[0] = 1.0;
  auto never = rollout(b, repeated, o, ctx).utility.view({rollouts, N}).mean(0).to(torch::kCPU).to(torch::kFloat64);
  std::vector<Recommendation> out;
  for (int64_t i = 0; i < N; ++i) {
    Recommendation r;
    r.user = log.users[i].user;
    for (int a = 0; a < A; ++a) r.probabilities.push_back(probabilities[i][a].item<double>());
    r.action = static_cast<int>(std::max_element(r.probabilities.begin(), r.probabilities.end()) - r.probabilities.begin());
    r.expected_utility = with_policy[i].item<double>();
    r.expected_utility_never = never[i].item<double>();
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace tpp
