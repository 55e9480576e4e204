#pragma once
// The BLAS that LibTorch's CPU matrix products reach through libblas.so.3, found at run time:
// Debian lets the administrator choose it (update-alternatives), so the engine cannot know it when
// it is built. What matters to callers is whether several threads may run products at once: a
// serial OpenBLAS (libopenblas0-serial) keeps one unguarded work buffer, and concurrent products
// through it come out wrong now and then (bench/blas_threads.cpp); the pthread build and the
// reference BLAS are safe to call concurrently.
#include <string>

namespace tpp {

struct BlasInfo {
  std::string name;        // e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ... (pthread)", or "unknown (not OpenBLAS)"
  bool thread_safe{true};  // concurrent products from several threads give the results they give alone
};

// Probed once, on first use.
const BlasInfo& blas_info();

// Makes a threaded OpenBLAS run each product on the calling thread alone, as the serial build
// does: the engine's parallelism is LibTorch's intra-op pool (--threads) and the server's
// workers, and a BLAS pool of its own would compete with them for the same cores. It also keeps
// results and timings the same whichever OpenBLAS build is installed. No effect on other BLAS.
void run_blas_on_calling_thread();

}  // namespace tpp
