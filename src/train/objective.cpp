#include "tpp/train/objective.h"

namespace tpp {

ObjectiveValue training_objective(Model& model, const Batch& batch, const IntegralOptions& integral,
                                  const LossWeights& weights) {
  History history = model.encode(batch);
  LikelihoodTerms terms = model.likelihood_terms(history, integral);
  auto ll = terms.weighted_sum(batch.weight);
  auto loss = -weights.ll * ll;
  if (weights.auxiliary()) {
    auto aux = model.auxiliary_loss(history, weights.to_json());
    if (aux.defined()) loss = loss + (batch.weight.narrow(1, 0, aux.size(1)).to(aux.dtype()) * aux).sum();
  }
  return {loss, ll.detach()};
}

torch::Tensor weighted_action_count(const Batch& batch) {
  const int64_t L = batch.max_length();
  return (batch.weight.narrow(1, 0, L) * batch.action_mask.to(batch.weight.dtype())).sum();
}

}  // namespace tpp
