#pragma once
// Checks shared by the classical model tests: finite-difference gradients and padding invariance.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "tpp/data/batch.h"
#include "tpp/models/model.h"

namespace tpp::testing {

// Autograd gradient of Σ LL against central differences on every raw parameter element.
inline void expect_gradient_matches_finite_differences(Model& model, const Batch& batch, const IntegralOptions& integral) {
  auto params = model.parameters();
  model.zero_grad();
  model.log_likelihood(batch, integral).sum().backward();
  const double h = 1e-6;
  for (auto& p : params) {
    auto grad = p.grad().clone();
    auto flat = p.data().view({-1});
    for (int64_t i = 0; i < flat.numel(); ++i) {
      torch::NoGradGuard no_grad;
      const double x = flat[i].item<double>();
      flat[i] = x + h;
      const double up = model.log_likelihood(batch, integral).sum().item<double>();
      flat[i] = x - h;
      const double down = model.log_likelihood(batch, integral).sum().item<double>();
      flat[i] = x;
      const double numeric = (up - down) / (2 * h);
      const double analytic = grad.view({-1})[i].item<double>();
      // Central differences err by O(h²·f''') + O(ε·|f|/h): 1e-6 relative to the scale is ample.
      EXPECT_NEAR(analytic, numeric, 1e-6 * std::max(1.0, std::fabs(numeric))) << "parameter element " << i;
    }
  }
}

// Each sequence's LL is the same alone as inside the batch (padding adds nothing).
inline void expect_padding_invariance(Model& model, const Dataset& data, const IntegralOptions& integral) {
  torch::NoGradGuard no_grad;
  Context ctx;
  auto together = model.log_likelihood(make_batch(data, ctx), integral);
  for (std::size_t s = 0; s < data.sequences.size(); ++s) {
    auto alone = model.log_likelihood(make_batch(data, {s}, ctx), integral);
    EXPECT_NEAR(together[s].item<double>(), alone[0].item<double>(), 1e-12 * std::max(1.0, std::fabs(alone[0].item<double>())))
        << "sequence " << s;
  }
}

// Σ_k λ_k never exceeds intensity_upper_bound over [0, window] on any interval (checked on a grid).
inline void expect_bound_holds(Model& model, const Batch& batch, double window) {
  torch::NoGradGuard no_grad;
  History h = model.encode(batch);
  auto w = torch::full_like(h.start, window);
  auto bound = model.intensity_upper_bound(h, w);                        // [B, L+1]
  auto grid = torch::linspace(0, window, 201, torch::kFloat64).expand({h.start.size(0), h.start.size(1), 201});
  auto total = model.intensity(h, grid.contiguous()).sum(-1);            // [B, L+1, S]
  auto excess = (total - bound.unsqueeze(-1) * (1 + 1e-12)).max().item<double>();
  EXPECT_LE(excess, 0.0);
}

}  // namespace tpp::testing
