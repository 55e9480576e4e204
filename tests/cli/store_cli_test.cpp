// Event stores through the verbs: simulate writes one as it draws, convert streams a log into one,
// and train (batch by batch), evaluate, predict and inspect read one like any other data file. A
// model trained from a store equals, parameter for parameter, the model trained from the same
// data in memory.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../test_support.h"
#include "tpp/cli/convert.h"
#include "tpp/core/error.h"
#include "tpp/cli/evaluate.h"
#include "tpp/cli/inspect.h"
#include "tpp/cli/predict.h"
#include "tpp/cli/simulate.h"
#include "tpp/cli/train.h"
#include "tpp/data/event_store.h"
#include "tpp/data/io.h"
#include "tpp/data/prepare.h"
#include "tpp/models/registry.h"

namespace tpp {

namespace {

SimulateCommandOptions hawkes_simulation(const std::string& output) {
  SimulateCommandOptions o;
  o.config = R"({"model": "hawkes", "mu": [0.4, 0.2], "alpha": [[0.3, 0.1], [0.2, 0.4]], "beta": 1.5,
                 "action_names": ["a", "b"]})";
  o.num_sequences = 40;
  o.horizon = 20;
  o.common.seed = 11;
  o.common.quiet = true;
  o.output = output;
  return o;
}

std::string run_captured(const std::function<int()>& f) {
  ::testing::internal::CaptureStdout();
  const int rc = f();
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(rc, 0);
  return out;
}

void expect_same_parameters(const std::string& a, const std::string& b) {
  const SavedModel x = load_model(a, Context{}), y = load_model(b, Context{});
  const auto px = x.model->named_parameters(), py = y.model->named_parameters();
  ASSERT_EQ(px.size(), py.size());
  for (const auto& p : px) EXPECT_TRUE(torch::equal(p.value(), py[p.key()])) << p.key();
  EXPECT_EQ(x.time_scale.scale, y.time_scale.scale);
  EXPECT_EQ(x.schema.action_names, y.schema.action_names);
}

// Trains `config` from the log and from the store (with the same data as dev set when `dev`),
// and expects the same parameters.
void expect_store_trains_like_memory(const testing::TempDir& dir, const std::string& config, bool dev) {
  TrainOptions t;
  t.config = config;
  t.common.quiet = true;
  t.train = dir.file("sim.jsonl");
  if (dev) t.dev = t.train;
  t.output = dir.file("memory.tpp");
  ASSERT_EQ(run_train(t), 0);
  t.train = dir.file("sim.tpps");
  if (dev) t.dev = t.train;
  t.output = dir.file("store.tpp");
  ASSERT_EQ(run_train(t), 0);
  expect_same_parameters(dir.file("memory.tpp"), dir.file("store.tpp"));
}

}  // namespace

TEST(StoreCommands, SimulatedStoreHoldsWhatTheEventLogHolds) {
  testing::TempDir dir;
  ASSERT_EQ(run_simulate(hawkes_simulation(dir.file("sim.jsonl"))), 0);
  ASSERT_EQ(run_simulate(hawkes_simulation(dir.file("sim.tpps"))), 0);
  const Dataset log = read_data_file(dir.file("sim.jsonl"));  // with its users and schema files
  const Dataset store = read_data_file(dir.file("sim.tpps"));
  ASSERT_EQ(store.sequences.size(), log.sequences.size());
  EXPECT_EQ(store.schema.action_names, log.schema.action_names);
  EXPECT_EQ(store.num_events(), log.num_events());
  for (std::size_t s = 0; s < log.sequences.size(); ++s) {
    EXPECT_EQ(store.sequences[s].user, log.sequences[s].user);
    EXPECT_EQ(store.sequences[s].t_start, log.sequences[s].t_start);
    EXPECT_EQ(store.sequences[s].t_end, log.sequences[s].t_end);
    ASSERT_EQ(store.sequences[s].events.size(), log.sequences[s].events.size());
    for (std::size_t i = 0; i < log.sequences[s].events.size(); ++i) {
      EXPECT_EQ(store.sequences[s].events[i].time, log.sequences[s].events[i].time);
      EXPECT_EQ(store.sequences[s].events[i].type, log.sequences[s].events[i].type);
    }
  }
}

TEST(StoreCommands, TrainingFromAStoreEqualsTrainingInMemory) {
  testing::TempDir dir;
  ASSERT_EQ(run_simulate(hawkes_simulation(dir.file("sim.jsonl"))), 0);
  ASSERT_EQ(run_simulate(hawkes_simulation(dir.file("sim.tpps"))), 0);
  for (const char* model : {R"({"model": "hawkes", "train": {"epochs": 3, "lr": 0.05, "batch_size": 8}})",
                            R"({"model": "rmtpp", "hidden": 8, "train": {"epochs": 2, "lr": 0.01, "batch_size": 8}})"}) {
    SCOPED_TRACE(model);
    expect_store_trains_like_memory(dir, model, true);
  }
}

// IPTW refits read a store 256 sequences at a time: the same weights, so the same model, as from
// the log in memory; a store without categories is refused before training, naming a user.
TEST(StoreCommands, IptwTrainingFromAStoreEqualsTrainingInMemory) {
  testing::TempDir dir;
  ASSERT_EQ(run_simulate(hawkes_simulation(dir.file("sim.jsonl"))), 0);
  std::vector<nlohmann::json> users;
  {
    std::ifstream in(dir.file("sim.users.jsonl"));
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) users.push_back(nlohmann::json::parse(line));
  }
  ASSERT_EQ(users.size(), 40u);
  {
    std::ofstream out(dir.file("sim.users.jsonl"));
    for (std::size_t i = 0; i < users.size(); ++i) {
      users[i]["category"] = i % 3 == 0 ? "x" : "y";
      out << users[i].dump() << "\n";
    }
  }
  ConvertOptions c;
  c.input = dir.file("sim.jsonl");
  c.output = dir.file("sim.tpps");
  c.reader.users = dir.file("sim.users.jsonl");  // convert reads a users file only when named
  ::testing::internal::CaptureStderr();
  ASSERT_EQ(run_convert(c), 0);
  ::testing::internal::GetCapturedStderr();
  TrainOptions t;
  t.config = R"({"model": "nhp", "hidden_size": 4,
                 "train": {"epochs": 3, "lr": 0.01, "batch_size": 8, "seed": 2,
                           "iptw": {"bins": 5, "refit_every": 1, "stabilized": true}}})";
  t.common.quiet = true;
  expect_store_trains_like_memory(dir, t.config, false);

  ASSERT_EQ(run_simulate(hawkes_simulation(dir.file("plain.tpps"))), 0);
  t.train = dir.file("plain.tpps");
  t.output = dir.file("plain.tpp");
  try {
    run_train(t);
    ADD_FAILURE() << "a store without categories trained with iptw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no category"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("plain.tpp")));
}

TEST(StoreCommands, EvaluatePredictAndInspectReadAStore) {
  testing::TempDir dir;
  ASSERT_EQ(run_simulate(hawkes_simulation(dir.file("sim.jsonl"))), 0);
  ASSERT_EQ(run_simulate(hawkes_simulation(dir.file("sim.tpps"))), 0);
  TrainOptions t;
  t.config = R"({"model": "hawkes", "train": {"epochs": 1}})";
  t.common.quiet = true;
  t.train = dir.file("sim.tpps");
  t.output = dir.file("m.tpp");
  ASSERT_EQ(run_train(t), 0);
  EvaluateCommandOptions e;
  e.model = t.output;
  e.common.json = true;
  e.data = dir.file("sim.jsonl");
  const auto from_log = nlohmann::json::parse(run_captured([&] { return run_evaluate(e); }));
  e.data = dir.file("sim.tpps");
  const auto from_store = nlohmann::json::parse(run_captured([&] { return run_evaluate(e); }));
  EXPECT_EQ(from_store, from_log);

  PredictCommandOptions p;
  p.model = t.output;
  p.tolerance = 1e-6;
  p.data = dir.file("sim.jsonl");
  p.output = dir.file("log.predictions.jsonl");
  ASSERT_EQ(run_predict(p), 0);
  p.data = dir.file("sim.tpps");
  p.output = dir.file("store.predictions.jsonl");
  ASSERT_EQ(run_predict(p), 0);
  auto slurp = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  EXPECT_FALSE(slurp(p.output).empty());
  EXPECT_EQ(slurp(p.output), slurp(dir.file("log.predictions.jsonl")));

  InspectOptions i;
  i.json = true;
  i.data = dir.file("sim.jsonl");
  i.reader.users = dir.file("sim.users.jsonl");
  i.reader.schema = dir.file("sim.schema.json");
  auto log_summary = nlohmann::json::parse(run_captured([&] { return run_inspect(i); }));
  i.data = dir.file("sim.tpps");
  i.reader.users.clear();
  i.reader.schema.clear();
  auto store_summary = nlohmann::json::parse(run_captured([&] { return run_inspect(i); }));
  EXPECT_EQ(store_summary, log_summary);
}

TEST(StoreCommands, ConvertStreamsALogIntoAStore) {
  testing::TempDir dir;
  std::ofstream(dir.file("log.csv")) << "user,time,type\nb,2,x\na,1,y\nb,1,x\na,3,x\n";
  ConvertOptions c;
  c.input = dir.file("log.csv");
  c.output = dir.file("log.tpps");
  c.to = "store";
  c.chunk_rows = 2;
  c.json = true;
  const auto summary = nlohmann::json::parse(run_captured([&] { return run_convert(c); }));
  EXPECT_EQ(summary.at("sorted_runs").get<int>(), 2);
  EXPECT_LE(summary.at("max_rows_held").get<int>(), 2);
  const Dataset d = read_dataset(c.output);
  ASSERT_EQ(d.sequences.size(), 2u);
  EXPECT_EQ(d.sequences[0].user, "a");
  EXPECT_EQ(d.sequences[1].events[0].time, 1.0);
  EXPECT_EQ(d.sequences[1].events[1].time, 2.0);
  // Back out of the store into a log, through the in-memory path.
  c.input = c.output;
  c.output = dir.file("back.jsonl");
  c.to.clear();
  run_captured([&] { return run_convert(c); });
  EXPECT_EQ(read_dataset(c.output).num_events(), 4u);
}

TEST(StoreCommands, DamagedStoreIsALocatedErrorEverywhere) {
  testing::TempDir dir;
  ASSERT_EQ(run_simulate(hawkes_simulation(dir.file("sim.tpps"))), 0);
  std::string bytes;
  {
    std::ifstream in(dir.file("sim.tpps"), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::ofstream(dir.file("cut.tpps"), std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  TrainOptions t;
  t.config = R"({"model": "hawkes", "train": {"epochs": 1}})";
  t.common.quiet = true;
  t.train = dir.file("cut.tpps");
  t.output = dir.file("m.tpp");
  EXPECT_THROW(run_train(t), DataError);
  InspectOptions i;
  i.data = dir.file("cut.tpps");
  EXPECT_THROW(run_inspect(i), DataError);
}

}  // namespace tpp
