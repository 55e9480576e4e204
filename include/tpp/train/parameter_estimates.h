#pragma once
// Maximum-likelihood estimates of a classical model's natural parameters, each with its standard
// error from the observed information on the data it was fitted to (train/standard_errors.h), in
// model time units. What `tpp train` reports after an L-BFGS fit, so a fit can be read against the
// truth it came from.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/core/context.h"
#include "tpp/data/dataset.h"
#include "tpp/models/model.h"

namespace tpp {

struct ParameterEstimate {
  std::string name;  // "mu[k]", "alpha[j->k]" (source j, target k, by type name), "beta", "rate[k]"
  double value{0.0};
  double standard_error{0.0};
};

// The estimates of a hawkes or poisson model at its current parameters on `data` (prepared, model
// units); empty for any other model, and for one with more than `max_parameters` raw parameters
// (the information costs one backward pass per parameter). Throws tpp::Error when the observed
// information is not positive definite (the parameters are not at a maximum of the likelihood).
std::vector<ParameterEstimate> parameter_estimates(Model& model, const Dataset& data, const Context& ctx,
                                                   int64_t max_parameters = 400);

// [{"name", "value", "standard_error"}, ...]
nlohmann::json to_json(const std::vector<ParameterEstimate>& estimates);

}  // namespace tpp
