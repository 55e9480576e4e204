// The real shared data sets, the vendored MIMIC-II copy, the Gatech converter and the
// `tpp convert` / `tpp inspect` verbs run in-process.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "../test_support.h"
#include "data_test_support.h"
#include "tpp/cli/convert.h"
#include "tpp/cli/inspect.h"
#include "tpp/data/io.h"
#include "tpp/data/summary.h"

namespace tpp {

using testing::expect_same_dataset;
using testing::shared_data_dir;
using testing::TempDir;

namespace {

std::size_t count_tokens(const std::string& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  std::string token;
  while (in >> token) ++n;
  return n;
}

bool have_python3() { return std::system("python3 -c 'import pickle, json' >/dev/null 2>&1") == 0; }

}  // namespace

TEST(SharedData, Mimic2FoldOne) {
  TPP_REQUIRE_SHARED_DATA();
  const std::string dir = shared_data_dir() + "/mimic2/";
  Dataset train = read_dataset(dir + "time-1-train.txt");
  EXPECT_EQ(train.sequences.size(), 585u);
  EXPECT_EQ(train.num_events(), count_tokens(dir + "event-1-train.txt"));
  EXPECT_LE(train.schema.num_action_types, 75);
  EXPECT_GE(train.schema.num_action_types, 60);
  Dataset test = read_dataset(dir + "event-1-test.txt");
  EXPECT_EQ(test.sequences.size(), 65u);
  for (const auto& s : train.sequences) {
    ASSERT_FALSE(s.events.empty());
    EXPECT_EQ(s.t_start, s.events.front().time);
    EXPECT_EQ(s.t_end, s.events.back().time);
  }
}

TEST(SharedData, VendoredMimic2MatchesTheSharedCopy) {
  TPP_REQUIRE_SHARED_DATA();
  const std::string vendored = std::string(TPP_SOURCE_DIR) + "/data/mimic2/time-1-train.txt";
  expect_same_dataset(read_dataset(vendored), read_dataset(shared_data_dir() + "/mimic2/time-1-train.txt"));
  // Fold 1 train never uses types 74 and 75; the shipped schema keeps all folds on 75 types.
  ReadOptions options;
  options.schema = read_schema(std::string(TPP_SOURCE_DIR) + "/data/mimic2/schema.json");
  EXPECT_EQ(read_dataset(vendored).schema.num_action_types, 73);
  EXPECT_EQ(read_dataset(vendored, options).schema.num_action_types, 75);
}

TEST(SharedData, StackOverflowBadges) {
  TPP_REQUIRE_SHARED_DATA();
  const std::string dir = shared_data_dir() + "/so_badges/";
  Dataset d = read_dataset(dir + "time-1-test.txt");
  EXPECT_EQ(d.sequences.size(), 1326u);
  EXPECT_EQ(d.num_events(), count_tokens(dir + "event-1-test.txt"));
  EXPECT_EQ(d.schema.num_action_types, 22);
  auto s = summarize(d);
  EXPECT_EQ(s["events"].get<std::size_t>(), d.num_events());
  EXPECT_GE(s["gap"]["min"].get<double>(), 0.0);
}

TEST(SharedData, AnhpSyntheticThroughThePythonConverter) {
  TPP_REQUIRE_SHARED_DATA();
  if (!have_python3()) GTEST_SKIP() << "python3 not available";
  TempDir dir;
  const std::string prefix = dir.file("dev");
  const std::string cmd = "python3 '" + std::string(TPP_SOURCE_DIR) + "/tools/gatech_to_jsonl.py' '" +
                          shared_data_dir() + "/anhp_synthetic/dev.pkl' --out '" + prefix + "' >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  ReadOptions options;
  options.users = prefix + ".users.jsonl";
  options.schema = read_schema(prefix + ".schema.json");
  Dataset d = read_dataset(prefix + ".jsonl", options);
  EXPECT_EQ(d.sequences.size(), 100u);
  EXPECT_EQ(d.num_events(), 500u);
  EXPECT_EQ(d.schema.num_action_types, 50);
  for (const auto& s : d.sequences) {
    EXPECT_EQ(s.t_start, 0.0);
    EXPECT_EQ(s.t_end, s.events.back().time);
  }
  std::ifstream truth_file(prefix + ".truth.json");
  auto truth = nlohmann::json::parse(truth_file);
  ASSERT_EQ(truth["log_lik"].size(), 100u);
  // The stored log-likelihood is Σ log λ(t_i) − ∫ λ, so it lies below the events' log-intensity sum.
  for (std::size_t s = 0; s < 100; ++s) {
    double sum_log = 0;
    for (const auto& v : truth["log_intensity"][s]) sum_log += v.get<double>();
    EXPECT_LT(truth["log_lik"][s].get<double>(), sum_log);
    EXPECT_EQ(truth["num_events"][s].get<std::size_t>(), d.sequences[s].events.size());
  }
}

TEST(DataCli, InspectReportsCountsAsJson) {
  TPP_REQUIRE_SHARED_DATA();
  InspectOptions o;
  o.data = shared_data_dir() + "/mimic2/time-1-train.txt";
  o.json = true;
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_inspect(o), 0);
  auto j = nlohmann::json::parse(::testing::internal::GetCapturedStdout());
  EXPECT_EQ(j["sequences"].get<std::size_t>(), 585u);
  std::size_t per_type = 0;
  for (const auto& t : j["action_types"]) per_type += t["count"].get<std::size_t>();
  EXPECT_EQ(per_type, j["events"].get<std::size_t>());
  EXPECT_EQ(j["stimuli"].get<std::size_t>(), 0u);
  EXPECT_LE(j["sequence_length"]["min"].get<double>(), j["sequence_length"]["median"].get<double>());
  EXPECT_LE(j["sequence_length"]["median"].get<double>(), j["sequence_length"]["max"].get<double>());

  o.json = false;
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_inspect(o), 0);
  std::string table = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(table.find("sequences"), std::string::npos);
  EXPECT_NE(table.find("inter-event gap"), std::string::npos);
}

TEST(DataCli, ConvertRmtppToJsonlAndBackIsLossless) {
  TPP_REQUIRE_SHARED_DATA();
  TempDir dir;
  ConvertOptions o;
  o.input = shared_data_dir() + "/mimic2/time-1-test.txt";
  o.output = dir.file("m.jsonl");
  o.users_out = dir.file("m.users.csv");
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_convert(o), 0);
  ConvertOptions back;
  back.input = o.output;
  back.reader.users = o.users_out;
  back.output = dir.file("time-back.txt");
  EXPECT_EQ(run_convert(back), 0);
  std::string said = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(said.find("wrote 65 sequences"), std::string::npos) << said;
  Dataset original = read_dataset(o.input);
  Dataset round = read_dataset(back.output);
  // Type ids survive without a schema only where every type occurs; compare the events themselves.
  ASSERT_EQ(round.sequences.size(), original.sequences.size());
  for (std::size_t s = 0; s < original.sequences.size(); ++s) {
    ASSERT_EQ(round.sequences[s].events.size(), original.sequences[s].events.size());
    for (std::size_t i = 0; i < original.sequences[s].events.size(); ++i) {
      EXPECT_EQ(round.sequences[s].events[i].time, original.sequences[s].events[i].time);
      EXPECT_EQ(round.sequences[s].events[i].type, original.sequences[s].events[i].type);
    }
  }
}

TEST(DataCli, ConvertReportsDropsAndRejectsBadInput) {
  TempDir dir;
  const std::string in = testing::write_text(dir.file("e.csv"), "user,time,type\nu,1,a\nu,x,a\nu,2,b\n");
  ConvertOptions o;
  o.input = in;
  o.output = dir.file("out.jsonl");
  EXPECT_THROW(run_convert(o), DataError);
  o.reader.drop_invalid = true;
  o.json = true;
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(run_convert(o), 0);
  auto j = nlohmann::json::parse(::testing::internal::GetCapturedStdout());
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(j["rows_dropped"].get<int>(), 1);
  EXPECT_EQ(j["events"].get<int>(), 2);
  EXPECT_NE(err.find(in + ":3: time:"), std::string::npos) << err;
  EXPECT_EQ(read_dataset(o.output).num_events(), 2u);
}

}  // namespace tpp
