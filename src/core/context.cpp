#include "tpp/core/context.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "tpp/core/blas.h"
#include "tpp/core/error.h"

namespace tpp {

namespace {

// --threads 0: the cores no other process keeps busy. LibTorch's OpenMP threads meet at the end of
// every parallel region, so one thread that shares its core with another process holds all the
// others back: on 2 cores with one busy, 2 threads ran 2.5x slower than 1 (docs/performance.md).
// The 1-minute load average, rounded, counts the busy cores (this process has barely started).
int free_cores() {
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  double load = 0;
  if (getloadavg(&load, 1) != 1) return cores;
  return std::clamp(cores - static_cast<int>(std::lround(load)), 1, cores);
}

}  // namespace

void Context::apply() const {
  torch::set_num_threads(threads > 0 ? threads : free_cores());
  run_blas_on_calling_thread();
  torch::manual_seed(seed);
}

torch::Device Context::parse_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available()) throw Error("--device " + name + ": CUDA is not available in this build or machine");
    return torch::Device(name);
  }
  throw Error("--device: unknown device '" + name + "' (expected cpu or cuda[:N])");
}

torch::Dtype Context::parse_dtype(const std::string& name) {
  if (name == "float64" || name == "double") return torch::kFloat64;
  if (name == "float32" || name == "float") return torch::kFloat32;
  throw Error("dtype: unknown '" + name + "' (expected float32 or float64)");
}

std::string Context::dtype_name(torch::Dtype dtype) { return dtype == torch::kFloat32 ? "float32" : "float64"; }

}  // namespace tpp
