#include "tpp/models/model.h"

#include "tpp/core/numerics.h"

namespace tpp {

torch::Tensor Model::event_log_intensity(const History& history) {
  const Batch& b = history.batch;
  const int64_t B = b.batch_size(), L = b.max_length();
  if (L == 0) return torch::zeros({B}, b.t_end.options());
  // Event i closes interval i at elapsed dtime_i; the last interval carries no event.
  auto elapsed = torch::cat({b.dtime, torch::zeros({B, 1}, b.dtime.options())}, 1).unsqueeze(-1);
  auto lambda = intensity(history, elapsed).squeeze(2).narrow(1, 0, L);  // [B, L, K]
  auto action_type = torch::where(b.action_mask, b.type, torch::zeros_like(b.type));
  auto at_event = lambda.gather(2, action_type.unsqueeze(-1)).squeeze(-1);
  return torch::where(b.action_mask, safe_log(at_event), torch::zeros_like(at_event)).sum(1);
}

torch::Tensor Model::numeric_integral(const History& history, const IntegralOptions& options) {
  const Batch& b = history.batch;
  auto span = b.span;  // [B, L+1]
  torch::Tensor fraction, weight;  // [B, L+1, S]
  if (options.method == IntegralOptions::Method::MonteCarlo) {
    fraction = torch::rand({span.size(0), span.size(1), options.points}, span.options());
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
  return (total * weight).sum(-1).mul(span).sum(1);
}

torch::Tensor Model::log_likelihood(const Batch& batch, const IntegralOptions& options) {
  History h = encode(batch);
  return event_log_intensity(h) - numeric_integral(h, options);
}

torch::Tensor Model::auxiliary_loss(const History& history, const nlohmann::json&) {
  return torch::zeros({history.batch.batch_size()}, history.batch.t_end.options());
}

}  // namespace tpp
