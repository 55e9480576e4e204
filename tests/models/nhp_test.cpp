#include "tpp/models/nhp.h"

#include <gtest/gtest.h>

#include <cmath>

#include "../test_support.h"
#include "tpp/models/registry.h"

namespace tpp {
namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double softplus_d(double x) { return std::log1p(std::exp(x)); }

std::shared_ptr<NhpImpl> make_nhp(const Schema& schema, int hidden) {
  return std::dynamic_pointer_cast<NhpImpl>(
      ModelRegistry::instance().create({{"model", "nhp"}, {"hidden_size", hidden}}, schema));
}

TEST(Nhp, CellsDecayFromStartValueToTarget) {
  auto d = testing::make_dataset(3, {{{0.3, 0}, {0.8, 2}, {1.9, 1}}, {{1.0, 1}}}, {2.5, 1.5});
  torch::manual_seed(1);
  auto model = make_nhp(d.schema, 6);
  torch::NoGradGuard no_grad;
  History h = model->encode(make_batch(d, Context{}));
  const int64_t I = h.start.size(1);
  auto at_zero = model->cell_at(h, torch::zeros({2, I, 1}, torch::kFloat64)).squeeze(2);
  auto far = model->cell_at(h, torch::full({2, I, 1}, 1e4, torch::kFloat64)).squeeze(2);
  EXPECT_LT((at_zero - h.parts.at("cell")).abs().max().item<double>(), 1e-15);
  EXPECT_LT((far - h.parts.at("cell_target")).abs().max().item<double>(), 1e-12);
  // c(t) moves monotonically between the two: (c(s) − c̄)/(c − c̄) = e^{−δs} in (0, 1).
  auto mid = model->cell_at(h, torch::full({2, I, 1}, 0.7, torch::kFloat64)).squeeze(2);
  auto ratio = (mid - h.parts.at("cell_target")) / (h.parts.at("cell") - h.parts.at("cell_target"));
  EXPECT_LT((ratio - torch::exp(-0.7 * h.parts.at("decay"))).abs().max().item<double>(), 1e-9);
}

// Equations (4)–(7) in plain doubles for a 1-unit, 1-type model.
struct ScalarNhp {
  double input[2][7];   // W k for type 0 and BOS
  double recurrent[7];  // U
  double bias[7];       // d
  double w, scale;
  struct State {
    double c, cbar, delta, o;
  };
  State step(int type, double h, double c_decayed, double cbar_previous) const {
    double g[7];
    for (int j = 0; j < 7; ++j) g[j] = input[type][j] + recurrent[j] * h + bias[j];
    const double i = sigmoid(g[0]), f = sigmoid(g[1]), z = 2 * sigmoid(g[2]) - 1, o = sigmoid(g[3]);
    const double ibar = sigmoid(g[4]), fbar = sigmoid(g[5]);
    return {f * c_decayed + i * z, fbar * cbar_previous + ibar * z, softplus_d(g[6]), o};
  }
  static double cell(const State& s, double elapsed) { return s.cbar + (s.c - s.cbar) * std::exp(-s.delta * elapsed); }
  static double hidden(const State& s, double elapsed) { return s.o * (2 * sigmoid(2 * cell(s, elapsed)) - 1); }
  double intensity(const State& s, double elapsed) const { return scale * softplus_d(w * hidden(s, elapsed) / scale); }
};

TEST(Nhp, SingleUnitStepMatchesPaperEquations) {
  auto d = testing::make_dataset(1, {{{0.8, 0}}}, {2.0});
  auto model = make_nhp(d.schema, 1);
  ScalarNhp ref;
  const double values[2][7] = {{0.3, -0.2, 1.1, 0.4, -0.7, 0.9, 0.2}, {-0.5, 0.6, 0.8, -0.3, 0.5, -0.4, -1.0}};
  const double recurrent[7] = {0.7, -0.9, 1.3, 0.2, -0.6, 0.8, 0.5};
  const double bias[7] = {0.1, 0.2, -0.3, 0.05, 0.15, -0.25, 0.3};
  for (int t = 0; t < 2; ++t)
    for (int j = 0; j < 7; ++j) ref.input[t][j] = values[t][j];
  for (int j = 0; j < 7; ++j) ref.recurrent[j] = recurrent[j], ref.bias[j] = bias[j];
  ref.w = -1.7;
  ref.scale = 0.6;
  {
    torch::NoGradGuard no_grad;
    auto params = model->named_parameters();
    for (int t = 0; t < 2; ++t)
      for (int j = 0; j < 7; ++j) params["input.weight"][t][j] = values[t][j];
    for (int j = 0; j < 7; ++j) {
      params["recurrent.weight"][j][0] = recurrent[j];
      params["recurrent.bias"][j] = bias[j];
    }
    params["readout_weight"][0][0] = ref.w;
    params["raw_scale"][0] = std::log(std::expm1(ref.scale));
  }
  // BOS from h(0) = 0, c_0 = c̄_0 = 0 (appendix A.2), then the event of type 0 at t = 0.8.
  auto s1 = ref.step(1, 0.0, 0.0, 0.0);
  const double c_at_event = ScalarNhp::cell(s1, 0.8);
  auto s2 = ref.step(0, ScalarNhp::hidden(s1, 0.8), c_at_event, s1.cbar);

  torch::NoGradGuard no_grad;
  History h = model->encode(make_batch(d, Context{}));
  EXPECT_NEAR(h.parts.at("cell")[0][1][0].item<double>(), s2.c, 1e-14);
  EXPECT_NEAR(h.parts.at("cell_target")[0][1][0].item<double>(), s2.cbar, 1e-14);
  EXPECT_NEAR(h.parts.at("decay")[0][1][0].item<double>(), s2.delta, 1e-14);
  EXPECT_NEAR(h.parts.at("output_gate")[0][1][0].item<double>(), s2.o, 1e-14);
  auto elapsed = torch::tensor({0.0, 0.3, 0.8, 1.1}, torch::kFloat64).reshape({1, 1, 4}).expand({1, 2, 4});
  auto lambda = model->intensity(h, elapsed);  // [1, 2, 4, 1]
  const double times[4] = {0.0, 0.3, 0.8, 1.1};
  for (int q = 0; q < 4; ++q) {
    EXPECT_NEAR(lambda[0][0][q][0].item<double>(), ref.intensity(s1, times[q]), 1e-14);
    EXPECT_NEAR(lambda[0][1][q][0].item<double>(), ref.intensity(s2, times[q]), 1e-14);
  }
  // Likelihood: log λ(t_1) − ∫_0^{0.8} λ under s1 − ∫_0^{1.2} λ under s2, by fine Simpson.
  auto integral = [&](const ScalarNhp::State& s, double span) {
    const int n = 4000;
    double sum = 0;
    for (int k = 0; k <= n; ++k) sum += (k == 0 || k == n ? 1 : (k % 2 ? 4 : 2)) * ref.intensity(s, span * k / n);
    return sum * span / (3.0 * n);
  };
  const double expected = std::log(ref.intensity(s1, 0.8)) - integral(s1, 0.8) - integral(s2, 1.2);
  auto ll = model->log_likelihood(make_batch(d, Context{}), {IntegralOptions::Method::GaussLegendre, 48});
  EXPECT_NEAR(ll[0].item<double>(), expected, 1e-11);
  // With one unit and one type, the appendix B.3 bound is attained: it is λ at one end of the window.
  auto window = torch::tensor({0.8, 1.2}, torch::kFloat64).reshape({1, 2});
  auto bound = model->intensity_upper_bound(h, window);
  EXPECT_NEAR(bound[0][0].item<double>(), std::max(ref.intensity(s1, 0.0), ref.intensity(s1, 0.8)), 1e-14);
  EXPECT_NEAR(bound[0][1].item<double>(), std::max(ref.intensity(s2, 0.0), ref.intensity(s2, 1.2)), 1e-14);
}

}  // namespace
}  // namespace tpp
