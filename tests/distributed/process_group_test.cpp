// The c10d group (distributed/process_group.h) on loopback, its ranks as threads of this process:
// sums and broadcasts agree on every rank, and a rank that leaves or never comes ends the others
// with a tpp::Error within the timeout instead of a hang.
#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <thread>

#include "tpp/core/error.h"
#include "tpp/distributed/process_group.h"

namespace tpp {
namespace {

#define TPP_REQUIRE_DISTRIBUTED() \
  if (!distributed_available()) GTEST_SKIP() << "built without c10d"

GroupOptions rank_options(int rank, int world, std::uint16_t port, double timeout) {
  GroupOptions o;
  o.world_size = world;
  o.rank = rank;
  o.master = {"127.0.0.1", port};
  o.timeout_seconds = timeout;
  return o;
}

// Runs body(rank) on `world` threads and rethrows the first failure.
template <typename Body>
void on_ranks(int world, Body body) {
  std::vector<std::exception_ptr> errors(world);
  std::vector<std::thread> threads;
  for (int rank = 0; rank < world; ++rank)
    threads.emplace_back([&, rank] {
      try {
        body(rank);
      } catch (...) {
        errors[rank] = std::current_exception();
      }
    });
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

TEST(MasterAddress, ParsesHostAndPortAndNamesTheOptionOnError) {
  const auto a = parse_master_address("node-7.cluster:29500");
  EXPECT_EQ(a.host, "node-7.cluster");
  EXPECT_EQ(a.port, 29500);
  for (const char* bad : {"node7", ":29500", "node7:", "node7:0", "node7:65536", "node7:29x", "node7:-1"}) {
    try {
      parse_master_address(bad, "--master");
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("--master"), std::string::npos) << e.what();
    }
  }
}

TEST(ProcessGroup, SumsBucketsAndBroadcastsAlikeOnEveryRank) {
  TPP_REQUIRE_DISTRIBUTED();
  const int world = 3;
  const std::uint16_t port = free_loopback_port();
  std::vector<torch::Tensor> sums(world), broadcasts(world);
  on_ranks(world, [&](int rank) {
    auto group = join_process_group(rank_options(rank, world, port, 30));
    EXPECT_EQ(group->rank(), rank);
    EXPECT_EQ(group->world_size(), world);
    // Rank r contributes (r + 1)·[0, 1, ..., 9] in four buckets plus a float32 scalar.
    auto flat = torch::arange(10, torch::kFloat64) * (rank + 1);
    auto reduced = gradient_buckets(flat, 3 * sizeof(double));
    reduced.push_back(torch::full({1}, static_cast<float>(rank), torch::kFloat32));
    group->all_reduce_sum(reduced);
    sums[rank] = flat;
    EXPECT_FLOAT_EQ(reduced.back().item<float>(), 0.f + 1.f + 2.f);
    std::vector<torch::Tensor> value{torch::full({4}, 10.0 * rank, torch::kFloat64)};
    group->broadcast(value, 1);
    broadcasts[rank] = value[0];
  });
  const auto expected = torch::arange(10, torch::kFloat64) * (1 + 2 + 3);
  for (int rank = 0; rank < world; ++rank) {
    EXPECT_TRUE(torch::equal(sums[rank], expected)) << "rank " << rank;
    EXPECT_TRUE(torch::equal(broadcasts[rank], torch::full({4}, 10.0, torch::kFloat64))) << "rank " << rank;
  }
}

TEST(ProcessGroup, ARankThatLeavesEndsTheOthersWithAnErrorNotAHang) {
  TPP_REQUIRE_DISTRIBUTED();
  const std::uint16_t port = free_loopback_port();
  const double timeout = 5;
  std::string message;
  double waited = 0;
  on_ranks(2, [&](int rank) {
    auto group = join_process_group(rank_options(rank, 2, port, timeout));
    if (rank == 1) return;  // leaves: its group (and its connections) are destroyed
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::vector<torch::Tensor> t{torch::ones({8}, torch::kFloat64)};
    const auto began = std::chrono::steady_clock::now();
    try {
      group->all_reduce_sum(t);
    } catch (const Error& e) {
      message = e.what();
    }
    waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  });
  EXPECT_NE(message.find("rank 0 of 2"), std::string::npos) << message;
  EXPECT_NE(message.find("all-reduce failed"), std::string::npos) << message;
  EXPECT_LT(waited, 3 * timeout);  // the closed connection or, at worst, the timeout ends it
}

TEST(ProcessGroup, ARendezvousNobodyHostsTimesOutWithTheAddress) {
  TPP_REQUIRE_DISTRIBUTED();
  const std::uint16_t port = free_loopback_port();
  const auto began = std::chrono::steady_clock::now();
  try {
    join_process_group(rank_options(1, 2, port, 1));
    FAIL() << "joined a group without rank 0";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("rank 1 of 2 could not reach"), std::string::npos) << message;
    EXPECT_NE(message.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << message;
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count(), 20);
}

TEST(ProcessGroup, RejectsARankOutsideTheWorld) {
  EXPECT_THROW(join_process_group(rank_options(2, 2, 29500, 1)), Error);
  EXPECT_THROW(join_process_group(rank_options(0, 0, 29500, 1)), Error);
}

}  // namespace
}  // namespace tpp
