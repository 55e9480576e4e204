#pragma once
// The one place where LibTorch's c10d API differs between the versions tpp builds against. In
// 1.13 (Debian) ProcessGroupGloo and ProcessGroupNCCL derive from c10d::ProcessGroup; from 2.0
// the process group dispatches to per-device backends and both derive from c10d::Backend, which
// offers the same allreduce/broadcast calls returning c10d::Work.
#include <torch/version.h>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef TPP_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace tpp::c10d_api {

#if TORCH_VERSION_MAJOR >= 2
using Collective = ::c10d::Backend;
#else
using Collective = ::c10d::ProcessGroup;
#endif

// The store options: 2.x added fields (masterListenFd, useLibUV) whose defaults suit us.
inline ::c10d::TCPStoreOptions store_options(std::uint16_t port, bool is_server, int world_size,
                                             std::chrono::milliseconds timeout) {
  ::c10d::TCPStoreOptions options;
  options.port = port;
  options.isServer = is_server;
  options.numWorkers = static_cast<std::size_t>(world_size);
  options.waitWorkers = true;
  options.timeout = timeout;
  return options;
}

}  // namespace tpp::c10d_api
