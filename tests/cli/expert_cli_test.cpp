// ExPERT end to end through the CLI entry points: a generated e-commerce log with its users,
// schema and texts; every ablation variant trains, evaluates and plots; texts are featurised at
// training time and again, identically, at evaluation time.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "../test_support.h"
#include "cli_test_support.h"
#include "tpp/cli/evaluate.h"
#include "tpp/cli/generate.h"
#include "tpp/cli/model_data.h"
#include "tpp/cli/predict.h"
#include "tpp/cli/train.h"
#include "tpp/core/error.h"
#include "tpp/data/text_features.h"

namespace tpp {
namespace {

using testing::shop_log;

TEST(ExpertCli, EveryVariantTrainsEvaluatesAndPlotsFromGeneratedFiles) {
  testing::TempDir dir;
  const std::string train = shop_log(dir, "train", 1), test = shop_log(dir, "test", 2);
  // Companion files are found beside the log: users (features, windows) and schema (affects map).
  Dataset data = read_data_file(train);
  ASSERT_EQ(data.schema.user_feature_dim, 4);
  ASSERT_EQ(data.schema.num_stimulus_types, 8);
  ASSERT_FALSE(data.schema.affects[0].empty());
  for (const std::string variant : {"thp", "p_user", "ext", "ext_p_user", "ext_p_user_cm", "full"}) {
    TrainOptions t;
    t.common.quiet = true;
    t.train = train;
    t.dev = test;
    t.output = dir.file(variant + ".tpp");
    nlohmann::json config{{"model", "expert"}, {"variant", variant}, {"d_model", 8}, {"d_ff", 8}, {"heads", 2},
                          {"layers", 1}, {"future_window", variant == "full" ? 0.5 : 0.0},
                          {"train", {{"epochs", 1}, {"batch_size", 3}, {"seed", 1}}}};
    if (variant == "full") config["text_features"] = {{"dim", 16}};
    t.config = config.dump();
    ASSERT_EQ(run_train(t), 0) << variant;
    auto saved = load_model(t.output, Context{});
    EXPECT_EQ(saved.config.at("variant"), variant);
    EXPECT_EQ(saved.config.contains("text_features"), variant == "full");
    EXPECT_EQ(saved.schema.event_meta_dim, variant == "full" ? 16 : 0);
    EvaluateCommandOptions e;
    e.model = t.output;
    e.data = test;
    e.common.json = true;
    ASSERT_EQ(run_evaluate(e), 0) << variant;
  }
  // The same model's time and type metrics from its heads instead of its intensity; the likelihood
  // is the same.
  auto saved = load_model(dir.file("full.tpp"), Context{});
  EvaluateCommandOptions e;
  e.model = dir.file("full.tpp");
  e.common.json = true;
  std::ostringstream by_intensity, by_heads;
  evaluate_command(saved, read_data_file(test), e, by_intensity);
  e.predictor = "heads";
  evaluate_command(saved, read_data_file(test), e, by_heads);
  auto a = nlohmann::json::parse(by_intensity.str()), b = nlohmann::json::parse(by_heads.str());
  EXPECT_EQ(a.at("predictor"), "intensity");
  EXPECT_EQ(b.at("predictor"), "heads");
  EXPECT_DOUBLE_EQ(a.at("log_likelihood_per_event").get<double>(), b.at("log_likelihood_per_event").get<double>());
  EXPECT_NE(a.at("time_rmse").get<double>(), b.at("time_rmse").get<double>());
  PredictCommandOptions rows;
  rows.model = e.model;
  rows.predictor = "heads";
  std::ostringstream predicted;
  predict_command(saved, read_data_file(test), rows, predicted);
  EXPECT_NE(predicted.str().find("predicted_type"), std::string::npos);
  rows.user = read_data_file(test).sequences[0].user;  // the state route reads the intensity only
  try {
    predict_command(saved, read_data_file(test), rows, predicted);
    ADD_FAILURE() << "--predictor heads with --user must be refused";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("--predictor heads"), std::string::npos) << error.what();
  }
  PredictCommandOptions p;
  p.model = dir.file("full.tpp");
  p.data = test;
  p.plot = dir.file("full.svg");
  ASSERT_EQ(run_predict(p), 0);
  std::ifstream svg(p.plot);
  std::stringstream text;
  text << svg.rdbuf();
  EXPECT_NE(text.str().find("coupon:"), std::string::npos);
}

TEST(ExpertCli, TextsAreFeaturisedTheSameWayAtEvaluation) {
  testing::TempDir dir;
  Dataset train = read_data_file(shop_log(dir, "train", 1));
  Dataset test = read_data_file(shop_log(dir, "test", 2));
  const auto state = featurize_texts({{"dim", 32}}, train);
  EXPECT_EQ(train.schema.event_meta_dim, 32);
  const TextFeaturizer fitted = TextFeaturizer::from_json(state);
  ASSERT_TRUE(fitted.fitted());
  const Event& first = train.sequences[0].events[0];
  ASSERT_FALSE(first.text.empty());
  EXPECT_EQ(first.meta, fitted.transform(first.text));
  // Applying the saved state to new data refits nothing: the IDF stays train's.
  Dataset again = test;
  featurize_texts(state, again);
  EXPECT_EQ(again.sequences[0].events[0].meta, fitted.transform(test.sequences[0].events[0].text));
  EXPECT_EQ(TextFeaturizer::from_json(featurize_texts(state, test)).idf(), fitted.idf());
  // Data that already has metadata vectors is refused rather than silently overwritten.
  EXPECT_THROW(featurize_texts({{"dim", 8}}, train), Error);
}

}  // namespace
}  // namespace tpp
