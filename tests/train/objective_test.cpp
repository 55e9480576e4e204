// Per-event likelihood terms and the one-encode training objective: exact compensators are exact
// per interval, per-interval weights mean what IPTW needs, seeded Monte Carlo nodes belong to their
// sequence, and a training step encodes its batch once.
#include "tpp/train/objective.h"

#include <gtest/gtest.h>

#include "../test_support.h"
#include "tpp/models/registry.h"
#include "tpp/train/trainer.h"

namespace tpp {

namespace {

using Method = IntegralOptions::Method;

Dataset three_sequences() {
  return testing::make_dataset(2,
                               {{{0.4, 0}, {0.9, 1}, {1.7, 0}, {2.0, 0}, {3.1, 1}},
                                {{0.2, 1}, {1.5, 1}},
                                {{0.3, 0}, {0.6, 0}, {0.8, 1}, {2.5, 0}}},
                               {3.5, 2.0, 4.0});
}

ModelPtr make(const nlohmann::json& cfg, const Schema& schema) {
  torch::manual_seed(3);
  return ModelRegistry::instance().create(cfg, schema);
}

nlohmann::json tiny_thp(double dropout) {
  return {{"model", "thp"}, {"d_model", 8}, {"d_ff", 8}, {"heads", 2}, {"layers", 1}, {"dropout", dropout}};
}

const std::vector<nlohmann::json>& closed_form_models() {
  static const std::vector<nlohmann::json> models = {
      {{"model", "poisson"}, {"rate", {0.7, 0.4}}},
      {{"model", "hawkes"}, {"mu", {0.3, 0.2}}, {"alpha", {{0.4, 0.1}, {0.2, 0.5}}}, {"beta", 1.3}},
      {{"model", "self_correcting"}, {"mu", {0.5, 0.3}}, {"alpha", {{0.2, 0.1}, {0.1, 0.3}}}},
      {{"model", "rmtpp"}, {"embed_dim", 3}, {"hidden", 4}}};
  return models;
}

}  // namespace

TEST(LikelihoodTerms, ExactCompensatorIsExactOnEveryInterval) {
  Dataset d = three_sequences();
  Batch batch = make_batch(d, Context{});
  for (const auto& cfg : closed_form_models()) {
    SCOPED_TRACE(cfg.dump());
    auto model = make(cfg, d.schema);
    torch::NoGradGuard no_grad;
    History h = model->encode(batch);
    auto exact = model->likelihood_terms(h, {Method::Exact, 0});
    auto gauss = model->likelihood_terms(h, {Method::GaussLegendre, 64});
    ASSERT_EQ(exact.compensator.sizes(), batch.span.sizes());
    ASSERT_EQ(exact.log_intensity.sizes(), batch.dtime.sizes());
    EXPECT_TRUE(torch::allclose(exact.compensator, gauss.compensator, 0, 1e-10));
    EXPECT_TRUE(torch::allclose(exact.log_intensity, gauss.log_intensity, 0, 1e-12));
    EXPECT_TRUE(torch::allclose(exact.log_likelihood(), model->log_likelihood(batch, {Method::Exact, 0}), 0, 1e-12));
  }
}

// Weight 1 on intervals 0..j and 0 after is the likelihood of the sequence observed up to its
// event j: the weights act per interval, with the event that closes it.
TEST(LikelihoodTerms, IntervalWeightsCutASequenceAtAnEvent) {
  Dataset d = three_sequences();
  for (const auto& cfg : closed_form_models()) {
    SCOPED_TRACE(cfg.dump());
    auto model = make(cfg, d.schema);
    torch::NoGradGuard no_grad;
    for (std::size_t j = 0; j < d.sequences[0].events.size(); ++j) {
      Batch batch = make_batch(d, {0}, Context{});
      batch.weight.narrow(1, j + 1, batch.weight.size(1) - j - 1).zero_();
      const double weighted = model->likelihood_terms(model->encode(batch), {Method::Exact, 0}).weighted_sum(batch.weight).item<double>();
      Dataset prefix = d;
      prefix.sequences = {d.sequences[0]};
      prefix.sequences[0].events.resize(j + 1);
      prefix.sequences[0].t_end = prefix.sequences[0].events.back().time;
      const double cut = model->log_likelihood(make_batch(prefix, Context{}), {Method::Exact, 0}).item<double>();
      EXPECT_NEAR(weighted, cut, 1e-12) << "event " << j;
      EXPECT_DOUBLE_EQ(weighted_action_count(batch).item<double>(), static_cast<double>(j + 1));
    }
  }
}

TEST(LikelihoodTerms, SequenceWeightScalesItsLikelihood) {
  Dataset d = three_sequences();
  auto model = make(closed_form_models()[1], d.schema);
  torch::NoGradGuard no_grad;
  Batch batch = make_batch(d, Context{});
  auto ll = model->log_likelihood(batch, {Method::Exact, 0});
  batch.weight[1].mul_(2.5);
  auto terms = model->likelihood_terms(model->encode(batch), {Method::Exact, 0});
  const double expected = ll[0].item<double>() + 2.5 * ll[1].item<double>() + ll[2].item<double>();
  EXPECT_NEAR(terms.weighted_sum(batch.weight).item<double>(), expected, 1e-12);
  EXPECT_DOUBLE_EQ(weighted_action_count(batch).item<double>(), 5 + 2.5 * 2 + 4);
}

TEST(LikelihoodTerms, SeededMonteCarloNodesBelongToTheirSequence) {
  Dataset d = three_sequences();
  auto model = make(tiny_thp(0.0), d.schema);
  model->eval();
  torch::NoGradGuard no_grad;
  IntegralOptions mc{Method::MonteCarlo, 5};
  mc.seed = 42;
  auto compensator = [&](const std::vector<std::size_t>& indices) {
    Batch batch = make_batch(d, indices, Context{});
    return model->likelihood_terms(model->encode(batch), mc).compensator;
  };
  auto all = compensator({0, 1, 2});
  auto reordered = compensator({2, 0});
  auto alone = compensator({0});
  const int64_t n0 = 6;  // 5 events, 6 intervals
  EXPECT_TRUE(torch::allclose(all[0].narrow(0, 0, n0), alone[0], 0, 1e-12));
  EXPECT_TRUE(torch::allclose(reordered[1].narrow(0, 0, n0), alone[0], 0, 1e-12));
  EXPECT_TRUE(torch::allclose(reordered[0], all[2], 0, 1e-12));
  mc.seed = 43;
  EXPECT_FALSE(torch::allclose(compensator({0}), alone, 0, 1e-6));
}

TEST(Objective, IsMinusLikelihoodPlusAuxiliaryFromOneHistory) {
  Dataset d = three_sequences();
  auto model = make(tiny_thp(0.0), d.schema);
  Batch batch = make_batch(d, Context{});
  const LossWeights w{0.5, 1.0, 0.3};
  const IntegralOptions gl{Method::GaussLegendre, 16};
  auto value = training_objective(*model, batch, gl, w);
  History h = model->encode(batch);
  const double expected = -0.5 * model->likelihood_terms(h, gl).log_likelihood().sum().item<double>() +
                          model->auxiliary_loss(h, w.to_json()).sum().item<double>();
  EXPECT_NEAR(value.loss.item<double>(), expected, 1e-12);
}

namespace {

// Forwards to a model and counts encode() calls.
class CountingModel : public Model {
 public:
  explicit CountingModel(ModelPtr inner) : inner_(register_module("inner", inner)) {}
  std::string name() const override { return inner_->name(); }
  nlohmann::json config() const override { return inner_->config(); }
  int num_types() const override { return inner_->num_types(); }
  History encode(const Batch& batch) override {
    ++encodes;
    return inner_->encode(batch);
  }
  torch::Tensor intensity(const History& h, const torch::Tensor& elapsed) override { return inner_->intensity(h, elapsed); }
  torch::Tensor intensity_upper_bound(const History& h, const torch::Tensor& window) override {
    return inner_->intensity_upper_bound(h, window);
  }
  LikelihoodTerms likelihood_terms(const History& h, const IntegralOptions& options) override {
    return inner_->likelihood_terms(h, options);
  }
  torch::Tensor auxiliary_loss(const History& h, const nlohmann::json& weights) override {
    return inner_->auxiliary_loss(h, weights);
  }
  int encodes{0};

 private:
  ModelPtr inner_;
};

}  // namespace

TEST(Objective, TrainingEncodesEachBatchOnce) {
  Dataset d = three_sequences();
  auto counting = std::make_shared<CountingModel>(make(tiny_thp(0.1), d.schema));
  auto config = TrainConfig::from_json(
      {{"epochs", 2}, {"batch_size", 2}, {"patience", 0}, {"loss_weights", {{"ll", 1}, {"type", 1}, {"time", 1}}}});
  Trainer(counting, config, Context{}).fit(d);
  EXPECT_EQ(counting->encodes, 2 * 2);  // 2 epochs of 2 batches, likelihood and heads from one encode
}

}  // namespace tpp
