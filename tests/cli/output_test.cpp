// What the verbs print beside their files: predict --user in words and as JSON, predict -o's
// report, and train's parameter table after an L-BFGS fit.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "cli_test_support.h"
#include "tpp/cli/predict.h"
#include "tpp/cli/train.h"
#include "tpp/core/error.h"
#include "tpp/data/io.h"
#include "tpp/models/registry.h"

namespace tpp {

namespace {

using testing::saved_poisson;

Dataset two_users() {
  auto d = testing::make_dataset(2, {{{0.1, 1}, {0.3, 0}, {0.9, 0}}, {{0.2, 0}}}, {0.9, 1.0});
  d.schema.action_names = {"b", "a"};  // "b" is id 0 in the file, 1 in the model: aligned by name
  return d;
}

}  // namespace

TEST(PredictUser, InWordsAndAsJsonInFileUnits) {
  testing::TempDir dir;
  const SavedModel saved = saved_poisson(dir);
  PredictCommandOptions o;
  o.user = "u0";
  o.top_k = 2;
  std::ostringstream words;
  predict_command(saved, two_users(), o, words);
  EXPECT_NE(words.str().find("user u0: 3 actions observed; the last, of type b, at time 0.9"), std::string::npos)
      << words.str();
  EXPECT_NE(words.str().find("most likely type: b (75%), then a (25%)"), std::string::npos) << words.str();
  o.common.json = true;
  std::ostringstream json;
  predict_command(saved, two_users(), o, json);
  const auto row = nlohmann::json::parse(json.str());
  EXPECT_NEAR(row.at("predicted_time").get<double>(), 0.9 + 1.0 / 8, 1e-9);
  EXPECT_NEAR(row.at("median_time").get<double>(), 0.9 + std::log(2.0) / 8, 1e-9);
  EXPECT_EQ(row.at("top_k")[0].at("type"), "b");
  o.user = "nobody";
  EXPECT_THROW(predict_command(saved, two_users(), o, json), Error);
}

TEST(PredictUser, OutputFileIsReportedAsJson) {
  testing::TempDir dir;
  saved_poisson(dir);
  write_dataset(two_users(), dir.file("d.jsonl"));
  PredictCommandOptions o;
  o.model = dir.file("m.tpp");
  o.data = dir.file("d.jsonl");
  o.output = dir.file("p.jsonl");
  o.common.json = true;
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(run_predict(o), 0);
  const auto said = nlohmann::json::parse(::testing::internal::GetCapturedStdout());
  EXPECT_EQ(said.at("output"), o.output);
  EXPECT_EQ(said.at("content"), "prediction");
  std::size_t rows = 0;
  std::ifstream written(o.output);
  for (std::string line; std::getline(written, line);) rows += !line.empty();
  EXPECT_GT(rows, 0u);
  EXPECT_EQ(said.at("rows"), rows);
}

TEST(TrainParameters, LbfgsPoissonReportsRatesWithStandardErrors) {
  // In the data's own ids: "b" has 3 events, "a" 1, over windows of 1.9 and 2.0.
  TrainOptions o;
  o.config = R"({"model":"poisson","train":{"optimizer":"lbfgs"}})";
  o.time_scale = "none";
  o.common.json = true;
  testing::TempDir dir;
  o.output = dir.file("p.tpp");
  Dataset data = two_users();
  for (auto& s : data.sequences) s.t_start = -1.0;  // no event at a window start: all four are scored
  std::ostringstream out, err;
  ASSERT_EQ(train_datasets(o, data, std::nullopt, out, err), 0);
  std::string last, line;
  std::istringstream lines(out.str());
  while (std::getline(lines, line)) last = line;
  const auto parameters = nlohmann::json::parse(last).at("parameters");
  ASSERT_EQ(parameters.size(), 2u);
  const double exposure = 1.9 + 2.0;
  EXPECT_EQ(parameters[0].at("name"), "rate[b]");
  EXPECT_NEAR(parameters[0].at("value").get<double>(), 3 / exposure, 1e-6);
  EXPECT_NEAR(parameters[0].at("standard_error").get<double>(), std::sqrt(3.0) / exposure, 1e-5);
  EXPECT_EQ(parameters[1].at("name"), "rate[a]");
  EXPECT_NEAR(parameters[1].at("value").get<double>(), 1 / exposure, 1e-6);
  EXPECT_NEAR(parameters[1].at("standard_error").get<double>(), 1 / exposure, 1e-5);
}

}  // namespace tpp
