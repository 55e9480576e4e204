// The trainer's side of data parallelism (train/data_parallel.h): how a global batch is shared out
// and how a flat gradient is cut into buckets.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "tpp/core/error.h"
#include "tpp/train/data_parallel.h"

namespace tpp {
namespace {

TEST(ShardOfBatch, EveryPositionGoesToExactlyOneRankInTurn) {
  std::vector<std::size_t> batch(11);
  std::iota(batch.begin(), batch.end(), 100);
  for (int world = 1; world <= 4; ++world) {
    std::vector<std::size_t> seen;
    for (int rank = 0; rank < world; ++rank) {
      const auto shard = shard_of_batch(batch, rank, world);
      // Strided: rank r holds positions r, r + world, ...; sizes differ by at most one.
      for (std::size_t i = 0; i < shard.size(); ++i) EXPECT_EQ(shard[i], batch[rank + i * world]);
      EXPECT_LE(shard.size(), (batch.size() + world - 1) / world);
      EXPECT_GE(shard.size(), batch.size() / world);
      seen.insert(seen.end(), shard.begin(), shard.end());
    }
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, batch) << "world " << world;
  }
  EXPECT_TRUE(shard_of_batch({7}, 1, 2).empty());  // a rank may have nothing in a small batch
  EXPECT_THROW(shard_of_batch(batch, 2, 2), Error);
  EXPECT_THROW(shard_of_batch(batch, -1, 2), Error);
}

TEST(GradientBuckets, ViewsThatTileTheGradient) {
  auto flat = torch::zeros({10}, torch::kFloat64);
  const auto buckets = gradient_buckets(flat, 3 * sizeof(double));
  ASSERT_EQ(buckets.size(), 4u);  // 3 + 3 + 3 + 1
  int64_t total = 0;
  for (std::size_t b = 0; b < buckets.size(); ++b) {
    total += buckets[b].numel();
    buckets[b].fill_(static_cast<double>(b + 1));  // writes through to flat
  }
  EXPECT_EQ(total, 10);
  EXPECT_TRUE(torch::equal(flat, torch::tensor({1., 1., 1., 2., 2., 2., 3., 3., 3., 4.}, torch::kFloat64)));
  // The default 25 MB bucket holds a small model's gradient whole; a partial bucket keeps its size.
  EXPECT_EQ(gradient_buckets(flat).size(), 1u);
  EXPECT_EQ(gradient_buckets(torch::zeros({5}, torch::kFloat32), 8).size(), 3u);
  EXPECT_THROW(gradient_buckets(torch::zeros({2, 3})), Error);
}

}  // namespace
}  // namespace tpp
