#pragma once
// Device, dtype, seed and threads travel together into every component instead of globals.
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace tpp {

struct Context {
  torch::Device device{torch::kCPU};
  torch::Dtype dtype{torch::kFloat64};
  std::uint64_t seed{0};
  int threads{0};          // 0: the cores not already busy (apply())
  bool progress{false};    // progress lines on stderr (CLI turns this on for a TTY)

  torch::TensorOptions options() const { return torch::TensorOptions().dtype(dtype).device(device); }
  // Applies threads and seeds LibTorch's global generator.
  void apply() const;
  // "cpu", "cuda", "cuda:1"; "float32"/"float64".
  static torch::Device parse_device(const std::string& name);
  static torch::Dtype parse_dtype(const std::string& name);
  static std::string dtype_name(torch::Dtype dtype);
};

}  // namespace tpp
