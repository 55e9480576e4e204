// Outputs under faults: a full disk (a file size limit in a child process) is a tpp::Error (exit
// code 2) that leaves no file and no temporary under the output's name; outputs that cannot be
// created are refused before any work; a resume that does not continue its checkpoint's run is
// refused naming the field; option values are checked with messages a person can read.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../fault_support.h"
#include "../test_support.h"
#include "tpp/cli/command.h"
#include "tpp/cli/convert.h"
#include "tpp/cli/evaluate.h"
#include "tpp/cli/predict.h"
#include "tpp/cli/train.h"
#include "tpp/core/error.h"
#include "tpp/data/io.h"
#include "tpp/models/registry.h"
#include "tpp/train/trainer.h"

namespace tpp {

namespace fs = std::filesystem;

namespace {

// 2,000 events of two users over types "a" and "b": ~40 kB as CSV, more than the limits below.
std::string write_events(const testing::TempDir& dir, const std::string& name) {
  std::ofstream out(dir.file(name));
  out << "user,time,type\n";
  for (int i = 0; i < 2000; ++i) out << (i % 2 ? "u1" : "u2") << "," << i * 0.25 << "," << (i % 3 ? "a" : "b") << "\n";
  return dir.file(name);
}

// No file of any kind left under `path` or its temporary name.
void expect_nothing_at(const std::string& path) {
  EXPECT_FALSE(fs::exists(path)) << path;
  EXPECT_FALSE(fs::exists(path + ".tmp")) << path << ".tmp";
}

std::string error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(OutputFaults, ConvertOnAFullDiskFailsWithoutAFile) {
  testing::TempDir dir;
  ConvertOptions o;
  o.input = write_events(dir, "in.csv");
  for (const std::string out : {"out.jsonl", "out.csv", "out.json", "time-out.txt"}) {
    o.output = dir.file(out);
    EXPECT_EQ(testing::run_with_file_size_limit(4096, [&] { run_convert(o); }), 2) << out;
    expect_nothing_at(o.output);
  }
  o.output = dir.file("ok.jsonl");
  EXPECT_EQ(run_convert(o), 0);
  EXPECT_GT(fs::file_size(o.output), 4096u);
}

TEST(OutputFaults, AModelOnAFullDiskFailsWithoutAFile) {
  testing::TempDir dir;
  Schema schema;
  schema.num_action_types = 2;
  schema.action_names = {"a", "b"};
  auto model = ModelRegistry::instance().create({{"model", "rmtpp"}, {"hidden", 32}}, schema);
  const std::string path = dir.file("m.tpp");
  EXPECT_EQ(testing::run_with_file_size_limit(4096, [&] { save_model(path, model, schema, TimeScale{}); }), 2);
  expect_nothing_at(path);
}

TEST(OutputFaults, PredictOnAFullDiskFailsWithoutAFile) {
  testing::TempDir dir;
  Schema schema;
  schema.num_action_types = 2;
  schema.action_names = {"a", "b"};
  save_model(dir.file("m.tpp"), ModelRegistry::instance().create({{"model", "poisson"}, {"rate", {1.0, 3.0}}}, schema),
             schema, TimeScale{});
  PredictCommandOptions o;
  o.model = dir.file("m.tpp");
  o.data = write_events(dir, "in.csv");
  o.output = dir.file("p.jsonl");
  o.common.quiet = true;
  o.common.threads = 1;
  EXPECT_EQ(testing::run_with_file_size_limit(4096, [&] { run_predict(o); }), 2);
  expect_nothing_at(o.output);
}

TEST(OutputFaults, OutputsThatCannotBeCreatedAreRefusedFirst) {
  testing::TempDir dir;
  fs::create_directories(dir.file("a_directory"));
  for (const std::string& output : {dir.file("missing/out.jsonl"), dir.file("a_directory")}) {
    // The input does not exist either: the output is what is reported, before any reading.
    ConvertOptions convert;
    convert.input = dir.file("absent.csv");
    convert.output = output;
    EXPECT_NE(error_of([&] { run_convert(convert); }).find(output), std::string::npos) << output;
    TrainOptions train;
    train.config = R"({"model": "poisson"})";
    train.train = dir.file("absent.csv");
    train.output = output;
    const std::string why = error_of([&] { run_train(train); });
    EXPECT_NE(why.find("--output"), std::string::npos) << why;
    PredictCommandOptions predict;
    predict.model = dir.file("absent.tpp");
    predict.data = dir.file("absent.csv");
    predict.output = output;
    EXPECT_NE(error_of([&] { run_predict(predict); }).find("--output"), std::string::npos) << output;
  }
}

namespace {

Dataset two_types(int num_types) {
  std::vector<std::vector<std::pair<double, int>>> seqs;
  for (int s = 0; s < 8; ++s) {
    std::vector<std::pair<double, int>> ev;
    for (int i = 0; i < 6; ++i) ev.emplace_back(0.5 * i + 0.1 * s, (i + s) % num_types);
    seqs.push_back(ev);
  }
  return testing::make_dataset(num_types, seqs, std::vector<double>(seqs.size(), 4.0));
}

TrainConfig one_epoch() {
  return TrainConfig::from_json({{"lr", 0.01}, {"batch_size", 4}, {"epochs", 1}, {"patience", 0}, {"seed", 5}});
}

std::string resume_error(const testing::TempDir& dir, const nlohmann::json& model_config, const Dataset& data,
                         const TrainConfig& config) {
  TrainerOptions options;
  options.checkpoint = dir.file("run.ckpt");
  options.resume = true;
  auto model = ModelRegistry::instance().create(model_config, data.schema);
  return error_of([&] { Trainer(model, config, Context{}, options).fit(data); });
}

}  // namespace

TEST(ResumeChecks, AResumeMustContinueTheCheckpointsRun) {
  testing::TempDir dir;
  const nlohmann::json config = {{"model", "rmtpp"}, {"embed_dim", 4}, {"hidden", 8}};
  const Dataset data = two_types(2);
  {
    TrainerOptions options;
    options.checkpoint = dir.file("run.ckpt");
    auto model = ModelRegistry::instance().create(config, data.schema);
    Trainer(model, one_epoch(), Context{}, options).fit(data);
  }
  ASSERT_TRUE(fs::exists(dir.file("run.ckpt")));
  nlohmann::json wider = config;
  wider["hidden"] = 16;
  std::string why = resume_error(dir, wider, data, one_epoch());
  EXPECT_NE(why.find("model field \"hidden\" is 8 in the checkpoint, 16 in the config"), std::string::npos) << why;
  why = resume_error(dir, config, two_types(3), one_epoch());
  EXPECT_NE(why.find("schema field \"num_action_types\""), std::string::npos) << why;
  Dataset renamed = data;
  renamed.schema.action_names = {"x", "y"};
  why = resume_error(dir, config, renamed, one_epoch());
  EXPECT_NE(why.find("schema field \"action_names[0]\""), std::string::npos) << why;
  // The same run continues.
  TrainConfig two = TrainConfig::from_json({{"lr", 0.01}, {"batch_size", 4}, {"epochs", 2}, {"patience", 0}, {"seed", 5}});
  EXPECT_EQ(resume_error(dir, config, data, two), "");
}

TEST(OptionChecks, ThreadsAndTopKAreCheckedWithAShortMessage) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"evaluate", "--model", "m", "--data", "d", "--threads", "-3"},
        std::vector<std::string>{"evaluate", "--model", "m", "--data", "d", "--top-k", "0"},
        std::vector<std::string>{"predict", "--model", "m", "--data", "d", "--top-k", "0"}}) {
    CLI::App app;
    CommandAction action;
    add_evaluate(app, action);
    add_predict(app, action);
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
    try {
      app.parse(reversed);
      FAIL() << "accepted " << args.back();
    } catch (const CLI::ParseError& e) {
      const std::string what = e.what();
      EXPECT_LT(what.size(), 120u) << what;
      EXPECT_NE(what.find(args.back()), std::string::npos) << what;
    }
  }
}

}  // namespace tpp
