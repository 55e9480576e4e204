#include "tpp/core/context.h"

#include <thread>

#include "tpp/core/blas.h"
#include "tpp/core/error.h"

namespace tpp {

void Context::apply() const {
  int n = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
  if (n > 0) torch::set_num_threads(n);
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
