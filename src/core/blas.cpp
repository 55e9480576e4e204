#include "tpp/core/blas.h"

#include <dlfcn.h>

namespace tpp {

namespace {
// OpenBLAS's own introspection (cblas.h declares them; looked up by name so that any BLAS links).
using GetParallel = int (*)();
using GetConfig = char* (*)();
using SetNumThreads = void (*)(int);

template <class F>
F lookup(const char* symbol) {
  return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, symbol));
}

BlasInfo probe() {
  BlasInfo info;
  auto get_parallel = lookup<GetParallel>("openblas_get_parallel");
  auto get_config = lookup<GetConfig>("openblas_get_config");
  if (!get_parallel) {
    // The reference BLAS and the other optimised ones Debian offers (BLIS, ATLAS, MKL) are reentrant.
    info.name = "unknown (not OpenBLAS)";
    return info;
  }
  const int parallel = get_parallel();  // 0: serial build, 1: pthreads, 2: OpenMP
  info.name = std::string(get_config ? get_config() : "OpenBLAS") +
              (parallel == 0 ? " (serial)" : parallel == 1 ? " (pthread)" : " (openmp)");
  info.thread_safe = parallel != 0;
  return info;
}
}  // namespace

const BlasInfo& blas_info() {
  static const BlasInfo info = probe();
  return info;
}

void run_blas_on_calling_thread() {
  if (auto set_threads = lookup<SetNumThreads>("openblas_set_num_threads")) set_threads(1);
}

}  // namespace tpp
