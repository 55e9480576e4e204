// RMTPP and THP: gradients, brute-force likelihoods, padding, causality, THP's interval state.
#include <gtest/gtest.h>

#include <cmath>

#include "../test_support.h"
#include "tpp/core/numerics.h"
#include "tpp/models/registry.h"
#include "tpp/models/rmtpp.h"
#include "tpp/models/thp.h"

namespace tpp {

namespace {

Dataset two_sequences() {
  auto d = testing::make_dataset(2, {{{0.0, 1}, {0.4, 0}, {1.1, 1}, {2.0, 0}}, {{0.7, 1}}}, {2.5, 1.5});
  return d;
}

ModelPtr tiny(const std::string& name, const Schema& schema) {
  torch::manual_seed(7);
  nlohmann::json cfg = name == "thp"
                           ? nlohmann::json{{"model", "thp"}, {"d_model", 8}, {"d_ff", 8}, {"heads", 2}, {"layers", 1}, {"dropout", 0.0}}
                           : nlohmann::json{{"model", "rmtpp"}, {"embed_dim", 3}, {"hidden", 4}, {"w_init", -0.3}};
  auto model = ModelRegistry::instance().create(cfg, schema);
  model->eval();
  return model;
}

// Per-sequence brute force: each sequence encoded alone, log λ at its events, the integral on a
// fine midpoint grid of every interval.
std::vector<double> brute_force_ll(Model& model, const Dataset& d) {
  std::vector<double> out;
  for (std::size_t s = 0; s < d.sequences.size(); ++s) {
    Batch b = make_batch(d, {s}, Context{});
    History h = model.encode(b);
    const int64_t n = b.max_length();
    double ll = 0.0;
    const int grid = 4000;
    for (int64_t i = 0; i <= n; ++i) {
      double span = b.span[0][i].item<double>();
      auto elapsed = torch::zeros({1, n + 1, grid}, torch::kFloat64);
      elapsed[0][i] = (torch::arange(grid, torch::kFloat64) + 0.5) * (span / grid);
      auto lam = model.intensity(h, elapsed)[0][i].sum(-1);
      ll -= lam.sum().item<double>() * span / grid;
      if (i < n) {
        auto at = torch::zeros({1, n + 1, 1}, torch::kFloat64);
        at[0][i][0] = b.dtime[0][i].item<double>();
        ll += std::log(model.intensity(h, at)[0][i][0][b.type[0][i].item<int64_t>()].item<double>());
      }
    }
    out.push_back(ll);
  }
  return out;
}

void gradient_check(Model& model, const Batch& batch, IntegralOptions integral) {
  auto params = model.parameters();
  auto loss = -model.log_likelihood(batch, integral).sum();
  // The heads (THP's type/time) are not in the likelihood: their gradient is undefined = 0.
  auto grads = torch::autograd::grad({loss}, params, {}, c10::nullopt, false, /*allow_unused=*/true);
  const double h = 1e-6;
  torch::NoGradGuard guard;
  for (std::size_t p = 0; p < params.size(); ++p) {
    auto flat = params[p].view(-1);
    for (int64_t j = 0; j < std::min<int64_t>(flat.numel(), 3); ++j) {
      double orig = flat[j].item<double>();
      flat[j] = orig + h;
      double up = -model.log_likelihood(batch, integral).sum().item<double>();
      flat[j] = orig - h;
      double down = -model.log_likelihood(batch, integral).sum().item<double>();
      flat[j] = orig;
      double numeric = (up - down) / (2 * h);
      double analytic = grads[p].defined() ? grads[p].view(-1)[j].item<double>() : 0.0;
      EXPECT_NEAR(analytic, numeric, 1e-6 * (1 + std::fabs(numeric))) << "parameter " << p << " entry " << j;
    }
  }
}

}  // namespace

class Neural : public ::testing::TestWithParam<std::string> {};

TEST_P(Neural, LikelihoodMatchesPerSequenceBruteForce) {
  auto d = two_sequences();
  auto model = tiny(GetParam(), d.schema);
  Batch b = make_batch(d, Context{});
  auto reference = brute_force_ll(*model, d);
  auto method = GetParam() == "rmtpp" ? IntegralOptions::Method::Exact : IntegralOptions::Method::GaussLegendre;
  auto ll = model->log_likelihood(b, {method, 48});
  for (int s = 0; s < 2; ++s) EXPECT_NEAR(ll[s].item<double>(), reference[s], 1e-6);  // midpoint grid error ~ span³/grid²
}

TEST_P(Neural, FiniteDifferenceGradients) {
  auto d = two_sequences();
  auto model = tiny(GetParam(), d.schema);
  Batch b = make_batch(d, Context{});
  gradient_check(*model, b, {GetParam() == "rmtpp" ? IntegralOptions::Method::Exact : IntegralOptions::Method::GaussLegendre, 16});
}

TEST_P(Neural, PaddingDoesNotChangeASequence) {
  auto d = two_sequences();
  auto model = tiny(GetParam(), d.schema);
  auto alone = model->log_likelihood(make_batch(d, {1}, Context{}), {IntegralOptions::Method::GaussLegendre, 16});
  auto padded = model->log_likelihood(make_batch(d, Context{}), {IntegralOptions::Method::GaussLegendre, 16});
  EXPECT_NEAR(alone[0].item<double>(), padded[1].item<double>(), 1e-12);
}

TEST_P(Neural, FutureEventsNeverChangeEarlierIntervals) {
  auto d = two_sequences();
  auto model = tiny(GetParam(), d.schema);
  auto changed = d;
  changed.sequences[0].events[2].type = 0;  // event 2 differs: intervals 0..2 must not move
  changed.sequences[0].events[3].time = 2.3;
  auto query = torch::full({1, 5, 3}, 0.05, torch::kFloat64);
  auto before = model->intensity(model->encode(make_batch(d, {0}, Context{})), query);
  auto after = model->intensity(model->encode(make_batch(changed, {0}, Context{})), query);
  EXPECT_TRUE(torch::allclose(before.narrow(1, 0, 3), after.narrow(1, 0, 3), 0, 1e-14));
  EXPECT_FALSE(torch::allclose(before.narrow(1, 3, 1), after.narrow(1, 3, 1), 0, 1e-14));
}

TEST_P(Neural, MonteCarloIntegralAgreesWithGaussLegendreWithinItsError) {
  auto d = two_sequences();
  auto model = tiny(GetParam(), d.schema);
  Batch b = make_batch(d, Context{});
  auto gl = model->log_likelihood(b, {IntegralOptions::Method::GaussLegendre, 48}).sum().item<double>();
  torch::manual_seed(3);
  const int reps = 200;
  std::vector<double> mc;
  for (int r = 0; r < reps; ++r) mc.push_back(model->log_likelihood(b, {IntegralOptions::Method::MonteCarlo, 4}).sum().item<double>());
  double mean = 0, var = 0;
  for (double v : mc) mean += v / reps;
  for (double v : mc) var += (v - mean) * (v - mean) / (reps - 1);
  EXPECT_GT(var, 0.0);  // really random
  EXPECT_NEAR(mean, gl, 5 * std::sqrt(var / reps));
}

TEST_P(Neural, UpperBoundHoldsOverTheWindow) {
  auto d = two_sequences();
  auto model = tiny(GetParam(), d.schema);
  History h = model->encode(make_batch(d, Context{}));
  auto window = torch::full({2, 5}, 3.0, torch::kFloat64);
  auto bound = model->intensity_upper_bound(h, window);
  auto grid = torch::linspace(0, 3.0, 301, torch::kFloat64).expand({2, 5, 301});
  auto total = model->intensity(h, grid).sum(-1);
  EXPECT_TRUE((total <= bound.unsqueeze(-1) * (1 + 1e-12)).all().item<bool>());
}

INSTANTIATE_TEST_SUITE_P(Models, Neural, ::testing::Values("rmtpp", "thp"));

TEST(Thp, IntervalAfterEventUsesThatEventsStateNotTheNext) {
  auto d = two_sequences();
  auto model = tiny("thp", d.schema);
  auto changed = d;
  changed.sequences[0].events[2].type = 0;  // perturb event j+1 = 2: interval 2 (after event 1) must not move
  auto query = torch::full({1, 5, 2}, 0.1, torch::kFloat64);
  auto a = model->intensity(model->encode(make_batch(d, {0}, Context{})), query);
  auto b = model->intensity(model->encode(make_batch(changed, {0}, Context{})), query);
  EXPECT_TRUE(torch::equal(a.select(1, 2), b.select(1, 2)));
  EXPECT_FALSE(torch::allclose(a.select(1, 3), b.select(1, 3)));
}

TEST(Thp, StimuliConditionButAreNeverTargets) {
  auto d = two_sequences();
  d.schema.num_stimulus_types = 1;
  auto with_stimulus = d;
  with_stimulus.sequences[0].events.insert(with_stimulus.sequences[0].events.begin() + 1, Event{0.2, 0, true, {}, {}});
  auto model = tiny("thp", d.schema);
  nlohmann::json w = {{"type", 1.0}, {"time", 1.0}};
  auto a = model->auxiliary_loss(model->encode(make_batch(d, {0}, Context{})), w);
  auto b = model->auxiliary_loss(model->encode(make_batch(with_stimulus, {0}, Context{})), w);
  EXPECT_TRUE(std::isfinite(b.item<double>()));
  EXPECT_NE(a.item<double>(), b.item<double>());  // the stimulus changes the states after it
  // The stimulus is not in the likelihood's event term: LL stays finite and depends on it only through the state.
  auto ll = model->log_likelihood(make_batch(with_stimulus, {0}, Context{}), {IntegralOptions::Method::GaussLegendre, 16});
  EXPECT_TRUE(std::isfinite(ll.item<double>()));
}

TEST(Rmtpp, ExactCompensatorIsStableAsSlopeVanishes) {
  auto d = two_sequences();
  auto model = std::dynamic_pointer_cast<RmtppImpl>(tiny("rmtpp", d.schema));
  Batch b = make_batch(d, Context{});
  for (double w : {0.0, 1e-9, 1e-5, -1e-4, 1e-2}) {
    {
      torch::NoGradGuard g;
      model->slope().fill_(w);
    }
    auto exact = model->log_likelihood(b, {IntegralOptions::Method::Exact, 0});
    auto gl = model->log_likelihood(b, {IntegralOptions::Method::GaussLegendre, 32});
    EXPECT_TRUE(torch::allclose(exact, gl, 1e-12, 1e-12)) << "w = " << w;
  }
  gradient_check(*model, b, {IntegralOptions::Method::Exact, 0});  // at w = 1e-2
  {
    torch::NoGradGuard g;
    model->slope().fill_(0.0);
  }
  gradient_check(*model, b, {IntegralOptions::Method::Exact, 0});
}

TEST(Rmtpp, LstmCellWorks) {
  auto d = two_sequences();
  auto model = ModelRegistry::instance().create({{"model", "rmtpp"}, {"cell", "lstm"}, {"hidden", 4}, {"layers", 2}}, d.schema);
  Batch b = make_batch(d, Context{});
  auto exact = model->log_likelihood(b, {IntegralOptions::Method::Exact, 0});
  auto gl = model->log_likelihood(b, {IntegralOptions::Method::GaussLegendre, 32});
  EXPECT_TRUE(torch::allclose(exact, gl, 1e-10, 1e-10));
}

}  // namespace tpp
