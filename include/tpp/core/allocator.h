#pragma once
// Process-wide malloc settings for tensor workloads.

namespace tpp {

// glibc serves blocks above its mmap threshold (at most 32 MiB) with fresh mmap pages and returns
// them on free, so every training step page-faults its large activations in again: half the time
// of a THP epoch on 150–275-event sequences went to page faults. Raising the mmap threshold to
// 32 MiB and the trim threshold keeps freed blocks of up to 32 MiB in the heap for reuse; larger
// ones are still mapped and returned, so blocks of every batch shape do not pile up. Returns
// whether the settings were applied (false off glibc, where this does nothing).
bool keep_large_blocks_in_heap();

}  // namespace tpp
