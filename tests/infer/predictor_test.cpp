// A saved model applied through the library alone (infer/predictor.h): predictions, curves,
// metrics and plots in the data file's names and units, and training-to-prediction without the CLI.
#include <gtest/gtest.h>

#include <cmath>

#include "../test_support.h"
#include "tpp/core/error.h"
#include "tpp/data/io.h"
#include "tpp/data/prepare.h"
#include "tpp/infer/predictor.h"
#include "tpp/train/fit.h"

namespace tpp {
namespace {

// Poisson rates 1 and 3 per model unit over types {"a", "b"}; a file unit is two model units.
Predictor poisson_predictor(const testing::TempDir& dir) {
  Schema schema;
  schema.num_action_types = 2;
  schema.action_names = {"a", "b"};
  auto model = ModelRegistry::instance().create({{"model", "poisson"}, {"rate", {1.0, 3.0}}}, schema);
  save_model(dir.file("m.tpp"), model, schema, TimeScale{0.0, 2.0});
  return Predictor::load(dir.file("m.tpp"), Context{});
}

// The file names the types the other way round ("b" is its id 0).
Dataset file_data() {
  auto d = testing::make_dataset(2, {{{0.1, 1}, {0.3, 0}, {0.9, 0}}, {{0.2, 0}}}, {1.0, 1.0});
  d.schema.action_names = {"b", "a"};
  return d;
}

TEST(Predictor, PredictionsAreInFileTimesAndTypeNames) {
  testing::TempDir dir;
  const Predictor predictor = poisson_predictor(dir);
  EventPredictionOptions options;
  options.top_k = 2;
  const auto rows = predictor.predict(file_data(), options);
  ASSERT_EQ(rows.size(), 4u);
  // Total rate 8 per file unit: E[τ] = 1/8, median ln 2 / 8; "b" carries 3/4 of the mass.
  EXPECT_EQ(rows[1].user, "u0");
  EXPECT_EQ(rows[1].index, 1u);
  EXPECT_EQ(rows[1].type, "b");
  EXPECT_NEAR(rows[1].predicted_time, 0.1 + 0.125, 1e-9);
  EXPECT_NEAR(rows[1].median_time, 0.1 + std::log(2.0) / 8, 1e-9);
  EXPECT_EQ(rows[1].predicted_type, "b");
  ASSERT_EQ(rows[1].top_k.size(), 2u);
  EXPECT_EQ(rows[1].top_k[1].type, "a");
  EXPECT_NEAR(rows[1].top_k[1].probability, 0.25, 1e-9);
  EXPECT_TRUE(rows[1].converged);
  const auto json = rows[1].to_json();
  EXPECT_EQ(json.at("predicted_type"), "b");
  EXPECT_EQ(json.at("top_k")[0].at("type"), "b");

  options.target_fraction = 0.5;
  EXPECT_EQ(predictor.predict(file_data(), options).size(), 3u);
  options.top_k = 0;
  EXPECT_THROW(predictor.predict(file_data(), options), Error);
}

TEST(Predictor, EvaluationCurvesAndPlotsUseFileUnits) {
  testing::TempDir dir;
  const Predictor predictor = poisson_predictor(dir);
  EvaluationOptions eo;
  eo.top_k = 1;
  const Metrics m = predictor.evaluate(file_data(), eo);
  EXPECT_EQ(m.num_targets, 4u);
  const double median = 0.125 * std::log(2.0);  // the predictive median in file units
  const double mae =
      (std::fabs(median - 0.1) + std::fabs(median - 0.2) + std::fabs(median - 0.6) + std::fabs(median - 0.2)) / 4;
  EXPECT_NEAR(m.time_mae(), mae, 1e-9);
  EXPECT_NEAR(m.type_accuracy(), 0.75, 1e-15);

  IntensityCurveOptions co;
  co.points = 5;
  std::vector<SequenceIntensity> curves;
  predictor.intensity_curves(file_data(), co, [&](const SequenceIntensity& c) { curves.push_back(c); });
  ASSERT_EQ(curves.size(), 2u);
  ASSERT_EQ(curves[0].types, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(curves[0].time.size(), 5u + 2 * 3);
  EXPECT_NEAR(curves[0].time.back(), 1.0, 1e-12);
  for (double v : curves[0].intensity[1]) EXPECT_NEAR(v, 6.0, 1e-12);  // 3 per model unit
  EXPECT_EQ(curves[0].to_json().at("intensity").at("b").size(), curves[0].time.size());

  const IntensityPlot plot = predictor.intensity_plot(file_data(), 1, 5);
  EXPECT_EQ(plot.type_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(plot.events.size(), 1u);
  EXPECT_NE(plot.title.find("user u1"), std::string::npos);
  EXPECT_THROW(predictor.intensity_plot(file_data(), 2), Error);

  Dataset unknown = file_data();
  unknown.schema.action_names = {"b", "zzz"};
  EXPECT_THROW(predictor.predict(unknown), DataError);
}

// The docs' Library API example: read, prepare, fit, predict, without the CLI.
TEST(Predictor, TrainsAndPredictsFromFilesWithoutTheCli) {
  testing::TempDir dir;
  Dataset data = testing::make_dataset(2, {{{1.0, 0}, {3.0, 1}, {4.0, 0}, {7.0, 1}}, {{2.0, 1}, {5.0, 0}, {6.0, 0}}},
                                       {8.0, 8.0});
  data.schema.action_names = {"view", "buy"};
  write_dataset(data, dir.file("train.jsonl"), WriteOptions{Format::Jsonl, dir.file("train.users.jsonl"),
                                                            dir.file("train.schema.json")});

  const FitConfig config = FitConfig::from_json(
      {{"model", "hawkes"}, {"train", {{"epochs", 3}, {"batch_size", 2}, {"lr", 0.05}, {"seed", 1}}}});
  const TrainingData training = prepare_training_data(read_data_file(dir.file("train.jsonl")), std::nullopt);
  FitOptions fit;
  fit.output = dir.file("hawkes.tpp");
  const FitResult fitted = fit_model(config, training, fit);

  const Predictor in_memory(fitted.model, Context{});
  const Predictor from_file = Predictor::load(fit.output, Context{});
  const Dataset test = read_data_file(dir.file("train.jsonl"));
  const auto a = in_memory.predict(test), b = from_file.predict(test);
  ASSERT_EQ(a.size(), test.num_actions());
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].to_json(), b[i].to_json());
    EXPECT_TRUE(a[i].predicted_type == "view" || a[i].predicted_type == "buy");
    EXPECT_TRUE(std::isfinite(a[i].predicted_time));
  }
}

}  // namespace
}  // namespace tpp
