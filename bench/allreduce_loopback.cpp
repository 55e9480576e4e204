// Time of one gradient all-reduce between ranks on this machine (loopback, Gloo), by gradient
// size: the communication term of docs/scaling.md's model of data-parallel steps. The ranks are
// threads of this process, each with its own group, as separate processes would be.
//   allreduce_loopback [WORLD_SIZE=2] [REPEATS=50]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "tpp/distributed/process_group.h"

int main(int argc, char** argv) {
  const int world = argc > 1 ? std::atoi(argv[1]) : 2;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 50;
  if (!tpp::distributed_available()) {
    std::fprintf(stderr, "built without c10d\n");
    return 1;
  }
  torch::set_num_threads(1);
  const std::vector<int64_t> sizes{16, 1000, 10000, 100000, 1000000, 4000000};
  const std::uint16_t port = tpp::free_loopback_port();
  std::vector<std::vector<double>> median(world, std::vector<double>(sizes.size()));
  std::vector<std::thread> ranks;
  for (int rank = 0; rank < world; ++rank)
    ranks.emplace_back([&, rank] {
      tpp::GroupOptions options;
      options.world_size = world;
      options.rank = rank;
      options.master = {"127.0.0.1", port};
      auto group = tpp::join_process_group(options);
      for (std::size_t s = 0; s < sizes.size(); ++s) {
        auto flat = torch::ones({sizes[s]}, torch::kFloat64);
        std::vector<double> seconds;
        for (int r = 0; r < repeats + 3; ++r) {
          auto buckets = tpp::gradient_buckets(flat);
          const auto began = std::chrono::steady_clock::now();
          group->all_reduce_sum(buckets);
          if (r >= 3) seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
        }
        std::nth_element(seconds.begin(), seconds.begin() + seconds.size() / 2, seconds.end());
        median[rank][s] = seconds[seconds.size() / 2];
      }
    });
  for (auto& t : ranks) t.join();
  std::printf("world %d, float64 gradient, median of %d all-reduces (rank 0)\n", world, repeats);
  std::printf("%12s %12s %12s %12s\n", "elements", "bytes", "seconds", "MB/s");
  for (std::size_t s = 0; s < sizes.size(); ++s) {
    const double bytes = 8.0 * static_cast<double>(sizes[s]);
    std::printf("%12lld %12.0f %12.3g %12.1f\n", static_cast<long long>(sizes[s]), bytes, median[0][s],
                bytes / median[0][s] / 1e6);
  }
  return 0;
}
