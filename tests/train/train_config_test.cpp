// The "train" block through its field declaration: every key round-trips, defaults and the
// caller's seed apply, and bad or unknown keys name the key.
#include <gtest/gtest.h>

#include <set>

#include "tpp/core/error.h"
#include "tpp/train/trainer.h"

namespace tpp {
namespace {

TEST(TrainConfig, EveryKeyRoundTrips) {
  const nlohmann::json j = {{"optimizer", "lbfgs"},  {"lr", 0.05},          {"weight_decay", 0.01},
                            {"batch_size", 7},       {"bucket_window", 3},  {"epochs", 4},
                            {"clip", 0.0},           {"patience", 2},       {"integral", "gl"},
                            {"mc_points", 9},        {"eval_points", 11},   {"loss_weights", {{"ll", 0.5}, {"type", 1.0}, {"time", 2.0}}},
                            {"seed", 42},            {"max_iterations", 50}, {"tolerance", 1e-6},
                            {"iptw", {{"bins", "auto"}, {"refit_every", 3}, {"stabilized", false}, {"dims", 3}, {"truncate", 0.9}}}};
  std::set<std::string> declared;
  for (const auto& key : TrainConfig::fields().keys()) declared.insert(key);
  std::set<std::string> tested;
  for (const auto& item : j.items()) tested.insert(item.key());
  EXPECT_EQ(declared, tested);
  const TrainConfig c = TrainConfig::from_json(j);
  EXPECT_EQ(c.loss_type, 1.0);
  EXPECT_EQ(c.seed, 42u);
  EXPECT_EQ(c.to_json(), j);
  EXPECT_EQ(TrainConfig::from_json(c.to_json()).to_json(), j);
}

TEST(TrainConfig, DefaultsAndTheCallersSeed) {
  const TrainConfig c = TrainConfig::from_json(nullptr, 9);
  EXPECT_EQ(c.seed, 9u);
  EXPECT_EQ(c.batch_size, 32);
  EXPECT_EQ(TrainConfig::from_json({{"epochs", 2}}, 9).seed, 9u);
  EXPECT_EQ(TrainConfig::from_json({{"seed", 3}}, 9).seed, 3u);
  EXPECT_EQ(TrainConfig::from_json({{"loss_weights", {{"type", 1.0}}}}).loss_ll, 1.0);
}

TEST(TrainConfig, ErrorsNameTheKey) {
  auto error = [](const nlohmann::json& j) {
    try {
      TrainConfig::from_json(j);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error({{"lr", -1}}), "train: \"lr\" must be positive, got -1");
  EXPECT_EQ(error({{"epochs", "3"}}), "train: \"epochs\" must be an integer, got \"3\"");
  EXPECT_EQ(error({{"integral", "trapezoid"}}),
            "train: \"integral\" must be one of \"mc\", \"gl\", \"exact\", got \"trapezoid\"");
  EXPECT_EQ(error({{"loss_weights", {{"ll", 0}}}}), "train: all loss weights are zero");
  EXPECT_NE(error({{"optimiser", "adam"}}).find("unknown field \"optimiser\" (known: optimizer"), std::string::npos);
}

TEST(TrainConfig, TheIptwObject) {
  // Absent: refit_every 0, so training is unweighted.
  EXPECT_FALSE(TrainConfig::from_json(nullptr).iptw().enabled());
  const IptwConfig c = TrainConfig::from_json({{"seed", 4}, {"iptw", {{"bins", 25}, {"refit_every", 5}}}}).iptw();
  EXPECT_TRUE(c.enabled());
  EXPECT_EQ(c.bins, 25);
  EXPECT_FALSE(c.auto_bins);
  EXPECT_TRUE(c.stabilized);
  EXPECT_EQ(c.seed, 4u);  // the projection follows the training seed
  EXPECT_TRUE(TrainConfig::from_json({{"iptw", {{"bins", "auto"}}}}).iptw().auto_bins);
  auto error = [](const nlohmann::json& j) {
    try {
      TrainConfig::from_json(j);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error({{"iptw", {{"bins", 0}}}}),
            "train: \"iptw\": \"bins\" must be an integer in [1, 1000] or \"auto\", got 0");
  EXPECT_EQ(error({{"iptw", {{"truncate", 0}}}}), "train: \"iptw\": \"truncate\" must be in (0, 1], got 0");
  EXPECT_NE(error({{"iptw", {{"bin", 5}}}}).find("unknown field \"bin\""), std::string::npos);
}

}  // namespace
}  // namespace tpp
