#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "cli_test_support.h"
#include "tpp/cli/command.h"
#include "tpp/cli/evaluate.h"
#include "tpp/cli/model_data.h"
#include "tpp/cli/predict.h"
#include "tpp/cli/simulate.h"
#include "tpp/core/error.h"
#include "tpp/data/prepare.h"
#include "tpp/models/registry.h"

namespace tpp {

namespace {
using testing::saved_poisson;
using testing::slurp;
std::vector<nlohmann::json> read_lines(const std::string& text) { return testing::json_lines(text); }
// The same events named in the opposite order ("b" is id 0 in the file).
Dataset file_data() {
  auto d = testing::make_dataset(2, {{{0.1, 1}, {0.3, 0}, {0.9, 0}}, {{0.2, 0}}}, {1.0, 1.0});
  d.schema.action_names = {"b", "a"};
  return d;
}
}  // namespace

TEST(SimulateCommand, PoissonConfigGivesExpectedCountsAndIsSeeded) {
  testing::TempDir dir;
  SimulateCommandOptions o;
  o.config = R"({"model": "poisson", "rate": [1.0, 3.0], "action_names": ["x", "y"]})";
  o.num_sequences = 20;
  o.horizon = 50;
  o.common.seed = 3;
  o.common.quiet = true;
  o.output = dir.file("a.jsonl");
  ASSERT_EQ(run_simulate(o), 0);
  auto rows = read_lines(slurp(o.output));
  // 20·50·4 = 4000 expected events (Poisson, sd 63); type "y" with probability 3/4.
  EXPECT_NEAR(static_cast<double>(rows.size()), 4000.0, 5 * std::sqrt(4000.0));
  double y = 0;
  for (const auto& r : rows) {
    EXPECT_GE(r.at("time").get<double>(), 0.0);
    EXPECT_LE(r.at("time").get<double>(), 50.0);
    EXPECT_FALSE(r.value("stimulus", false));
    y += r.at("type").get<std::string>() == "y";
  }
  EXPECT_NEAR(y / rows.size(), 0.75, 5 * std::sqrt(0.75 * 0.25 / rows.size()));
  const std::string first = slurp(o.output);
  ASSERT_EQ(run_simulate(o), 0);
  EXPECT_EQ(slurp(o.output), first);
  o.common.seed = 4;
  ASSERT_EQ(run_simulate(o), 0);
  EXPECT_NE(slurp(o.output), first);
}

TEST(SimulateCommand, TypesFollowTheConfigAndTheWindowIsWrittenBeside) {
  testing::TempDir dir;
  SimulateCommandOptions o;
  o.config = R"({"model": "hawkes", "mu": [0.2, 0.1], "alpha": [[0.3, 0.1], [0.1, 0.3]], "beta": 1.5})";
  o.num_sequences = 4;
  o.horizon = 30;
  o.common.quiet = true;
  o.output = dir.file("h.jsonl");
  ASSERT_EQ(run_simulate(o), 0);  // two types from "mu", no --num-types
  const Dataset d = read_data_file(o.output);
  EXPECT_EQ(d.schema.num_action_types, 2);
  ASSERT_EQ(d.sequences.size(), 4u);
  for (const auto& seq : d.sequences) {
    EXPECT_EQ(seq.t_start, 0.0);  // from h.users.jsonl, not the first event
    EXPECT_EQ(seq.t_end, 30.0);
  }
}

TEST(SimulateCommand, SavedModelTimesAreInFileUnits) {
  testing::TempDir dir;
  saved_poisson(dir);  // rates 1 and 3 per model unit = 2 and 6 per file unit
  SimulateCommandOptions o;
  o.model_file = dir.file("m.tpp");
  o.num_sequences = 10;
  o.horizon = 25;
  o.common.quiet = true;
  o.generic_sampler = true;
  o.output = dir.file("b.jsonl");
  ASSERT_EQ(run_simulate(o), 0);
  auto rows = read_lines(slurp(o.output));
  const double expected = 10 * 25 * 8.0;
  EXPECT_NEAR(static_cast<double>(rows.size()), expected, 5 * std::sqrt(expected));
  for (const auto& r : rows) EXPECT_LE(r.at("time").get<double>(), 25.0);
}

// Poisson's own simulator (constant intensities, no tensor per event) consumes the random numbers
// as the generic sampler does, so the two write the same file.
TEST(SimulateCommand, PoissonsOwnSimulatorDrawsWhatTheGenericSamplerDraws) {
  testing::TempDir dir;
  SimulateCommandOptions o;
  o.config = R"({"model": "poisson", "rate": [0.6, 0.4, 0.3]})";
  o.num_sequences = 20;
  o.horizon = 50;
  o.common.quiet = true;
  o.output = dir.file("own.jsonl");
  ASSERT_EQ(run_simulate(o), 0);
  o.generic_sampler = true;
  o.output = dir.file("generic.jsonl");
  ASSERT_EQ(run_simulate(o), 0);
  const std::string own = slurp(dir.file("own.jsonl"));
  EXPECT_GT(read_lines(own).size(), 500u);
  EXPECT_EQ(own, slurp(o.output));
}

TEST(SimulateCommand, RejectsAmbiguousModelSources) {
  SimulateCommandOptions o;
  o.model = "poisson";
  o.config = R"({"model": "poisson"})";
  EXPECT_THROW(run_simulate(o), Error);
  o.config.clear();
  o.horizon = -1;
  EXPECT_THROW(run_simulate(o), Error);
}

TEST(EvaluateCommand, AlignsTypeNamesAndReportsFileUnits) {
  testing::TempDir dir;
  auto saved = saved_poisson(dir);
  EvaluateCommandOptions o;
  o.common.json = true;
  o.top_k = 1;
  std::ostringstream out;
  Metrics m = evaluate_command(saved, file_data(), o, out);
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j.at("num_targets").get<int>(), 4);
  // E[τ] = 1/4 model units = 1/8 file units, the median log 2 of that (the MAE's point estimate);
  // gaps 0.1, 0.2, 0.6, 0.2. Argmax type is "b".
  const double e = 0.125 * std::log(2.0);
  const double mae = (std::fabs(e - 0.1) + std::fabs(e - 0.2) + std::fabs(e - 0.6) + std::fabs(e - 0.2)) / 4;
  EXPECT_NEAR(j.at("time_mae").get<double>(), mae, 1e-9);
  EXPECT_NEAR(m.type_accuracy(), 0.75, 1e-15);  // file id 0 is "b": three of the four events
  // LL: log 3 three times, log 1 once, minus 4·(2·1.0) per sequence (windows of 2 model units).
  EXPECT_NEAR(j.at("log_likelihood_per_event").get<double>(), (3 * std::log(3.0) - 16.0) / 4, 1e-12);
  o.common.json = false;
  std::ostringstream table;
  evaluate_command(saved, file_data(), o, table);
  EXPECT_NE(table.str().find("time RMSE"), std::string::npos);
}

TEST(PredictCommand, RowsCarryFileTimesAndTypeNames) {
  testing::TempDir dir;
  auto saved = saved_poisson(dir);
  PredictCommandOptions o;
  o.top_k = 2;
  std::ostringstream out;
  predict_command(saved, file_data(), o, out);
  auto rows = read_lines(out.str());
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1].at("user"), "u0");
  EXPECT_EQ(rows[1].at("index"), 1);
  EXPECT_EQ(rows[1].at("type"), "b");
  EXPECT_NEAR(rows[1].at("time").get<double>(), 0.3, 1e-15);
  EXPECT_NEAR(rows[1].at("predicted_time").get<double>(), 0.1 + 0.125, 1e-9);
  EXPECT_NEAR(rows[1].at("median_time").get<double>(), 0.1 + std::log(2.0) / 8, 1e-9);
  EXPECT_EQ(rows[1].at("predicted_type"), "b");
  ASSERT_EQ(rows[1].at("top_k").size(), 2u);
  EXPECT_EQ(rows[1].at("top_k")[1].at("type"), "a");
  EXPECT_NEAR(rows[1].at("top_k")[1].at("probability").get<double>(), 0.25, 1e-9);
  o.target_fraction = 0.5;  // u0: floor(1.5) = 1 event of history, 2 scored; u1: its only event
  std::ostringstream last;
  predict_command(saved, file_data(), o, last);
  auto scored = read_lines(last.str());
  ASSERT_EQ(scored.size(), 3u);
  EXPECT_EQ(scored[0].at("index"), 1);
}

TEST(PredictCommand, CurvesAreRatesPerFileUnit) {
  testing::TempDir dir;
  auto saved = saved_poisson(dir);
  PredictCommandOptions o;
  o.curve = true;
  o.curve_points = 5;
  std::ostringstream out;
  predict_command(saved, file_data(), o, out);
  auto rows = read_lines(out.str());
  ASSERT_EQ(rows.size(), 2u);
  ASSERT_EQ(rows[0].at("time").size(), 5u + 2 * 3);
  EXPECT_NEAR(rows[0].at("time").back().get<double>(), 1.0, 1e-12);
  for (const auto& v : rows[0].at("intensity").at("b")) EXPECT_NEAR(v.get<double>(), 6.0, 1e-12);
}

TEST(PredictCommand, PlotDrawsOneSequenceWithItsStimuli) {
  testing::TempDir dir;
  Dataset data = file_data();
  data.schema.num_stimulus_types = 1;
  data.schema.stimulus_names = {"coupon"};
  auto model = ModelRegistry::instance().create({{"model", "poisson"}, {"rate", {1.0, 3.0}}}, data.schema);
  save_model(dir.file("m.tpp"), model, data.schema, TimeScale{});
  auto saved = load_model(dir.file("m.tpp"), Context{});
  data.sequences[0].events.insert(data.sequences[0].events.begin() + 1, Event{0.2, 0, true, {}, {}});
  PredictCommandOptions o;
  o.plot = dir.file("p.svg");
  o.curve_points = 5;
  std::ostringstream out;
  predict_command(saved, data, o, out);
  EXPECT_TRUE(out.str().empty());
  const std::string svg = slurp(o.plot);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("coupon"), std::string::npos);
  EXPECT_NE(svg.find("user u0"), std::string::npos);
  o.plot_sequence = 2;
  EXPECT_THROW(predict_command(saved, data, o, out), Error);
}

TEST(ModelData, UnknownTypeNameIsALocatedDataError) {
  Schema schema;
  schema.num_action_types = 1;
  schema.action_names = {"a"};
  auto d = testing::make_dataset(1, {{{0.1, 0}}}, {1.0});
  d.schema.action_names = {"zzz"};
  try {
    align_to_model(d, schema, TimeScale{}, "x.jsonl");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(e.file(), "x.jsonl");
    EXPECT_NE(std::string(e.what()).find("zzz"), std::string::npos);
  }
}

TEST(EvaluateCommand, RunsEndToEndOnASimulatedFile) {
  testing::TempDir dir;
  saved_poisson(dir);
  SimulateCommandOptions s;
  s.model_file = dir.file("m.tpp");
  s.num_sequences = 3;
  s.horizon = 5;
  s.common.quiet = true;
  s.output = dir.file("sim.jsonl");
  ASSERT_EQ(run_simulate(s), 0);
  const auto lines = read_lines(slurp(s.output)).size();
  EvaluateCommandOptions e;
  e.model = dir.file("m.tpp");
  e.data = s.output;
  e.common.json = true;
  ::testing::internal::CaptureStdout();
  const int rc = run_evaluate(e);
  auto j = nlohmann::json::parse(::testing::internal::GetCapturedStdout());
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(j.at("num_actions").get<std::size_t>(), lines);
  EXPECT_EQ(j.at("num_unconverged").get<int>(), 0);
}

TEST(EvaluateCommand, ToleranceReachesThePredictionsAndIsChecked) {
  testing::TempDir dir;
  Dataset d = file_data();
  auto hawkes = ModelRegistry::instance().create(
      {{"model", "hawkes"}, {"mu", {0.3, 0.2}}, {"alpha", {{0.5, 0.2}, {0.1, 0.4}}}, {"beta", 1.5}}, d.schema);
  save_model(dir.file("h.tpp"), hawkes, d.schema, TimeScale{});
  auto saved = load_model(dir.file("h.tpp"), Context{});
  auto mae = [&](double tolerance) {
    EvaluateCommandOptions o;
    o.common.json = true;
    o.tolerance = tolerance;
    std::ostringstream out;
    return evaluate_command(saved, d, o, out).time_mae();
  };
  // A loose tolerance moves the expected times by at most about that much, relatively.
  const double tight = mae(1e-12), loose = mae(1e-3);
  EXPECT_NEAR(loose, tight, 1e-3 * tight);

  for (const char* verb : {"evaluate", "predict"}) {
    CLI::App app;
    CommandAction action;
    add_evaluate(app, action);
    add_predict(app, action);
    EXPECT_NO_THROW(app.parse(std::string(verb) + " --model m --data d --tolerance 1e-6", false)) << verb;
    CLI::App strict;
    add_evaluate(strict, action);
    add_predict(strict, action);
    EXPECT_THROW(strict.parse(std::string(verb) + " --model m --data d --tolerance 0", false), CLI::ValidationError)
        << verb;
  }
}

}  // namespace tpp
