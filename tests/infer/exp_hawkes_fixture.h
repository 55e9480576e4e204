#pragma once
// Test-only models for the inference tests: a K-type exponential Hawkes process whose every event
// (of any type) adds α_k·exp(−β·age) to λ_k. On one interval λ_k(s) = μ_k + a_k·exp(−β s) with
// a_k = α_k Σ_{j<i} exp(−β (start_i − t_j)), so the next-event law has series closed forms.
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "tpp/models/model.h"

namespace tpp::testing {

class ExpHawkesTestModel : public Model {
 public:
  ExpHawkesTestModel(std::vector<double> mu, std::vector<double> alpha, double beta)
      : mu_(std::move(mu)), alpha_(std::move(alpha)), beta_(beta) {}
  std::string name() const override { return "exp_hawkes_test"; }
  nlohmann::json config() const override { return {{"model", name()}}; }
  int num_types() const override { return static_cast<int>(mu_.size()); }

  History encode(const Batch& batch) override {
    History h;
    h.batch = batch;
    const int64_t B = batch.batch_size(), L = batch.max_length();
    h.start = torch::cat({torch::zeros({B, 1}, batch.time.options()), batch.time}, 1);
    h.hidden = torch::zeros({B, L + 1, 0}, batch.time.options());
    auto time = batch.time.to(torch::kCPU, torch::kFloat64);
    auto mask = batch.mask.to(torch::kCPU);
    auto excite = torch::zeros({B, L + 1}, torch::kFloat64);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 1; i <= L; ++i) {
        double sum = 0;
        const double start = time[b][i - 1].item<double>();
        for (int64_t j = 0; j < i; ++j)
          if (mask[b][j].item<bool>()) sum += std::exp(-beta_ * (start - time[b][j].item<double>()));
        excite[b][i] = sum;
      }
    h.parts["excite"] = excite.to(batch.time.options());
    return h;
  }

  torch::Tensor intensity(const History& h, const torch::Tensor& elapsed) override {
    auto mu = torch::tensor(mu_, torch::kFloat64).to(elapsed.options());
    auto alpha = torch::tensor(alpha_, torch::kFloat64).to(elapsed.options());
    auto decay = h.parts.at("excite").unsqueeze(-1) * torch::exp(-beta_ * elapsed);  // [B, L+1, S]
    return mu + decay.unsqueeze(-1) * alpha;
  }

  torch::Tensor intensity_upper_bound(const History& h, const torch::Tensor& window) override {
    double mu = 0, alpha = 0;
    for (double m : mu_) mu += m;
    for (double a : alpha_) alpha += a;
    return mu + alpha * h.parts.at("excite") + torch::zeros_like(window);
  }

  // Closed forms for one interval with excitation `excite` (x = exp(−β s) turns every integral
  // into e^{−c}/β Σ_m c^m/m!/(shift + m), c = Σa/β).
  struct Reference {
    double expected_time;
    std::vector<double> type_probability;
  };
  Reference reference(double excite) const {
    double mu = 0, a = 0;
    for (double m : mu_) mu += m;
    for (double x : alpha_) a += x * excite;
    const double c = a / beta_, r = mu / beta_;
    auto series = [&](double shift) {
      double term = 1, sum = 0;
      for (int m = 0; m < 400; ++m) {
        sum += term / (shift + m);
        term *= c / (m + 1);
      }
      return std::exp(-c) / beta_ * sum;
    };
    Reference ref;
    ref.expected_time = series(r);
    const double decayed = series(r + 1);  // ∫ e^{−βs} S(s) ds
    for (std::size_t k = 0; k < mu_.size(); ++k)
      ref.type_probability.push_back(mu_[k] * ref.expected_time + alpha_[k] * excite * decayed);
    return ref;
  }
  double compensator(double excite, double s) const {
    double mu = 0, a = 0;
    for (double m : mu_) mu += m;
    for (double x : alpha_) a += x * excite;
    return mu * s + a / beta_ * (1 - std::exp(-beta_ * s));
  }
  double intensity_value(int k, double excite, double s) const { return mu_[k] + alpha_[k] * excite * std::exp(-beta_ * s); }

 private:
  std::vector<double> mu_, alpha_;
  double beta_;
};

}  // namespace tpp::testing
