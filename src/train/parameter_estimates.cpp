#include "tpp/train/parameter_estimates.h"

#include "tpp/core/error.h"
#include "tpp/data/batch.h"
#include "tpp/models/hawkes.h"
#include "tpp/models/poisson.h"
#include "tpp/train/mle.h"
#include "tpp/train/standard_errors.h"

namespace tpp {

namespace {

// Names of the natural parameters in the order of HawkesImpl::natural_parameters: μ per action,
// α per (source, target) with sources the actions then the stimuli, β once or per (source, target).
std::vector<std::string> hawkes_names(const HawkesImpl& hawkes, const Schema& schema) {
  std::vector<std::string> sources = schema.action_names;
  sources.insert(sources.end(), schema.stimulus_names.begin(), schema.stimulus_names.end());
  std::vector<std::string> names;
  for (const auto& k : schema.action_names) names.push_back("mu[" + k + "]");
  std::vector<std::string> pairs;
  for (const auto& j : sources)
    for (const auto& k : schema.action_names) pairs.push_back(j + "->" + k);
  for (const auto& p : pairs) names.push_back("alpha[" + p + "]");
  if (hawkes.beta().dim() == 0) {
    names.push_back("beta");
  } else {
    for (const auto& p : pairs) names.push_back("beta[" + p + "]");
  }
  return names;
}

}  // namespace

std::vector<ParameterEstimate> parameter_estimates(Model& model, const Dataset& data, const Context& ctx,
                                                   int64_t max_parameters) {
  int64_t raw = 0;
  for (const auto& p : model.parameters()) raw += p.numel();
  if (raw > max_parameters) return {};
  std::vector<std::string> names;
  std::function<torch::Tensor()> natural;
  if (auto* hawkes = dynamic_cast<HawkesImpl*>(&model)) {
    names = hawkes_names(*hawkes, data.schema);
    natural = [hawkes] { return hawkes->natural_parameters(); };
  } else if (auto* poisson = dynamic_cast<PoissonImpl*>(&model)) {
    for (const auto& k : data.schema.action_names) names.push_back("rate[" + k + "]");
    natural = [poisson] { return poisson->rate(); };
  } else {
    return {};
  }
  const Batch batch = make_batch(data, ctx);
  const torch::Tensor information = observed_information(model, batch);
  const torch::Tensor errors = natural_standard_errors(model, information, natural).to(torch::kCPU, torch::kFloat64);
  const torch::Tensor values = natural().detach().to(torch::kCPU, torch::kFloat64);
  if (values.numel() != static_cast<int64_t>(names.size()))
    throw Error("parameter_estimates: " + std::to_string(values.numel()) + " parameters for " +
                std::to_string(names.size()) + " names");
  std::vector<ParameterEstimate> estimates;
  for (std::size_t i = 0; i < names.size(); ++i)
    estimates.push_back({names[i], values[static_cast<int64_t>(i)].item<double>(),
                         errors[static_cast<int64_t>(i)].item<double>()});
  return estimates;
}

nlohmann::json to_json(const std::vector<ParameterEstimate>& estimates) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& e : estimates)
    rows.push_back({{"name", e.name}, {"value", e.value}, {"standard_error", e.standard_error}});
  return rows;
}

}  // namespace tpp
