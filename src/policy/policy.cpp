#include "tpp/policy/policy.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "tpp/core/error.h"
#include "tpp/core/rng.h"
#include "tpp/policy/atomic_file.h"

namespace tpp {

PolicyImpl::PolicyImpl(int features, int actions) {
  linear_ = register_module("linear", torch::nn::Linear(features, actions));
  // Zero weights: the uniform policy, from which the gradient starts without preference.
  torch::NoGradGuard no_grad;
  linear_->weight.zero_();
  linear_->bias.zero_();
}

int PolicyBundle::features() const { return static_cast<int>(models.size()) * models.front()->hidden_size(); }

RolloutStart RolloutStart::select(const torch::Tensor& index) const {
  RolloutStart out;
  for (const auto& c : carries) {
    RnnEncoder::Carry picked;
    picked.hidden = c.hidden.index_select(1, index);
    if (c.cell.defined()) picked.cell = c.cell.index_select(1, index);
    out.carries.push_back(picked);
  }
  out.quiet = quiet.index_select(0, index);
  if (remaining.defined()) out.remaining = remaining.index_select(0, index);
  if (first_action.defined()) out.first_action = first_action.index_select(0, index);
  return out;
}

RolloutStart rollout_start(PolicyBundle& bundle, const std::vector<const UserHistory*>& users, const Context& ctx) {
  torch::NoGradGuard no_grad;
  RolloutStart out;
  for (auto& m : bundle.models) {
    auto [carry, quiet] = m->carry_after(users, ctx);
    out.carries.push_back(carry);
    out.quiet = quiet;
  }
  return out;
}

namespace {

torch::Tensor features_of(PolicyBundle& b, const std::vector<RnnEncoder::Carry>& carries) {
  std::vector<torch::Tensor> parts;
  for (std::size_t m = 0; m < carries.size(); ++m) parts.push_back(b.models[m]->top(carries[m]));
  return parts.size() == 1 ? parts[0] : torch::cat(parts, -1);
}

// A draw of each user's wait from `law` given a quiet time q so far, by inverse survival:
// log S(q + τ) = log S(q) + log u. +inf where the draw falls in the never-mass (churn). Draws that
// round to τ = 0 or +inf are recomputed from a harmless level (that of τ = 1) and replaced by their
// constant value, so that no NaN from the inverse's singular points reaches the gradients.
torch::Tensor conditional_wait(BurrLaw& law, const torch::Tensor& q, const torch::Tensor& u) {
  auto target = law.log_survival(q.unsqueeze(-1)).squeeze(-1) + torch::log(u);
  torch::Tensor plain;
  {
    torch::NoGradGuard no_grad;
    plain = law.inverse_log_survival(target.unsqueeze(-1)).squeeze(-1) - q;
  }
  auto regular = torch::isfinite(plain) & (plain > 0);
  auto harmless = law.log_survival((q + 1).unsqueeze(-1)).squeeze(-1);
  auto safe = torch::where(regular, target, harmless);
  auto tau = law.inverse_log_survival(safe.unsqueeze(-1)).squeeze(-1) - q;
  return torch::where(regular, tau, plain.clamp_min(0));
}

void keep_where(std::vector<RnnEncoder::Carry>& carries, const std::vector<RnnEncoder::Carry>& next,
                const torch::Tensor& mask) {
  auto m = mask.view({1, -1, 1});
  for (std::size_t i = 0; i < carries.size(); ++i) {
    carries[i].hidden = torch::where(m, next[i].hidden, carries[i].hidden);
    if (carries[i].cell.defined()) carries[i].cell = torch::where(m, next[i].cell, carries[i].cell);
  }
}

}  // namespace

RolloutResult rollout(PolicyBundle& b, const RolloutStart& start, const RolloutOptions& o, const Context& ctx) {
  const int64_t M = static_cast<int64_t>(b.models.size());
  const int64_t B = start.quiet.size(0);
  const auto& schema = b.config.schema;
  const int64_t E = schema.num_event_types(), A = schema.num_action_types();
  auto& lead = b.models.front();
  auto gen = at::detail::createCPUGenerator(o.seed);
  auto options = ctx.options();
  auto longs = torch::TensorOptions().dtype(torch::kLong).device(ctx.device);
  auto value = torch::tensor(b.config.utility.value, torch::kFloat64).to(options);
  auto cost = torch::tensor(b.config.utility.cost, torch::kFloat64).to(options);
  torch::Tensor fixed;
  if (o.mode == RolloutMode::Fixed)
    fixed = torch::tensor(o.fixed, torch::kFloat64).expand({B, A}).contiguous();  // multinomial reads it densely
  auto member = torch::randint(M, {B}, gen, torch::TensorOptions().dtype(torch::kLong)).to(ctx.device);

  std::vector<RnnEncoder::Carry> carries = start.carries;
  auto q = start.quiet;
  auto remaining = start.remaining.defined() ? start.remaining.to(options) : torch::full({B}, b.config.utility.horizon, options);
  auto alive = torch::ones({B}, longs.dtype(torch::kBool));
  RolloutResult out;
  out.utility = torch::zeros({B}, options);
  out.log_prob = torch::zeros({B}, options);
  out.actions = torch::zeros({B}, options);
  // Enters the actions given by `weights` ([B, A], one-hot or relaxed) at the opportunities in
  // `where`: their cost, their count, and their tokens after gap 0.
  auto act = [&](std::vector<RnnEncoder::Carry>& states, const torch::Tensor& weights, const torch::Tensor& where) {
    auto action_cost = (weights * cost).sum(-1);
    out.utility = out.utility - torch::where(where, action_cost, torch::zeros_like(action_cost));
    out.actions = out.actions + torch::where(where, 1 - weights.select(1, 0).detach(), torch::zeros_like(action_cost));
    auto tokens = torch::cat({torch::zeros({B, E + 1}, options), weights}, 1);
    std::vector<RnnEncoder::Carry> acted;
    for (int64_t m = 0; m < M; ++m) acted.push_back(b.models[m]->advance(states[m], tokens, torch::zeros({B}, options)));
    keep_where(states, acted, where);
  };
  if (start.first_action.defined()) {
    auto forced = start.first_action.to(longs);
    act(carries, torch::one_hot(forced.clamp_min(0), A).to(options), forced >= 0);
  }
  const double tiny = std::numeric_limits<float>::min();
  for (int step = 0; step < o.max_steps && alive.any().item<bool>(); ++step) {
    std::vector<torch::Tensor> heads;
    for (int64_t m = 0; m < M; ++m) heads.push_back(b.models[m]->head(b.models[m]->top(carries[m])));
    torch::Tensor raw = heads[0];
    if (M > 1) {
      auto stacked = torch::stack(heads, 0);  // [M, B, P]
      raw = stacked.gather(0, member.view({1, B, 1}).expand({1, B, stacked.size(2)})).squeeze(0);
    }
    auto laws = lead->laws_from_head(raw);
    auto u = torch::rand({2, B}, gen, options.device(torch::kCPU)).to(ctx.device).clamp_min(tiny);
    auto wait_user = conditional_wait(*laws.user_event, q, u[0]);
    auto wait_opportunity = conditional_wait(*laws.opportunity, q, u[1]);
    auto is_user = wait_user <= wait_opportunity;
    auto tau = torch::minimum(wait_user, wait_opportunity);
    auto now = alive & torch::isfinite(tau) & (tau <= remaining);
    auto gap = torch::where(now, q + tau, torch::zeros_like(tau));

    // A user event: its expected value given the state; the drawn type advances the state.
    auto mark_probs = laws.mark_log_probs.exp();
    auto mark = torch::multinomial(mark_probs.detach().to(torch::kCPU), 1, true, gen).squeeze(1).to(ctx.device);
    auto expected_value = (mark_probs * value).sum(-1);
    out.utility = out.utility + torch::where(now & is_user, expected_value, torch::zeros_like(expected_value));
    auto first_token = torch::where(is_user, mark, torch::full_like(mark, lead->opportunity_token()));
    std::vector<RnnEncoder::Carry> after;
    for (int64_t m = 0; m < M; ++m) after.push_back(b.models[m]->advance(carries[m], first_token, gap));

    // An opportunity: the policy's action from the state after it.
    auto opportunity = now & ~is_user;
    torch::Tensor weights;  // [B, A]: one-hot of the action taken (relaxed in pathwise mode)
    if (o.mode == RolloutMode::Fixed) {
      auto a = torch::multinomial(fixed, 1, true, gen).squeeze(1).to(ctx.device);
      weights = torch::one_hot(a, A).to(options);
    } else {
      auto features = features_of(b, after);
      auto logits = b.policy->logits(o.mode == RolloutMode::Pathwise ? features : features.detach());
      if (o.mode == RolloutMode::Policy) {
        auto log_pi = torch::log_softmax(logits, -1);
        auto a = torch::multinomial(log_pi.exp().detach().to(torch::kCPU), 1, true, gen).squeeze(1).to(ctx.device);
        auto taken = log_pi.gather(1, a.unsqueeze(1)).squeeze(1);
        out.log_prob = out.log_prob + torch::where(opportunity, taken, torch::zeros_like(taken));
        weights = torch::one_hot(a, A).to(options);
      } else {
        // Gumbel-max draws exactly from π; the straight-through weights carry the soft gradient.
        auto g = -torch::log(-torch::log(torch::rand({B, A}, gen, options.device(torch::kCPU)).to(ctx.device).clamp_min(tiny)));
        auto soft = torch::softmax((logits + g) / o.temperature, -1);
        auto hard = torch::one_hot((logits + g).argmax(-1), A).to(options);
        weights = hard - soft.detach() + soft;
      }
    }
    // The action enters as a token after gap 0: the weights placed in the action tokens' columns.
    act(after, weights, opportunity);
    keep_where(carries, after, now);
    remaining = remaining - torch::where(now, tau, torch::zeros_like(tau));
    q = torch::zeros_like(q);
    alive = now;
  }
  return out;
}

double policy_gradient(PolicyBundle& b, const RolloutStart& users, const std::string& estimator, int rollouts,
                       std::uint64_t seed, const Context& ctx) {
  const int64_t N = users.quiet.size(0), K = rollouts;
  // Each user repeated K times: rollouts of one user sit at rows k·N + n.
  auto index = torch::arange(N, torch::TensorOptions().dtype(torch::kLong).device(ctx.device)).repeat({K});
  auto starts = users.select(index);
  RolloutOptions o;
  o.mode = estimator == "pathwise" ? RolloutMode::Pathwise : RolloutMode::Policy;
  o.seed = seed;
  o.max_steps = b.config.optimiser.max_steps;
  o.temperature = b.config.optimiser.temperature;
  b.policy->zero_grad();
  auto result = rollout(b, starts, o, ctx);
  torch::Tensor loss;
  if (o.mode == RolloutMode::Pathwise) {
    loss = -result.utility.mean();
  } else {
    // Leave-one-out baseline: the mean of the same user's other rollouts, independent of this one.
    auto u = result.utility.detach().view({K, N});
    auto baseline = (u.sum(0, true) - u) / static_cast<double>(K - 1);
    loss = -((u - baseline).view({-1}) * result.log_prob).mean();
  }
  loss.backward();
  return result.utility.mean().item<double>();
}

OptimisationTrace optimise_policy(PolicyBundle& b, const ActionLog& log, const Context& ctx, std::ostream* progress) {
  for (auto& m : b.models)
    for (auto& p : m->parameters()) p.set_requires_grad(false);
  std::vector<const UserHistory*> users;
  for (const auto& u : log.users) users.push_back(&u);
  auto all = rollout_start(b, users, ctx);
  const auto& oc = b.config.optimiser;
  torch::optim::Adam adam(b.policy->parameters(), torch::optim::AdamOptions(oc.lr));
  Rng rng(stream_seed(ctx.seed, 0x9011c7));
  OptimisationTrace trace;
  const int64_t n = static_cast<int64_t>(users.size());
  for (int it = 0; it < oc.iterations; ++it) {
    std::vector<int64_t> pick;
    for (int i = 0; i < std::min<int64_t>(oc.users_per_step, n); ++i)
      pick.push_back(static_cast<int64_t>(rng.uniform() * static_cast<double>(n)) % n);
    auto index = torch::tensor(pick, torch::kLong).to(ctx.device);
    const double mean = policy_gradient(b, all.select(index), oc.estimator, oc.rollouts, stream_seed(ctx.seed, it + 1), ctx);
    adam.step();
    trace.utility.push_back(mean);
    if (progress && ((it + 1) % 10 == 0 || it + 1 == oc.iterations))
      *progress << fmt::format("policy: step {}/{}  mean rollout utility {:.4f}\n", it + 1, oc.iterations, mean)
                << std::flush;
  }
  for (auto& m : b.models)
    for (auto& p : m->parameters()) p.set_requires_grad(true);
  return trace;
}

PolicyBundle fit_user_models(const PolicyConfig& config, const ActionLog& log, const Context& ctx,
                             std::ostream* progress, std::vector<double>* fit_ll) {
  PolicyBundle b;
  b.config = config;
  for (int m = 0; m < config.ensemble; ++m) {
    torch::manual_seed(stream_seed(ctx.seed, 1000 + m));
    UserModel model(config.schema, config.user_model);
    model->to(ctx.device, ctx.dtype);
    ActionLog sample;
    sample.schema = log.schema;
    if (config.ensemble == 1) {
      sample.users = log.users;
    } else {
      // A bootstrap resample of the users: the ensemble's spread is the fit's sampling uncertainty.
      Rng rng(stream_seed(ctx.seed, 2000 + m));
      for (std::size_t i = 0; i < log.users.size(); ++i)
        sample.users.push_back(log.users[static_cast<std::size_t>(rng.uniform() * log.users.size()) % log.users.size()]);
    }
    Context member = ctx;
    member.seed = stream_seed(ctx.seed, 3000 + m);
    if (progress && config.ensemble > 1) *progress << fmt::format("user model {}/{}\n", m + 1, config.ensemble);
    const double ll = fit_user_model(model, sample, member, progress);
    if (fit_ll) fit_ll->push_back(ll);
    b.models.push_back(model);
  }
  b.policy = Policy(b.features(), config.schema.num_action_types());
  b.policy->to(ctx.device, ctx.dtype);
  return b;
}

void save_policy(const std::string& path, PolicyBundle& b) {
  torch::serialize::OutputArchive archive;
  for (std::size_t m = 0; m < b.models.size(); ++m) {
    torch::serialize::OutputArchive member;
    b.models[m]->save(member);
    archive.write(fmt::format("user_model_{}", m), member);
  }
  torch::serialize::OutputArchive policy;
  b.policy->save(policy);
  archive.write("policy", policy);
  // Module::load fills tensors of the saved dtype in place, so the loader needs to know it.
  nlohmann::json meta{{"format", "tpp-policy-1"},
                      {"dtype", Context::dtype_name(b.policy->parameters().front().scalar_type())},
                      {"config", policy_config_json(b.config)}};
  archive.write("tpp_meta", c10::IValue(meta.dump()));
  write_atomically(path, [&](const std::string& temporary) {
    try {
      archive.save_to(temporary);
    } catch (const c10::Error& e) {
      throw Error(path + ": cannot write the policy: " + e.what_without_backtrace());
    }
  });
}

PolicyBundle load_policy(const std::string& path, const Context& ctx) {
  if (!std::filesystem::exists(path)) throw Error(path + ": no such policy file");
  torch::serialize::InputArchive archive;
  PolicyBundle b;
  try {
    archive.load_from(path);
    c10::IValue meta_value;
    if (!archive.try_read("tpp_meta", meta_value)) throw Error(path + ": not a tpp policy file");
    auto meta = nlohmann::json::parse(meta_value.toStringRef());
    if (meta.value("format", "") != "tpp-policy-1") throw Error(path + ": not a tpp policy file");
    b.config = parse_policy_config(meta.at("config"), path);
    const torch::Dtype saved = Context::parse_dtype(meta.at("dtype").get<std::string>());
    for (int m = 0; m < b.config.ensemble; ++m) {
      UserModel model(b.config.schema, b.config.user_model);
      model->to(saved);
      torch::serialize::InputArchive member;
      archive.read(fmt::format("user_model_{}", m), member);
      // Module::load keeps the saved dtype's storage; the requested dtype is applied after.
      model->load(member);
      model->to(ctx.device, ctx.dtype);
      model->eval();
      b.models.push_back(model);
    }
    b.policy = Policy(b.features(), b.config.schema.num_action_types());
    b.policy->to(saved);
    torch::serialize::InputArchive policy;
    archive.read("policy", policy);
    b.policy->load(policy);
    b.policy->to(ctx.device, ctx.dtype);
  } catch (const c10::Error& e) {
    throw Error(path + ": not a readable tpp policy file: " + e.what_without_backtrace());
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": corrupt policy metadata: " + e.what());
  }
  return b;
}

namespace {

class PolicyDecider : public UserDecider {
 public:
  PolicyDecider(PolicyBundle& b, const Context& ctx, bool argmax) : b_(b), ctx_(ctx), argmax_(argmax) {
    for (auto& m : b_.models) carries_.push_back(m->initial(1));
  }
  void observe(const LoggedEvent& e) override {
    torch::NoGradGuard no_grad;
    auto& lead = b_.models.front();
    const int64_t token = e.kind == EventKind::UserEvent   ? lead->event_token(e.mark)
                          : e.kind == EventKind::Opportunity ? lead->opportunity_token()
                                                             : lead->action_token(e.mark);
    auto tokens = torch::full({1}, token, torch::TensorOptions().dtype(torch::kLong).device(ctx_.device));
    auto gap = torch::full({1}, e.time - last_, ctx_.options());
    for (std::size_t m = 0; m < carries_.size(); ++m) carries_[m] = b_.models[m]->advance(carries_[m], tokens, gap);
    last_ = e.time;
  }
  std::vector<double> probabilities(double) override {
    torch::NoGradGuard no_grad;
    auto p = torch::softmax(b_.policy->logits(features_of(b_, carries_)), -1).squeeze(0).to(torch::kCPU).to(torch::kFloat64);
    std::vector<double> out(p.data_ptr<double>(), p.data_ptr<double>() + p.numel());
    if (argmax_) {
      const auto best = std::max_element(out.begin(), out.end()) - out.begin();
      for (std::size_t a = 0; a < out.size(); ++a) out[a] = static_cast<long>(a) == best ? 1.0 : 0.0;
    }
    return out;
  }

 private:
  PolicyBundle& b_;
  Context ctx_;
  bool argmax_;
  std::vector<RnnEncoder::Carry> carries_;
  double last_{0.0};
};

class PolicyRule : public DecisionRule {
 public:
  PolicyRule(PolicyBundle& b, const Context& ctx, bool argmax) : b_(b), ctx_(ctx), argmax_(argmax) {}
  std::unique_ptr<UserDecider> start() const override { return std::make_unique<PolicyDecider>(b_, ctx_, argmax_); }

 private:
  PolicyBundle& b_;
  Context ctx_;
  bool argmax_;
};

}  // namespace

std::unique_ptr<DecisionRule> policy_rule(PolicyBundle& bundle, const Context& ctx, bool argmax) {
  return std::make_unique<PolicyRule>(bundle, ctx, argmax);
}

}  // namespace tpp
