// Data-parallel training end to end through the CLI: `tpp launch -n 2 -- tpp train ...` on
// loopback against one `tpp train` on the same global batches, and a run resumed under two
// processes against an uninterrupted one. The ranks are real processes (the tpp binary beside
// this test binary); every command runs under timeout(1), so a hang fails instead of blocking.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../test_support.h"
#include "tpp/distributed/process_group.h"
#include "tpp/models/registry.h"

namespace tpp {
namespace {

std::string tpp_binary() {
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "tpp").string();
}

std::string mimic(const std::string& name) { return std::string(TPP_SOURCE_DIR) + "/data/mimic2/" + name; }

// Runs `command` under a 120 s timeout with stdout to `out`; returns the exit status.
int run(const std::string& command, const std::string& out) {
  const std::string line = "timeout -k 5 120 " + command + " > '" + out + "' 2> '" + out + ".err'";
  const int status = std::system(line.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `tpp train` on MIMIC-II (585 training sequences) with the given config and extra arguments.
std::string train_command(const nlohmann::json& config, const std::string& output, const std::string& extra = "") {
  return tpp_binary() + " train --config '" + config.dump() + "' --schema " + mimic("schema.json") + " --train " +
         mimic("time-1-train.txt") + " --dev " + mimic("time-1-test.txt") + " -o '" + output +
         "' --threads 1 --json " + extra;
}

std::string launch(int n) { return tpp_binary() + " launch -n " + std::to_string(n) + " -- "; }

// The largest |a − b| / (1 + |b|) over the models' parameters, which must correspond by name.
double parameter_difference(const std::string& a_path, const std::string& b_path) {
  const SavedModel a = load_model(a_path, Context{});
  const SavedModel b = load_model(b_path, Context{});
  const auto pa = a.model->named_parameters();
  const auto pb = b.model->named_parameters();
  EXPECT_EQ(pa.size(), pb.size());
  double worst = 0;
  for (const auto& item : pa) {
    const torch::Tensor& x = item.value();
    const torch::Tensor& y = pb[item.key()];
    worst = std::max(worst, ((x - y).abs() / (1 + y.abs())).max().item<double>());
  }
  return worst;
}

// The summary line (the last JSON object on stdout).
nlohmann::json summary(const std::string& out) {
  std::istringstream lines(read_text(out));
  std::string line, last;
  while (std::getline(lines, line))
    if (!line.empty()) last = line;
  return nlohmann::json::parse(last);
}

nlohmann::json config(const std::string& model, int epochs) {
  nlohmann::json c = {{"model", model}, {"train", {{"epochs", epochs}, {"batch_size", 64}, {"lr", 0.01}, {"seed", 5}}}};
  if (model == "rmtpp") c.update({{"hidden", 8}, {"embed_dim", 4}});
  // THP: attention over padded batches (each rank pads only its shard), no dropout so that the
  // masks do not depend on the rank.
  if (model == "thp") c.update({{"d_model", 8}, {"d_ff", 16}, {"heads", 2}, {"layers", 1}, {"dropout", 0.0}});
  return c;
}

class TwoProcesses : public ::testing::TestWithParam<std::string> {};

// Float64 sums over the same terms in another order differ by a few ulps per step: THP's shards
// are padded to their own longest sequence, so BLAS blocks the sums differently, and Adam's step
// m/√v passes the relative difference of a near-cancelling gradient component on unshrunk.
// Measured after the 20 steps here: 1e-16 (RMTPP), 6e-12 (THP). A real error (a sequence missed or
// seen twice, a rank normalising by its own action count) moves parameters by ~1e-4 or more, so
// 1e-8 separates the two by four orders of magnitude either way.
constexpr double kReductionOrderTolerance = 1e-8;

TEST_P(TwoProcesses, GiveTheParametersOfOneProcessOnTheSameGlobalBatches) {
  if (!distributed_available()) GTEST_SKIP() << "built without c10d";
  testing::TempDir dir;
  const auto cfg = config(GetParam(), 2);
  ASSERT_EQ(run(train_command(cfg, dir.file("one.tpp")), dir.file("one.out")), 0) << read_text(dir.file("one.out.err"));
  ASSERT_EQ(run(launch(2) + train_command(cfg, dir.file("two.tpp")), dir.file("two.out")), 0)
      << read_text(dir.file("two.out.err"));
  const double difference = parameter_difference(dir.file("two.tpp"), dir.file("one.tpp"));
  std::printf("largest relative parameter difference, 2 processes vs 1: %.3g\n", difference);
  EXPECT_LT(difference, kReductionOrderTolerance);
  // The dev likelihood is all-reduced: the same number as one process computes.
  const double one = summary(dir.file("one.out")).at("best_dev_ll_per_event");
  const double two = summary(dir.file("two.out")).at("best_dev_ll_per_event");
  EXPECT_NEAR(two, one, kReductionOrderTolerance * std::abs(one));
  // Only rank 0 reports: one summary and one record per epoch.
  EXPECT_EQ(summary(dir.file("two.out")).at("epochs"), 2);
  std::istringstream lines(read_text(dir.file("two.out")));
  int records = 0;
  for (std::string line; std::getline(lines, line);) records += line.find("\"dev_ll_per_event\"") != std::string::npos;
  EXPECT_EQ(records, 2);
}

INSTANTIATE_TEST_SUITE_P(Models, TwoProcesses, ::testing::Values("rmtpp", "thp"));

TEST(DistributedTraining, ResumesUnderTwoProcessesAsIfNeverStopped) {
  if (!distributed_available()) GTEST_SKIP() << "built without c10d";
  testing::TempDir dir;
  ASSERT_EQ(run(launch(2) + train_command(config("rmtpp", 3), dir.file("whole.tpp")), dir.file("whole.out")), 0)
      << read_text(dir.file("whole.out.err"));
  // Two epochs, then the same run continued to three from rank 0's checkpoint.
  ASSERT_EQ(run(launch(2) + train_command(config("rmtpp", 2), dir.file("part.tpp")), dir.file("a.out")), 0)
      << read_text(dir.file("a.out.err"));
  ASSERT_TRUE(std::filesystem::exists(dir.file("part.tpp.ckpt")));
  ASSERT_EQ(run(launch(2) + train_command(config("rmtpp", 3), dir.file("part.tpp"), "--resume"), dir.file("b.out")), 0)
      << read_text(dir.file("b.out.err"));
  EXPECT_EQ(summary(dir.file("b.out")).at("epochs"), 3);  // the history carries the first two epochs
  // Same ranks, same order of sums: the resumed run is the uninterrupted one exactly.
  EXPECT_EQ(parameter_difference(dir.file("part.tpp"), dir.file("whole.tpp")), 0.0);
}

TEST(DistributedTraining, RanksReadingDifferentDataStopWithAnError) {
  if (!distributed_available()) GTEST_SKIP() << "built without c10d";
  testing::TempDir dir;
  const std::string master = "127.0.0.1:" + std::to_string(free_loopback_port());
  const std::string flags = " --world-size 2 --master " + master + " --collective-timeout 30 --rank ";
  std::string rank1 = train_command(config("rmtpp", 1), dir.file("m.tpp"), flags + "1");
  rank1.replace(rank1.find("time-1-train.txt"), 16, "time-2-train.txt");
  std::ofstream(dir.file("both.sh")) << train_command(config("rmtpp", 1), dir.file("m.tpp"), flags + "0") << " 2> '"
                                    << dir.file("r0.err") << "' &\n"
                                    << rank1 << " 2> '" << dir.file("r1.err") << "'\nwait\n";
  run("sh '" + dir.file("both.sh") + "'", dir.file("both.out"));
  const std::string err = read_text(dir.file("r1.err"));
  EXPECT_NE(err.find("rank 1 read 585 training sequences with"), std::string::npos) << err;
  EXPECT_NE(err.find("every rank must read the same training data"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.tpp")));  // rank 0 fails too, writing nothing
}

TEST(DistributedTraining, BadRankOrMasterIsAnInputError) {
  testing::TempDir dir;
  const auto cfg = config("rmtpp", 1);
  EXPECT_EQ(run(train_command(cfg, dir.file("m.tpp"), "--world-size 2 --rank 2"), dir.file("r.out")), 2);
  EXPECT_NE(read_text(dir.file("r.out.err")).find("--rank: must be in [0, 2)"), std::string::npos)
      << read_text(dir.file("r.out.err"));
  EXPECT_EQ(run(train_command(cfg, dir.file("m.tpp"), "--world-size 2 --rank 1 --master nohost"), dir.file("m.out")), 2);
  EXPECT_NE(read_text(dir.file("m.out.err")).find("--master: expected HOST:PORT"), std::string::npos)
      << read_text(dir.file("m.out.err"));
}

}  // namespace
}  // namespace tpp
