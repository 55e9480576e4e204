#include "tpp/policy/user_model.h"

#include <cmath>
#include <ostream>

#include <fmt/format.h>

#include "tpp/core/numerics.h"
#include "tpp/core/rng.h"
#include "tpp/data/batch.h"

namespace tpp {

namespace {
constexpr double kMinScale = 1e-6, kMinShape = 1e-3;
constexpr int kUser = static_cast<int>(EventKind::UserEvent), kOpportunity = static_cast<int>(EventKind::Opportunity);
}  // namespace

const ConfigFields<UserModelConfig>& UserModelConfig::fields() {
  static const auto fields =
      ConfigFields<UserModelConfig>("user_model")
          .include(&UserModelConfig::encoder, RnnEncoderConfig::fields())
          .field("defective", &UserModelConfig::defective,
                 "a probability of no further user event / opportunity ever (churn) in the waiting-time laws")
          .field("epochs", &UserModelConfig::epochs, "passes over the logged users", rules::positive<int>())
          .field("batch_size", &UserModelConfig::batch_size, "users per Adam step", rules::positive<int>())
          .field("lr", &UserModelConfig::lr, "Adam learning rate", rules::positive<double>());
  return fields;
}

ActionLogBatch make_action_log_batch(const std::vector<const UserHistory*>& users, const Context& ctx) {
  const int64_t B = static_cast<int64_t>(users.size());
  int64_t L = 0;
  for (const auto* u : users) L = std::max<int64_t>(L, static_cast<int64_t>(u->events.size()));
  // The batch stores kind and mark packed into `token`; the model maps them to its tokens.
  std::vector<int64_t> token(B * L, 0), closes(B * (L + 1), -1), mark(B * (L + 1), 0), length(B);
  std::vector<double> dtime(B * L, 0.0), span(B * (L + 1), 0.0);
  for (int64_t b = 0; b < B; ++b) {
    const auto& events = users[b]->events;
    double previous = 0.0;
    for (std::size_t i = 0; i < events.size(); ++i) {
      const auto& e = events[i];
      const double gap = e.time - previous;
      previous = e.time;
      dtime[b * L + i] = gap;
      span[b * (L + 1) + i] = gap;
      // Kind and mark packed as kind * 2^20 + mark; the model decodes them into its tokens.
      token[b * L + i] = static_cast<int64_t>(e.kind) * (1 << 20) + e.mark;
      if (e.kind != EventKind::Action) closes[b * (L + 1) + i] = static_cast<int64_t>(e.kind);
      if (e.kind == EventKind::UserEvent) mark[b * (L + 1) + i] = e.mark;
    }
    span[b * (L + 1) + events.size()] = std::max(0.0, users[b]->t_end - previous);
    length[b] = static_cast<int64_t>(events.size());
  }
  auto longs = torch::TensorOptions().dtype(torch::kLong).device(ctx.device);
  ActionLogBatch out;
  out.token = torch::tensor(token, torch::kLong).view({B, L}).to(longs);
  out.dtime = torch::tensor(dtime, torch::kFloat64).view({B, L}).to(ctx.options());
  out.span = torch::tensor(span, torch::kFloat64).view({B, L + 1}).to(ctx.options());
  out.closes = torch::tensor(closes, torch::kLong).view({B, L + 1}).to(longs);
  out.mark = torch::tensor(mark, torch::kLong).view({B, L + 1}).to(longs);
  out.length = torch::tensor(length, torch::kLong).to(longs);
  return out;
}

UserModelImpl::UserModelImpl(ActionSchema schema, UserModelConfig config)
    : schema_(std::move(schema)), config_(std::move(config)) {
  schema_.validate("user model");
  encoder_ = RnnEncoder(*this, static_cast<int>(num_tokens()), config_.encoder);
  const int per_kind = config_.defective ? 4 : 3;
  law_head_ = register_module("law_head", torch::nn::Linear(config_.encoder.hidden, 2 * per_kind));
  mark_head_ = register_module("mark_head", torch::nn::Linear(config_.encoder.hidden, schema_.num_event_types()));
  // Start from scale 1, shapes 1.5 and a 10% never-probability, as the burr model does.
  std::vector<double> bias{inverse_softplus(1.0 - kMinScale), inverse_softplus(1.5 - kMinShape),
                           inverse_softplus(1.5 - kMinShape)};
  if (config_.defective) bias.push_back(std::log(0.1 / 0.9));
  std::vector<double> both = bias;
  both.insert(both.end(), bias.begin(), bias.end());
  torch::NoGradGuard no_grad;
  law_head_->bias.copy_(torch::tensor(both, torch::kFloat64).to(law_head_->bias.dtype()));
  law_head_->weight.mul_(0.1);
}

namespace {
// Packed kind/mark (make_action_log_batch) -> encoder token.
torch::Tensor tokens_of(const torch::Tensor& packed, int64_t E) {
  auto kind = torch::div(packed, 1 << 20, "floor");
  auto mark = packed - kind * (1 << 20);
  return torch::where(kind == kUser, mark, torch::where(kind == kOpportunity, torch::full_like(mark, E), E + 1 + mark));
}
}  // namespace

torch::Tensor UserModelImpl::encode(const ActionLogBatch& batch) {
  Batch b;
  b.type = tokens_of(batch.token, schema_.num_event_types());
  b.dtime = batch.dtime;
  b.time = batch.dtime;  // only the shape is read
  return encoder_.encode(b);
}

torch::Tensor UserModelImpl::head(const torch::Tensor& states) {
  return torch::cat({law_head_->forward(states), mark_head_->forward(states)}, -1);
}

CompetingLaws UserModelImpl::laws_from_head(const torch::Tensor& raw) const {
  const int per_kind = config_.defective ? 4 : 3;
  auto law = [&](int offset) {
    auto part = raw.narrow(-1, offset, per_kind);
    auto scale = scaled_softplus(part.select(-1, 0)) + kMinScale;
    auto c = scaled_softplus(part.select(-1, 1)) + kMinShape;
    auto k = scaled_softplus(part.select(-1, 2)) + kMinShape;
    return std::make_unique<BurrLaw>(scale, c, k, config_.defective ? part.select(-1, 3) : torch::Tensor());
  };
  CompetingLaws out;
  out.user_event = law(0);
  out.opportunity = law(per_kind);
  out.mark_log_probs = torch::log_softmax(raw.narrow(-1, 2 * per_kind, schema_.num_event_types()), -1);
  return out;
}

torch::Tensor UserModelImpl::log_likelihood_terms(const ActionLogBatch& batch) {
  auto states = encode(batch);  // [B, L+1, H]
  auto laws_at = laws(states);
  auto tau = batch.span.unsqueeze(-1);
  auto survival = (laws_at.user_event->log_survival(tau) + laws_at.opportunity->log_survival(tau)).squeeze(-1);
  auto hazard_user = laws_at.user_event->log_hazard(tau).squeeze(-1);
  auto hazard_opportunity = laws_at.opportunity->log_hazard(tau).squeeze(-1);
  auto mark = laws_at.mark_log_probs.gather(-1, batch.mark.unsqueeze(-1)).squeeze(-1);
  auto zero = torch::zeros_like(survival);
  // log f_kind + log S_other = log h_kind + log S_kind + log S_other.
  auto event = torch::where(batch.closes == kUser, hazard_user + mark,
                            torch::where(batch.closes == kOpportunity, hazard_opportunity, zero));
  const int64_t L1 = batch.span.size(1);
  auto in_window = torch::arange(L1, batch.length.options()).unsqueeze(0) <= batch.length.unsqueeze(1);
  return torch::where(in_window, survival + event, zero);
}

torch::Tensor UserModelImpl::log_likelihood(const ActionLogBatch& batch) { return log_likelihood_terms(batch).sum(-1); }

RnnEncoder::Carry UserModelImpl::initial(int64_t batch) const {
  auto one = encoder_.initial();
  RnnEncoder::Carry out;
  out.hidden = one.hidden.expand({one.hidden.size(0), batch, one.hidden.size(2)}).contiguous();
  if (one.cell.defined()) out.cell = one.cell.expand({one.cell.size(0), batch, one.cell.size(2)}).contiguous();
  return out;
}

std::pair<RnnEncoder::Carry, torch::Tensor> UserModelImpl::carry_after(const std::vector<const UserHistory*>& users,
                                                                       const Context& ctx) {
  auto batch = make_action_log_batch(users, ctx);
  auto tokens = tokens_of(batch.token, schema_.num_event_types());
  auto carry = initial(batch.batch_size());
  const int64_t L = batch.token.size(1);
  for (int64_t i = 0; i < L; ++i) {
    auto next = advance(carry, tokens.select(1, i), batch.dtime.select(1, i));
    auto real = (batch.length > i).view({1, -1, 1});
    carry.hidden = torch::where(real, next.hidden, carry.hidden);
    if (carry.cell.defined()) carry.cell = torch::where(real, next.cell, carry.cell);
  }
  auto quiet = batch.span.gather(1, batch.length.unsqueeze(1)).squeeze(1);
  return {carry, quiet};
}

namespace {
std::size_t counted_events(const std::vector<const UserHistory*>& users) {
  std::size_t n = 0;
  for (const auto* u : users)
    for (const auto& e : u->events) n += e.kind != EventKind::Action;
  return n;
}
}  // namespace

double user_model_log_likelihood(UserModel& model, const ActionLog& log, const Context& ctx) {
  torch::NoGradGuard no_grad;
  model->eval();
  double total = 0.0;
  std::size_t events = 0;
  for (std::size_t begin = 0; begin < log.users.size(); begin += 256) {
    std::vector<const UserHistory*> part;
    for (std::size_t i = begin; i < std::min(log.users.size(), begin + 256); ++i) part.push_back(&log.users[i]);
    total += model->log_likelihood(make_action_log_batch(part, ctx)).sum().item<double>();
    events += counted_events(part);
  }
  return total / static_cast<double>(std::max<std::size_t>(events, 1));
}

double fit_user_model(UserModel& model, const ActionLog& log, const Context& ctx, std::ostream* progress) {
  model->to(ctx.device, ctx.dtype);
  torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(model->config().lr));
  double last = 0.0;
  for (int epoch = 0; epoch < model->config().epochs; ++epoch) {
    model->train();
    double total = 0.0;
    std::size_t events = 0;
    for (const auto& indices :
         batch_indices(log.users.size(), model->config().batch_size, true, stream_seed(ctx.seed, epoch))) {
      std::vector<const UserHistory*> part;
      for (auto i : indices) part.push_back(&log.users[i]);
      const auto n = counted_events(part);
      auto ll = model->log_likelihood(make_action_log_batch(part, ctx)).sum();
      adam.zero_grad();
      (-ll / static_cast<double>(std::max<std::size_t>(n, 1))).backward();
      torch::nn::utils::clip_grad_norm_(model->parameters(), 10.0);
      adam.step();
      total += ll.item<double>();
      events += n;
    }
    last = total / static_cast<double>(std::max<std::size_t>(events, 1));
    if (progress)
      *progress << fmt::format("user model: epoch {}/{}  log-likelihood {:.4f} nats/event\n", epoch + 1,
                               model->config().epochs, last)
                << std::flush;
  }
  model->eval();
  return user_model_log_likelihood(model, log, ctx);
}

}  // namespace tpp
