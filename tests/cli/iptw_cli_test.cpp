// `tpp train` with an "iptw" object on a log whose users file gives the categories, then
// evaluation on new users without categories; a training user missing from the users file is a
// located error before anything trains.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "../test_support.h"
#include "tpp/cli/train.h"
#include "tpp/core/error.h"
#include "tpp/core/rng.h"
#include "tpp/data/prepare.h"
#include "tpp/infer/predictor.h"

namespace tpp {
namespace {

// users u0..u{n-1}: category "fast" users act at rate 3, "slow" ones at rate 0.6. With
// `categories` false no users file is written (new users).
void write_log(const std::string& stem, int users, std::uint64_t seed, bool categories, int skip_user = -1) {
  Rng rng(seed);
  std::ofstream log(stem + ".jsonl"), table;
  if (categories) table.open(stem + ".users.jsonl");
  for (int u = 0; u < users; ++u) {
    const bool fast = u % 2 == 1;
    double t = 0;
    for (int i = 0; i < 8; ++i) {
      t += rng.exponential(fast ? 3.0 : 0.6);
      log << nlohmann::json{{"user", "u" + std::to_string(u)}, {"time", t}, {"type", (rng.uniform() < 0.8) == fast ? "b" : "a"}}.dump()
          << "\n";
    }
    if (categories && u != skip_user)
      table << nlohmann::json{{"user", "u" + std::to_string(u)}, {"category", fast ? "fast" : "slow"}}.dump() << "\n";
  }
}

TrainOptions options(const testing::TempDir& dir, const std::string& train) {
  TrainOptions o;
  o.config = R"({"model": "nhp", "hidden_size": 4,
                 "train": {"epochs": 2, "batch_size": 4, "lr": 0.01, "seed": 3,
                           "iptw": {"bins": 4, "refit_every": 1, "stabilized": true}}})";
  o.train = train;
  o.output = dir.file("c-nh.tpp");
  o.common.quiet = true;
  return o;
}

TEST(IptwCommand, TrainsOnLoggedUsersAndEvaluatesNewOnes) {
  testing::TempDir dir;
  write_log(dir.file("logged"), 12, 1, true);
  write_log(dir.file("new"), 4, 2, false);
  ASSERT_EQ(run_train(options(dir, dir.file("logged.jsonl"))), 0);
  const Predictor predictor = Predictor::load(dir.file("c-nh.tpp"), Context{});
  const Metrics m = predictor.evaluate(read_data_file(dir.file("new.jsonl")));
  EXPECT_EQ(m.num_sequences, 4u);
  EXPECT_TRUE(std::isfinite(m.log_likelihood));
}

TEST(IptwCommand, ATrainingUserMissingFromTheUsersFileIsLocated) {
  testing::TempDir dir;
  write_log(dir.file("logged"), 6, 1, true, /*skip_user=*/2);
  try {
    run_train(options(dir, dir.file("logged.jsonl")));
    ADD_FAILURE() << "expected a DataError";
  } catch (const DataError& e) {
    EXPECT_EQ(e.file(), dir.file("logged.jsonl"));
    EXPECT_EQ(e.line(), 17u);  // u2's first event: 8 events each for u0 and u1 come first
    EXPECT_EQ(e.field(), "category");
  }
}

}  // namespace
}  // namespace tpp
