#pragma once
// The training objective of every gradient-trained model, from one encode per step:
//   loss = Σ_b Σ_i w[b, i]·( −λ_ll·(log λ_{k_i}(t_i) − Λ_i) + aux_i )
// with the likelihood's per-event terms (Model::likelihood_terms), the model's per-event auxiliary
// losses (THP's type and time heads) and the per-interval weights Batch::weight (IPTW; 1 by
// default). The same History feeds both, so dropout draws one mask per step.
#include <torch/torch.h>

#include "tpp/data/batch.h"
#include "tpp/models/model.h"

namespace tpp {

// ExPERT eq. (6) weights (λ_ll, λ_type, λ_time).
struct LossWeights {
  double ll{1.0};
  double type{0.0};
  double time{0.0};
  bool auxiliary() const { return type != 0 || time != 0; }
  nlohmann::json to_json() const { return {{"ll", ll}, {"type", type}, {"time", time}}; }
};

struct ObjectiveValue {
  torch::Tensor loss;            // scalar, summed over the batch (not normalised)
  torch::Tensor log_likelihood;  // scalar Σ w·(log λ − Λ), detached
};

ObjectiveValue training_objective(Model& model, const Batch& batch, const IntegralOptions& integral,
                                  const LossWeights& weights);

// Σ w[b, i] over the user actions i of a batch: the normaliser of a weighted objective.
torch::Tensor weighted_action_count(const Batch& batch);

}  // namespace tpp
