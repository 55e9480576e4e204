// RMTPP and THP specifics: THP's interval state, stimuli in THP, RMTPP's exact compensator. The
// checks every neural model passes (brute force, gradients, padding, causality, bounds) run in
// neural_test.cpp.
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
  auto a = model->auxiliary_loss(model->encode(make_batch(d, {0}, Context{})), w).sum();
  auto b = model->auxiliary_loss(model->encode(make_batch(with_stimulus, {0}, Context{})), w).sum();
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
