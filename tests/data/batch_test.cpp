#include "tpp/data/batch.h"

#include <gtest/gtest.h>

#include "../test_support.h"

namespace tpp {

TEST(Batch, IntervalsCoverEachWindowAndPaddingIsEmpty) {
  auto d = testing::make_dataset(2, {{{1.0, 0}, {1.5, 1}, {4.0, 0}}, {{2.0, 1}}}, {5.0, 3.0});
  d.sequences[1].t_start = -1.0;  // window [-1, 3]: times become relative to -1
  Context ctx;
  Batch b = make_batch(d, ctx);
  ASSERT_EQ(b.batch_size(), 2);
  ASSERT_EQ(b.max_length(), 3);
  EXPECT_TRUE(torch::allclose(b.span.sum(1), b.t_end));
  EXPECT_DOUBLE_EQ(b.t_end[1].item<double>(), 4.0);
  EXPECT_DOUBLE_EQ(b.time[1][0].item<double>(), 3.0);
  EXPECT_DOUBLE_EQ(b.span[1][1].item<double>(), 1.0);
  EXPECT_DOUBLE_EQ(b.span[1][2].item<double>(), 0.0);
  EXPECT_DOUBLE_EQ(b.span[0][3].item<double>(), 1.0);
  EXPECT_EQ(b.mask.sum().item<int64_t>(), 4);
  EXPECT_EQ(b.length[1].item<int64_t>(), 1);
}

TEST(Batch, StimuliGetTheirOwnTypeIdsAndLeaveTheActionMask) {
  auto d = testing::make_dataset(3, {{{1.0, 2}, {2.0, 1}}}, {3.0});
  d.schema.num_stimulus_types = 2;
  d.sequences[0].events[1].is_stimulus = true;
  Batch b = make_batch(d, Context{});
  EXPECT_EQ(b.type[0][1].item<int64_t>(), 3 + 1);
  EXPECT_FALSE(b.action_mask[0][1].item<bool>());
  EXPECT_TRUE(b.action_mask[0][0].item<bool>());
}

TEST(Batch, SliceKeepsRowsAndTrimsPadding) {
  auto d = testing::make_dataset(1, {{{1.0, 0}, {2.0, 0}, {2.5, 0}}, {{0.5, 0}}}, {3.0, 1.0});
  Batch b = make_batch(d, Context{}).slice(1, 2);
  EXPECT_EQ(b.max_length(), 1);
  EXPECT_EQ(b.span.size(1), 2);
  EXPECT_DOUBLE_EQ(b.span[0][1].item<double>(), 0.5);
}

TEST(Batch, IndicesPartitionAllSequencesAndShuffleIsSeeded) {
  auto a = batch_indices(10, 4, true, 7), b = batch_indices(10, 4, true, 7);
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[2].size(), 2u);
  std::vector<std::size_t> all;
  for (auto& g : a) all.insert(all.end(), g.begin(), g.end());
  std::sort(all.begin(), all.end());
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(all[i], i);
}

}  // namespace tpp
