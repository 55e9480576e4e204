#include "tpp/models/model.h"

#include "tpp/core/error.h"
#include "tpp/core/numerics.h"
#include "tpp/core/rng.h"

namespace tpp {

namespace {

// Uniform Monte Carlo fractions [B, L+1, S], sequence b's from its own stream and for its own
// n_b + 1 intervals, so its nodes do not depend on the batch it sits in (padding stays 0).
torch::Tensor seeded_fractions(const Batch& b, std::uint64_t seed, int points) {
  const int64_t B = b.batch_size(), L = b.max_length();
  if (!b.sequence_id.defined()) throw std::logic_error("seeded Monte Carlo integral: batch has no sequence ids");
  auto ids = b.sequence_id.to(torch::kCPU).contiguous();
  auto lengths = b.length.to(torch::kCPU).contiguous();
  auto out = torch::zeros({B, L + 1, points}, torch::kFloat64);
  double* data = out.data_ptr<double>();
  for (int64_t i = 0; i < B; ++i) {
    Rng rng(stream_seed(seed, static_cast<std::uint64_t>(ids.data_ptr<int64_t>()[i])));
    const int64_t draws = (lengths.data_ptr<int64_t>()[i] + 1) * points;  // its own intervals only
    double* row = data + i * (L + 1) * points;
    for (int64_t j = 0; j < draws; ++j) row[j] = rng.uniform();
  }
  return out.to(b.span.options());
}

}  // namespace

torch::Tensor at_action_types(const Batch& batch, const torch::Tensor& per_type) {
  auto action_type = torch::where(batch.action_mask, batch.type, torch::zeros_like(batch.type));
  auto value = per_type.gather(2, action_type.unsqueeze(-1)).squeeze(-1);
  return torch::where(batch.action_mask, value, torch::zeros({}, value.options()));
}

torch::Tensor LikelihoodTerms::log_likelihood() const { return log_intensity.sum(1) - compensator.sum(1); }

torch::Tensor LikelihoodTerms::weighted_sum(const torch::Tensor& weight) const {
  const int64_t L = log_intensity.size(1);
  auto w = weight.to(compensator.dtype());
  return (w.narrow(1, 0, L) * log_intensity).sum() - (w * compensator).sum();
}

torch::Tensor Model::event_log_intensity(const History& history) {
  const Batch& b = history.batch;
  const int64_t B = b.batch_size(), L = b.max_length();
  if (L == 0) return torch::zeros({B, 0}, b.t_end.options());
  // Event i closes interval i at elapsed dtime_i; the last interval carries no event.
  auto elapsed = torch::cat({b.dtime, torch::zeros({B, 1}, b.dtime.options())}, 1).unsqueeze(-1);
  auto lambda = intensity(history, elapsed).squeeze(2).narrow(1, 0, L);  // [B, L, K]
  return torch::where(b.action_mask, safe_log(at_action_types(b, lambda)), torch::zeros({}, lambda.options()));
}

torch::Tensor Model::numeric_compensator(const History& history, const IntegralOptions& options) {
  const Batch& b = history.batch;
  auto span = b.span;  // [B, L+1]
  torch::Tensor fraction, weight;  // [B, L+1, S]
  if (options.method == IntegralOptions::Method::MonteCarlo) {
    fraction = options.seed ? seeded_fractions(b, *options.seed, options.points)
                            : torch::rand({span.size(0), span.size(1), options.points}, span.options());
    weight = torch::full_like(fraction, 1.0 / options.points);
  } else {
    auto q = gauss_legendre(options.points);
    auto nodes = torch::tensor(q.nodes, torch::kFloat64).to(span.options());
    auto weights = torch::tensor(q.weights, torch::kFloat64).to(span.options());
    fraction = ((nodes + 1) / 2).expand({span.size(0), span.size(1), options.points});
    weight = (weights / 2).expand({span.size(0), span.size(1), options.points});
  }
  auto elapsed = fraction * span.unsqueeze(-1);
  auto total = intensity(history, elapsed).sum(-1);  // [B, L+1, S]
  return (total * weight).sum(-1).mul(span);
}

LikelihoodTerms Model::likelihood_terms(const History& history, const IntegralOptions& options) {
  return {event_log_intensity(history), numeric_compensator(history, options)};
}

torch::Tensor Model::log_likelihood(const Batch& batch, const IntegralOptions& options) {
  return likelihood_terms(encode(batch), options).log_likelihood();
}

std::unique_ptr<UserState> Model::start(const Schema& schema, const Sequence& user, const Context& ctx) {
  if (schema.num_action_types != num_types())
    throw Error("user state: schema has " + std::to_string(schema.num_action_types) + " action types, model \"" +
                name() + "\" " + std::to_string(num_types()));
  torch::NoGradGuard no_grad;
  auto state = make_state(schema, user, ctx);
  for (const auto& e : user.events) state->observe(e);
  return state;
}

std::unique_ptr<UserState> Model::make_state(const Schema& schema, const Sequence& user, const Context& ctx) {
  return std::make_unique<ReencodingState>(*this, schema, user, ctx);
}

torch::Tensor Model::auxiliary_loss(const History&, const nlohmann::json&) { return {}; }

}  // namespace tpp
