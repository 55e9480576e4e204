// Fitting a model through the library alone (train/fit.h): config splitting, training on
// prepared data, the saved file and the returned model agreeing.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "../test_support.h"
#include "tpp/core/error.h"
#include "tpp/train/fit.h"

namespace tpp {
namespace {

Dataset gaps(std::size_t n) {
  std::vector<std::vector<std::pair<double, int>>> seqs;
  std::vector<double> ends;
  for (std::size_t s = 0; s < n; ++s) {
    std::vector<std::pair<double, int>> ev;
    for (int i = 1; i <= 6; ++i) ev.push_back({0.5 * i + 0.1 * static_cast<double>(s % 3), (i + static_cast<int>(s)) % 2});
    seqs.push_back(ev);
    ends.push_back(4.0);
  }
  return testing::make_dataset(2, seqs, ends);
}

nlohmann::json small_rmtpp() {
  return {{"model", "rmtpp"}, {"hidden", 4}, {"embed_dim", 2},
          {"train", {{"epochs", 2}, {"batch_size", 4}, {"lr", 0.01}, {"seed", 3}}}};
}

TEST(FitModel, ConfigSplitsIntoModelAndTrainingKeys) {
  const FitConfig config = FitConfig::from_json(small_rmtpp());
  EXPECT_FALSE(config.model.contains("train"));
  EXPECT_EQ(config.model.at("model"), "rmtpp");
  EXPECT_EQ(config.train.epochs, 2);
  EXPECT_EQ(config.train.seed, 3u);
  EXPECT_TRUE(config.text_features.is_null());
  EXPECT_EQ(FitConfig::from_json({{"model", "rmtpp"}}, 42).train.seed, 42u);  // the default seed
  try {
    FitConfig::from_json(nlohmann::json::array(), 1, "cfg.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cfg.json"), std::string::npos);
  }
  EXPECT_THROW(FitConfig::from_json({{"model", "rmtpp"}, {"train", {{"epoch", 2}}}}), Error);
}

TEST(FitModel, TrainsSavesAndReturnsTheSavedModel) {
  testing::TempDir dir;
  const FitConfig config = FitConfig::from_json(small_rmtpp());
  const TrainingData data = prepare_training_data(gaps(8), gaps(4));
  FitOptions options;
  options.output = dir.file("m.tpp");
  std::ostringstream log;
  options.json_log = &log;
  const FitResult fit = fit_model(config, data, options);
  EXPECT_EQ(fit.training.history.size(), 2u);
  EXPECT_TRUE(std::isfinite(fit.training.best_dev_ll_per_event));
  EXPECT_NE(log.str().find("\"epoch\""), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(options.output + ".ckpt"));
  EXPECT_DOUBLE_EQ(fit.model.time_scale.scale, data.train.time_scale.scale);
  EXPECT_EQ(fit.model.config.at("model"), "rmtpp");

  const SavedModel loaded = load_model(options.output, Context{});
  EXPECT_EQ(loaded.config, fit.model.config);
  EXPECT_DOUBLE_EQ(loaded.time_scale.scale, fit.model.time_scale.scale);
  auto a = fit.model.model->parameters(), b = loaded.model->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i]));

  // The same seed fits the same parameters; nothing is written without an output.
  const FitResult again = fit_model(config, data, FitOptions{});
  auto c = again.model.model->parameters();
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], c[i]));
}

TEST(FitModel, TextFeaturesInTheConfigNeedFeaturisedData) {
  nlohmann::json json = small_rmtpp();
  json["text_features"] = {{"dim", 4}};
  const FitConfig config = FitConfig::from_json(json);
  EXPECT_EQ(config.text_features, json["text_features"]);
  try {
    fit_model(config, prepare_training_data(gaps(4), std::nullopt));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("prepared without them"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tpp
