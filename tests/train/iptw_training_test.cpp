// IPTW in training: one bin or no refit is the unweighted model bit for bit, refitted weights do
// change the fit, a resume keeps the weights of the last refit, the weighted objective's gradient
// matches finite differences, and a training user without a category is refused.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "../test_support.h"
#include "tpp/core/error.h"
#include "tpp/core/rng.h"
#include "tpp/models/registry.h"
#include "tpp/train/iptw.h"
#include "tpp/train/objective.h"
#include "tpp/train/trainer.h"

namespace tpp {
namespace {

// Two categories that confound the history: category 1 users act fast and mostly in type 1,
// category 0 users slowly and mostly in type 0.
Dataset categorised(std::size_t users, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::vector<std::pair<double, int>>> seqs;
  std::vector<double> ends;
  for (std::size_t u = 0; u < users; ++u) {
    const int c = static_cast<int>(u % 2);
    std::vector<std::pair<double, int>> events;
    double t = 0;
    for (int i = 0; i < 10; ++i) {
      t += rng.exponential(c == 1 ? 3.0 : 0.6);
      events.push_back({t, rng.uniform() < 0.8 ? c : 1 - c});
    }
    seqs.push_back(events);
    ends.push_back(t + 0.2);
  }
  Dataset d = testing::make_dataset(2, seqs, ends);
  d.schema.category_names = {"slow", "fast"};
  for (std::size_t u = 0; u < users; ++u) d.sequences[u].category = static_cast<int>(u % 2);
  return d;
}

ModelPtr make(const nlohmann::json& cfg, const Schema& schema) {
  torch::manual_seed(11);
  return ModelRegistry::instance().create(cfg, schema);
}

nlohmann::json tiny_nhp() { return {{"model", "nhp"}, {"hidden_size", 4}}; }

TrainConfig config_with(const nlohmann::json& iptw, int epochs = 3) {
  nlohmann::json j = {{"lr", 0.01}, {"batch_size", 4}, {"epochs", epochs}, {"patience", 0}, {"seed", 5}};
  if (!iptw.is_null()) j["iptw"] = iptw;
  return TrainConfig::from_json(j);
}

struct Fitted {
  ModelPtr model;
  TrainResult result;
};

Fitted train(const Dataset& data, const TrainConfig& config, TrainerOptions options = {}) {
  Fitted f{make(tiny_nhp(), data.schema), {}};
  Trainer trainer(f.model, config, Context{}, options);
  f.result = trainer.fit(data);
  return f;
}

bool same_parameters(Model& a, Model& b) {
  auto pa = a.parameters(), pb = b.parameters();
  for (std::size_t i = 0; i < pa.size(); ++i)
    if (!torch::equal(pa[i], pb[i])) return false;
  return true;
}

TEST(IptwTraining, OneBinOrNoRefitIsTheUnweightedModelExactly) {
  const Dataset data = categorised(16, 1);
  const Fitted plain = train(data, config_with(nullptr));
  // 1/δ = 1: every f̂ is 1, so the weights refitted after every epoch are all exactly 1.
  const Fitted one_bin = train(data, config_with({{"bins", 1}, {"refit_every", 1}}));
  // η = ∞ (refit_every 0): the weights keep their initial value 1.
  const Fitted never = train(data, config_with({{"bins", 10}, {"refit_every", 0}}));
  EXPECT_TRUE(same_parameters(*plain.model, *one_bin.model));
  EXPECT_TRUE(same_parameters(*plain.model, *never.model));
  for (std::size_t e = 0; e < plain.result.history.size(); ++e)
    EXPECT_EQ(plain.result.history[e].loss, one_bin.result.history[e].loss) << "epoch " << e + 1;
  // The refits happened (after epochs 1 and 2, none after the last) and found nothing to weigh.
  const auto& refit = one_bin.result.history[0].iptw;
  ASSERT_FALSE(refit.is_null());
  EXPECT_EQ(refit["min"].get<double>(), 1.0);
  EXPECT_EQ(refit["max"].get<double>(), 1.0);
  EXPECT_EQ(refit["ess"].get<double>(), refit["count"].get<double>());
  EXPECT_FALSE(one_bin.result.history[1].iptw.is_null());
  EXPECT_TRUE(one_bin.result.history[2].iptw.is_null());
  EXPECT_TRUE(never.result.history[0].iptw.is_null());

  // With bins the weights differ from 1 and so does the fit: the equivalence above is not vacuous.
  const Fitted weighted = train(data, config_with({{"bins", 5}, {"refit_every", 1}, {"stabilized", false}}));
  EXPECT_GT(weighted.result.history[0].iptw["max"].get<double>(), 1.0);
  EXPECT_FALSE(same_parameters(*plain.model, *weighted.model));
}

TEST(IptwTraining, ResumeKeepsTheWeightsOfTheLastRefit) {
  const Dataset data = categorised(12, 2);
  const TrainConfig config = config_with({{"bins", 4}, {"refit_every", 2}}, 4);
  const Fitted whole = train(data, config);
  testing::TempDir dir;
  TrainerOptions first;
  first.checkpoint = dir.file("m.ckpt");
  first.stop_after_epochs = 3;  // after the refit at epoch 2: epoch 4 needs its weights
  const Fitted killed = train(data, config, first);
  ASSERT_FALSE(killed.result.finished);
  TrainerOptions again = first;
  again.resume = true;
  again.stop_after_epochs = 0;
  const Fitted resumed = train(data, config, again);
  EXPECT_TRUE(resumed.result.finished);
  EXPECT_TRUE(same_parameters(*whole.model, *resumed.model));
}

TEST(IptwTraining, WeightedObjectiveGradientMatchesFiniteDifferences) {
  const Dataset data = categorised(6, 3);
  ModelPtr model = make({{"model", "rmtpp"}, {"embed_dim", 3}, {"hidden", 4}}, data.schema);
  model->to(torch::kCPU, torch::kFloat64);
  IptwConfig iptw;
  iptw.bins = 4;
  iptw.refit_every = 1;
  iptw.stabilized = false;
  const IptwWeights weights = fit_iptw_weights(*model, data, iptw, Context{});
  ASSERT_GT(weights.summary.max, weights.summary.min);  // the weights are not constant
  Batch batch = make_batch(data, Context{});
  batch.weight = batch_weights(batch, weights.weight);
  // Seeded Monte Carlo nodes are a fixed function of the sequence, so the objective is smooth in θ.
  IntegralOptions integral;
  integral.method = IntegralOptions::Method::MonteCarlo;
  integral.points = 8;
  integral.seed = 17;
  model->train();
  auto loss = [&] { return training_objective(*model, batch, integral, LossWeights{}).loss; };

  auto params = model->parameters();
  for (auto& p : params) p.mutable_grad() = torch::Tensor();
  loss().backward();
  // Central differences in float64: truncation ~h²·|L'''| and rounding ~ε|L|/h, both far below
  // 1e-6 for |L| ~ 100 and h = 1e-5, while a wrongly weighted term moves gradients by O(0.1).
  const double h = 1e-5;
  int checked = 0;
  for (auto& p : params) {
    auto flat = p.view(-1);
    const torch::Tensor grad = p.grad().view(-1);
    for (int64_t i = 0; i < std::min<int64_t>(flat.numel(), 3); ++i) {
      double up, down;
      {
        torch::NoGradGuard guard;
        flat[i] += h;
        up = loss().item<double>();
        flat[i] -= 2 * h;
        down = loss().item<double>();
        flat[i] += h;
      }
      const double numeric = (up - down) / (2 * h), analytic = grad[i].item<double>();
      EXPECT_NEAR(analytic, numeric, 1e-6 * (1 + std::abs(numeric))) << "parameter entry " << i;
      ++checked;
    }
  }
  EXPECT_GT(checked, 10);
  // The weights enter the gradient: unweighted, it is different.
  Batch unweighted = make_batch(data, Context{});
  for (auto& p : params) p.mutable_grad() = torch::Tensor();
  training_objective(*model, unweighted, integral, LossWeights{}).loss.backward();
  EXPECT_FALSE(torch::allclose(params[0].grad(), params[0].grad().clone().zero_()));
  const torch::Tensor g_unweighted = params[0].grad().clone();
  for (auto& p : params) p.mutable_grad() = torch::Tensor();
  loss().backward();
  EXPECT_FALSE(torch::allclose(params[0].grad(), g_unweighted, 1e-3, 1e-6));
}

TEST(IptwTraining, WeightsForEveryModelWithAnEmbedding) {
  // The estimator only needs Model::embedding: NHP's and RMTPP's recurrent states, THP's attention
  // states (wider than q, so projected) and Hawkes's excitation.
  const Dataset data = categorised(10, 5);
  for (const nlohmann::json& cfg :
       {tiny_nhp(), nlohmann::json{{"model", "rmtpp"}, {"embed_dim", 3}, {"hidden", 4}},
        nlohmann::json{{"model", "thp"}, {"d_model", 8}, {"d_ff", 8}, {"heads", 2}, {"layers", 1}},
        nlohmann::json{{"model", "hawkes"}}}) {
    ModelPtr model = make(cfg, data.schema);
    for (bool stabilized : {false, true}) {
      IptwConfig iptw;
      iptw.bins = 3;
      iptw.refit_every = 1;
      iptw.dims = 2;
      iptw.stabilized = stabilized;
      const IptwWeights w = fit_iptw_weights(*model, data, iptw, Context{});
      double sum = 0;
      for (std::size_t k = 0; k < w.weight.size(); ++k) {
        ASSERT_EQ(w.weight[k].size(), data.sequences[k].events.size() + 1);
        for (std::size_t j = 0; j < w.weight[k].size(); ++j) {
          EXPECT_TRUE(std::isfinite(w.weight[k][j]) && w.weight[k][j] > 0) << cfg["model"];
          if (j < data.sequences[k].events.size()) sum += w.weight[k][j];
        }
      }
      // Scaled to mean 1 over the actions' intervals; ESS at most their number.
      EXPECT_NEAR(sum / static_cast<double>(data.num_actions()), 1.0, 1e-12) << cfg["model"];
      EXPECT_LE(w.summary.ess, static_cast<double>(w.summary.count) * (1 + 1e-12)) << cfg["model"];
      EXPECT_GT(w.table_entries, 0u);
    }
  }
}

TEST(IptwTraining, ATrainingUserWithoutACategoryIsRefused) {
  Dataset data = categorised(8, 4);
  data.sequences[5].category = -1;
  try {
    train(data, config_with({{"bins", 4}, {"refit_every", 1}}));
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'u5' has no category"), std::string::npos) << e.what();
  }
  // Without IPTW categories are not needed.
  EXPECT_NO_THROW(train(data, config_with(nullptr, 1)));
}

}  // namespace
}  // namespace tpp
