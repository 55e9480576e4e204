#include "tpp/train/mle.h"

#include <cmath>
#include <cstdio>

#include "tpp/core/error.h"
#include "tpp/train/standard_errors.h"

namespace tpp {

namespace {

torch::Tensor weighted_log_likelihood(Model& model, const Batch& batch, const IntegralOptions& integral) {
  return model.likelihood_terms(model.encode(batch), integral).weighted_sum(batch.weight);
}

torch::Tensor flatten(const torch::autograd::variable_list& grads, const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> parts;
  for (std::size_t i = 0; i < params.size(); ++i)
    parts.push_back(grads[i].defined() ? grads[i].reshape({-1}) : torch::zeros({params[i].numel()}, params[i].options()));
  return parts.empty() ? torch::zeros({0}, torch::kFloat64) : torch::cat(parts);
}

}  // namespace

MleResult fit_mle(Model& model, const Batch& batch, const MleOptions& options) {
  std::vector<torch::Tensor> params;
  for (auto& p : model.parameters())
    if (p.requires_grad()) params.push_back(p);
  if (params.empty()) throw Error("fit_mle: model \"" + model.name() + "\" has no trainable parameters");
  MleResult result;
  result.num_events = static_cast<std::size_t>(batch.action_mask.sum().item<int64_t>());
  // The objective is −LL per event so tolerances do not depend on the data size.
  const double scale = 1.0 / std::max<std::size_t>(result.num_events, 1);
  model.train();

  // One L-BFGS iteration per step() so iterations are counted and the stopping rule is ours; the
  // curvature pairs persist in the optimiser's state across steps.
  torch::optim::LBFGS optimizer(params, torch::optim::LBFGSOptions(1.0)
                                            .max_iter(1)
                                            .max_eval(25)
                                            .history_size(20)
                                            .tolerance_grad(1e-12)
                                            .tolerance_change(0.0)
                                            .line_search_fn("strong_wolfe"));
  auto closure = [&]() -> torch::Tensor {
    optimizer.zero_grad();
    auto loss = -weighted_log_likelihood(model, batch, options.integral) * scale;
    if (!std::isfinite(loss.item<double>()))
      throw Error("fit_mle: the log-likelihood is not finite at the current parameters");
    loss.backward();
    return loss;
  };

  double previous;
  {
    torch::NoGradGuard no_grad;
    previous = -weighted_log_likelihood(model, batch, options.integral).item<double>() * scale;
  }
  for (int it = 0; it < options.max_iterations; ++it) {
    optimizer.step(closure);
    ++result.iterations;
    double current;
    {
      torch::NoGradGuard no_grad;
      current = -weighted_log_likelihood(model, batch, options.integral).item<double>() * scale;
    }
    if (options.progress)
      std::fprintf(stderr, "fit_mle: iteration %d: log-likelihood per event %.10f\n", result.iterations, -current);
    const bool settled = std::fabs(previous - current) < options.tolerance;
    previous = current;
    if (settled) {
      result.converged = true;
      break;
    }
  }
  model.eval();
  result.log_likelihood = -previous / scale;
  return result;
}

torch::Tensor observed_information(Model& model, const Batch& batch, const IntegralOptions& integral) {
  std::vector<torch::Tensor> params = model.parameters();
  int64_t P = 0;
  for (auto& p : params) P += p.numel();
  auto loss = -weighted_log_likelihood(model, batch, integral);
  auto grads = torch::autograd::grad({loss}, params, {}, /*retain_graph=*/true, /*create_graph=*/true, /*allow_unused=*/true);
  auto g = flatten(grads, params);
  auto hessian = torch::zeros({P, P}, torch::kFloat64);
  for (int64_t i = 0; i < P; ++i) {
    if (!g[i].requires_grad()) continue;  // the loss is linear in nothing here: row stays zero
    auto row = torch::autograd::grad({g[i]}, params, {}, /*retain_graph=*/true, /*create_graph=*/false, /*allow_unused=*/true);
    hessian[i] = flatten(row, params).to(torch::kCPU, torch::kFloat64);
  }
  return (hessian + hessian.t()) / 2;
}

torch::Tensor raw_covariance(const torch::Tensor& information) {
  auto info = information.to(torch::kCPU, torch::kFloat64);
  const int64_t P = info.size(0);
  if (info.dim() != 2 || info.size(1) != P) throw Error("raw_covariance: information must be square");
  auto informative = (info.abs().sum(1) > 0).nonzero().squeeze(1);
  auto sub = info.index_select(0, informative).index_select(1, informative);
  auto eig = std::get<0>(torch::linalg::eigh(sub, "L"));
  if (sub.size(0) > 0 && !(eig.min().item<double>() > 0))
    throw Error("raw_covariance: the observed information is not positive definite (not at a maximum of the likelihood?)");
  auto cov = torch::zeros({P, P}, torch::kFloat64);
  if (sub.size(0) > 0) {
    auto inv = torch::inverse(sub);
    for (int64_t a = 0; a < informative.size(0); ++a)
      for (int64_t b = 0; b < informative.size(0); ++b)
        cov[informative[a].item<int64_t>()][informative[b].item<int64_t>()] = inv[a][b];
  }
  return cov;
}

torch::Tensor natural_covariance(Model& model, const torch::Tensor& information,
                                 const std::function<torch::Tensor()>& natural) {
  std::vector<torch::Tensor> params = model.parameters();
  auto value = natural().reshape({-1});
  int64_t P = 0;
  for (auto& p : params) P += p.numel();
  if (information.size(0) != P)
    throw Error("natural_covariance: information is " + std::to_string(information.size(0)) + " square, model has " +
                std::to_string(P) + " parameters");
  auto jacobian = torch::zeros({value.numel(), P}, torch::kFloat64);
  for (int64_t i = 0; i < value.numel(); ++i) {
    if (!value[i].requires_grad()) continue;
    auto row = torch::autograd::grad({value[i]}, params, {}, /*retain_graph=*/true, /*create_graph=*/false, /*allow_unused=*/true);
    jacobian[i] = flatten(row, params).to(torch::kCPU, torch::kFloat64);
  }
  return jacobian.matmul(raw_covariance(information)).matmul(jacobian.t());
}

torch::Tensor natural_standard_errors(Model& model, const torch::Tensor& information,
                                      const std::function<torch::Tensor()>& natural) {
  return natural_covariance(model, information, natural).diagonal().clamp_min(0).sqrt();
}

}  // namespace tpp
