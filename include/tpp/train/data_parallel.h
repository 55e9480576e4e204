#pragma once
// What the trainer needs from a group of processes that train one model together (data
// parallelism): sums over the group and a broadcast. The trainer sees only this interface, so the
// library's training code never depends on a communication library; distributed/ implements it
// with LibTorch's c10d (docs/scaling.md).
//
// Every rank walks the same global batches (the single-process order from the same seed) and
// computes the terms of its shard of each batch; the gradient, the loss and the action count are
// summed over the group before the step, so every rank takes the same step, that of one process
// on the whole batch, up to the order of the floating-point sums.
#include <torch/torch.h>

#include <cstddef>
#include <vector>

namespace tpp {

class Collectives {
 public:
  virtual ~Collectives() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  // Sums each tensor elementwise over the group, in place; every rank ends with the same values.
  // The tensors are reduced as separate operations, all in flight together. Throws tpp::Error when
  // a rank has died or the group's timeout passes.
  virtual void all_reduce_sum(std::vector<torch::Tensor>& tensors) = 0;
  // Every rank's tensors take the values of rank `root`'s, in place.
  virtual void broadcast(std::vector<torch::Tensor>& tensors, int root) = 0;
};

// Rank `rank`'s part of a global batch: positions rank, rank + world_size, ... A length-sorted
// batch so gives every rank sequences of about the same lengths, hence about the same work.
std::vector<std::size_t> shard_of_batch(const std::vector<std::size_t>& batch, int rank, int world_size);

// The default gradient bucket: large enough that per-operation latency is amortised, small enough
// that reducing one bucket overlaps with the next one's transfer (PyTorch's DDP uses the same).
constexpr std::size_t kGradientBucketBytes = 25u << 20;

// A flat gradient cut into buckets of about `bucket_bytes`: views of `flat`, so reducing them in
// place reduces `flat` and nothing is copied.
std::vector<torch::Tensor> gradient_buckets(const torch::Tensor& flat, std::size_t bucket_bytes = kGradientBucketBytes);

}  // namespace tpp
