#include "tpp/core/allocator.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace tpp {

bool keep_large_blocks_in_heap() {
#if defined(__GLIBC__)
  // Blocks up to 32 MiB (glibc's own ceiling for its adjustment) stay in the heap for reuse;
  // larger ones (attention scores of long batches) are mapped and returned on free. Keeping those
  // too made a heap of freed blocks of every batch shape: Stack Overflow training peaked at
  // 2.05 GB resident for 1.05 GB live, against 1.51-1.66 GB with this bound, at 5% of the speed.
  // Setting the threshold also stops glibc's own adjustment.
  constexpr int kMmapThreshold = 32 << 20;
  constexpr int kTrimThreshold = 1 << 30;
  const bool mmap_ok = mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1;
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
  return mmap_ok && trim_ok;
#else
  return false;
#endif
}

}  // namespace tpp
