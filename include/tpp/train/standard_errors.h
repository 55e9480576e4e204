#pragma once
// Standard errors of natural parameters from the observed information of the raw (unconstrained)
// parameters, by the delta method: Cov(g(raw)) ≈ J I⁻¹ Jᵀ with J = ∂g/∂raw (autograd).
#include <functional>

#include <torch/torch.h>

#include "tpp/models/model.h"

namespace tpp {

// Inverse of the observed information. Parameters the likelihood does not depend on at all
// (an all-zero row and column, e.g. α entries masked by schema.affects) get variance 0.
// Throws tpp::Error when the rest is not positive definite (not at a maximum).
torch::Tensor raw_covariance(const torch::Tensor& information);

// Covariance of natural() (a flat vector computed from the model's current parameters, e.g.
// HawkesImpl::natural_parameters) given the information on model.parameters().
torch::Tensor natural_covariance(Model& model, const torch::Tensor& information,
                                 const std::function<torch::Tensor()>& natural);

// sqrt(diag(natural_covariance)).
torch::Tensor natural_standard_errors(Model& model, const torch::Tensor& information,
                                      const std::function<torch::Tensor()>& natural);

}  // namespace tpp
