#include <gtest/gtest.h>

#include <torch/torch.h>

#include "tpp/core/allocator.h"

namespace tpp {
namespace {

// The test binary runs with the CLI's allocator settings too.
const bool kTuned = keep_large_blocks_in_heap();

TEST(Allocator, LargeTensorsAreReusedAfterTheSettings) {
#if defined(__GLIBC__)
  EXPECT_TRUE(kTuned);
#endif
  // A large block freed and asked for again must still be usable, with its contents rewritten.
  for (int round = 0; round < 3; ++round) {
    auto t = torch::full({int64_t{1} << 23}, static_cast<double>(round), torch::kFloat64);  // 64 MiB
    EXPECT_EQ(t.sum().item<double>(), static_cast<double>(round) * static_cast<double>(int64_t{1} << 23));
  }
}

}  // namespace
}  // namespace tpp
