// The intensity-free models from the CLI verbs: simulate from a config, train, evaluate, predict
// and simulate from the saved model, end to end on files.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "cli_test_support.h"
#include "tpp/cli/evaluate.h"
#include "tpp/cli/predict.h"
#include "tpp/cli/simulate.h"
#include "tpp/cli/train.h"

namespace tpp {
namespace {

// One JSON value per line of a JSONL file.
std::vector<nlohmann::json> read_lines(const std::string& path) { return testing::json_lines(testing::slurp(path)); }

struct CliCase {
  std::string label;
  std::string config;
  friend void PrintTo(const CliCase& c, std::ostream* os) { *os << c.label; }
};

class IntensityFreeCli : public ::testing::TestWithParam<CliCase> {};

TEST_P(IntensityFreeCli, SimulatesTrainsEvaluatesPredictsAndSamples) {
  testing::TempDir dir;
  SimulateCommandOptions s;
  s.config = R"({"model":"burr","hidden":4,"embed_dim":2,"defective":false})";
  s.num_types = 2;
  s.num_sequences = 12;
  s.horizon = 15;
  s.common.seed = 3;
  s.common.quiet = true;
  s.output = dir.file("train.jsonl");
  ASSERT_EQ(run_simulate(s), 0);
  ASSERT_GT(read_lines(s.output).size(), 30u);

  TrainOptions t;
  t.config = GetParam().config;
  t.train = s.output;
  t.output = dir.file("m.tpp");
  t.common.quiet = true;
  ASSERT_EQ(run_train(t), 0);

  EvaluateCommandOptions e;
  e.model = t.output;
  e.data = s.output;
  e.common.json = true;
  ::testing::internal::CaptureStdout();
  const int rc = run_evaluate(e);
  auto j = nlohmann::json::parse(::testing::internal::GetCapturedStdout());
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(j.at("num_unconverged").get<int>(), 0);
  EXPECT_TRUE(std::isfinite(j.at("log_likelihood_per_event").get<double>()));
  EXPECT_TRUE(std::isfinite(j.at("time_mae").get<double>()));

  PredictCommandOptions p;
  p.model = t.output;
  p.data = s.output;
  p.output = dir.file("preds.jsonl");
  p.common.quiet = true;
  ASSERT_EQ(run_predict(p), 0);
  const auto rows = read_lines(p.output);
  ASSERT_FALSE(rows.empty());
  for (const auto& row : rows) {
    EXPECT_TRUE(row.at("converged").get<bool>());
    EXPECT_GT(row.at("median_time").get<double>(), 0.0);
  }

  SimulateCommandOptions again;
  again.model_file = t.output;
  again.num_sequences = 3;
  again.horizon = 10;
  again.common.seed = 4;
  again.common.quiet = true;
  again.output = dir.file("sampled.jsonl");
  ASSERT_EQ(run_simulate(again), 0);
  for (const auto& row : read_lines(again.output)) EXPECT_LE(row.at("time").get<double>(), 10.0);
}

INSTANTIATE_TEST_SUITE_P(
    Models, IntensityFreeCli,
    ::testing::Values(CliCase{"lognormmix", R"({"model":"lognormmix","hidden":4,"embed_dim":2,"components":2,)"
                                            R"("train":{"epochs":2,"integral":"exact","batch_size":4}})"},
                      CliCase{"burr_defective", R"({"model":"burr","hidden":4,"embed_dim":2,"defective":true,)"
                                                R"("train":{"epochs":2,"integral":"exact","batch_size":4}})"}),
    [](const ::testing::TestParamInfo<CliCase>& info) { return info.param.label; });

}  // namespace
}  // namespace tpp
