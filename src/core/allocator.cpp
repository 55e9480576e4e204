#include "tpp/core/allocator.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tpp {

bool keep_large_blocks_in_heap() {
#if defined(__GLIBC__)
  constexpr int kMmapThreshold = 1 << 30;  // setting it also stops glibc's own adjustment
  constexpr int kTrimThreshold = 1 << 30;
  const bool mmap_ok = mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1;
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
  return mmap_ok && trim_ok;
#else
  return false;
#endif
}

}  // namespace tpp
