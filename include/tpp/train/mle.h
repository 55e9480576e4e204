#pragma once
// Full-batch maximum-likelihood fitting for models with few parameters (classical processes),
// and standard errors from the observed Fisher information.
#include <torch/torch.h>

#include "tpp/data/batch.h"
#include "tpp/models/model.h"

namespace tpp {

struct MleOptions {
  int max_iterations{500};
  double tolerance{1e-10};   // stop when the change of LL per event falls below this
  IntegralOptions integral{IntegralOptions::Method::Exact, 32};
  bool progress{false};
};

struct MleResult {
  double log_likelihood{0.0};  // total over the batch
  std::size_t num_events{0};   // actions in the batch
  int iterations{0};
  bool converged{false};
};

// Maximises Σ_b weight_b · log_likelihood_b with L-BFGS (strong Wolfe line search).
MleResult fit_mle(Model& model, const Batch& batch, const MleOptions& options = {});

// Hessian of −LL with respect to the model's parameters, flattened in parameters() order.
torch::Tensor observed_information(Model& model, const Batch& batch, const IntegralOptions& integral = {IntegralOptions::Method::Exact, 32});

}  // namespace tpp
