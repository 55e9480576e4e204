#include "tpp/models/model.h"

#include "tpp/core/error.h"
#include "tpp/core/numerics.h"
#include "tpp/core/rng.h"

namespace tpp {

namespace {

// Intensities [B, L+1, S, K] held at once by the generic likelihood: 16 MiB in float64, below the
// allocator's 32 MiB mapping threshold (core/allocator.h), as the predictor's chunks.
constexpr int64_t kMaxIntensityElements = int64_t{1} << 21;

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

Model::IntegrationNodes Model::integration_nodes(const Batch& b, const IntegralOptions& options) {
  const auto& span = b.span;  // [B, L+1]
  IntegrationNodes q;
  if (options.method == IntegralOptions::Method::MonteCarlo) {
    q.fraction = options.seed ? seeded_fractions(b, *options.seed, options.points)
                              : torch::rand({span.size(0), span.size(1), options.points}, span.options());
    q.weight = torch::full({options.points}, 1.0 / options.points, span.options());
  } else {
    auto rule = gauss_legendre(options.points);
    auto nodes = torch::tensor(rule.nodes, torch::kFloat64).to(span.options());
    q.fraction = ((nodes + 1) / 2).expand({span.size(0), span.size(1), options.points});
    q.weight = torch::tensor(rule.weights, torch::kFloat64).to(span.options()) / 2;
  }
  return q;
}

LikelihoodTerms Model::likelihood_terms(const History& history, const IntegralOptions& options) {
  const Batch& b = history.batch;
  const int64_t B = b.batch_size(), L = b.max_length();
  const auto& span = b.span;
  IntegrationNodes q = integration_nodes(b, options);
  const int64_t S = q.fraction.size(2);
  auto at_event = torch::cat({b.dtime, torch::zeros({B, 1}, b.dtime.options())}, 1).unsqueeze(-1);
  auto nodes = q.fraction * span.unsqueeze(-1);  // [B, L+1, S]
  LikelihoodTerms terms;
  auto set_log_intensity = [&](const torch::Tensor& lambda_at_event) {  // [B, L+1, K]
    auto event_lambda = at_action_types(b, lambda_at_event.narrow(1, 0, L));
    terms.log_intensity = torch::where(b.action_mask, safe_log(event_lambda), torch::zeros({}, event_lambda.options()));
  };
  // The intensities of one node across the batch; without gradients the integral holds at most
  // kMaxIntensityElements of them at once (a 1,754-type THP evaluation held 1.2 GB in one tensor).
  const int64_t per_node = B * (L + 1) * std::max(num_types(), 1);
  // Under autograd every chunk's graph is kept until backward, so chunks would save nothing: the
  // budget bounds evaluation (no gradients), and training stays one call.
  if (per_node * (1 + S) <= kMaxIntensityElements || torch::GradMode::is_enabled()) {
    // One intensity evaluation for both terms: slot 0 of each interval holds the elapsed time of
    // the event closing it (interval i ends at event i after dtime_i; the last has none), the other
    // S slots the integration nodes.
    auto lambda = intensity(history, torch::cat({at_event, nodes}, -1));  // [B, L+1, 1+S, K]
    set_log_intensity(lambda.select(2, 0));
    terms.compensator = (lambda.narrow(2, 1, S).sum(-1) * q.weight).sum(-1) * span;
    return terms;
  }
  set_log_intensity(intensity(history, at_event).select(2, 0));
  const int64_t chunk = std::max<int64_t>(1, kMaxIntensityElements / per_node);
  torch::Tensor integral;
  for (int64_t s0 = 0; s0 < S; s0 += chunk) {
    const int64_t c = std::min(chunk, S - s0);
    auto part = (intensity(history, nodes.narrow(2, s0, c)).sum(-1) * q.weight.narrow(-1, s0, c)).sum(-1);
    integral = integral.defined() ? integral + part : part;
  }
  terms.compensator = integral * span;
  return terms;
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
