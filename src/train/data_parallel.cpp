#include "tpp/train/data_parallel.h"

#include <algorithm>

#include "tpp/core/error.h"

namespace tpp {

std::vector<std::size_t> shard_of_batch(const std::vector<std::size_t>& batch, int rank, int world_size) {
  if (world_size < 1 || rank < 0 || rank >= world_size)
    throw Error("data parallel: rank " + std::to_string(rank) + " is not in [0, " + std::to_string(world_size) + ")");
  std::vector<std::size_t> shard;
  for (std::size_t i = static_cast<std::size_t>(rank); i < batch.size(); i += static_cast<std::size_t>(world_size))
    shard.push_back(batch[i]);
  return shard;
}

std::vector<torch::Tensor> gradient_buckets(const torch::Tensor& flat, std::size_t bucket_bytes) {
  if (!flat.is_contiguous() || flat.dim() != 1) throw Error("data parallel: the gradient must be one contiguous vector");
  const int64_t per_bucket =
      std::max<int64_t>(1, static_cast<int64_t>(bucket_bytes / static_cast<std::size_t>(flat.element_size())));
  std::vector<torch::Tensor> buckets;
  for (int64_t offset = 0; offset < flat.numel(); offset += per_bucket)
    buckets.push_back(flat.narrow(0, offset, std::min(per_bucket, flat.numel() - offset)));
  return buckets;
}

}  // namespace tpp
