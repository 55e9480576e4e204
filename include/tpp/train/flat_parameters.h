#pragma once
// A module's trainable parameters as views into one contiguous tensor, with their gradients as
// views into another. An optimiser given flat() then steps, clips and zeroes with a handful of
// whole-vector operations instead of a handful per parameter: for the small models of this field
// the per-parameter dispatch of Adam was a tenth of a training step. Adam is elementwise, so the
// trajectory is that of per-parameter Adam.
#include <torch/torch.h>

#include <vector>

namespace tpp {

class FlatParameters {
 public:
  // Moves every parameter that requires a gradient into the flat storage (same values); the
  // module keeps its parameter objects, now viewing that storage. All must share dtype and device.
  explicit FlatParameters(torch::nn::Module& module);
  // After something replaced the parameters' storage (Module::load does): copies their values
  // into the flat storage and makes them view it again.
  void rebind(torch::nn::Module& module);
  // The flat leaf: its grad() holds every parameter's gradient, accumulated in place by backward.
  torch::Tensor flat() const { return flat_; }
  void zero_grad() { flat_.mutable_grad().zero_(); }
  int64_t numel() const { return flat_.numel(); }

 private:
  torch::Tensor flat_;
  std::vector<int64_t> sizes_;  // numel of each trainable parameter, in module order
};

}  // namespace tpp
