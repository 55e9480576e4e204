#pragma once
// Joining a group of processes that train one model (train/data_parallel.h's Collectives) over
// LibTorch's c10d: rank 0 hosts a TCPStore at the master address, every rank meets the others
// there, and the sums run over ProcessGroupGloo (CPU tensors) or ProcessGroupNCCL (CUDA tensors,
// when built with NCCL). Every operation and the rendezvous are bounded by a timeout, so a rank
// that died or never came makes the others fail with a tpp::Error instead of waiting for ever.
#include <cstdint>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "tpp/train/data_parallel.h"

namespace tpp {

struct MasterAddress {
  std::string host;
  std::uint16_t port{0};
};
// "HOST:PORT" (HOST a name or an IPv4 address, PORT in [1, 65535]); `where` names the option in errors.
MasterAddress parse_master_address(const std::string& text, const std::string& where = "--master");

struct GroupOptions {
  int world_size{1};
  int rank{0};
  MasterAddress master{"127.0.0.1", 29500};
  double timeout_seconds{300};     // rendezvous and every collective operation
  torch::Device device{torch::kCPU};  // the tensors' device: CUDA selects NCCL where built with it
};

// A loopback TCP port nobody listens on now (the kernel's choice, released again): a default
// master port for a group on one machine. Another process may take it in between, in which case
// rank 0 fails to host the rendezvous with an error naming the address.
std::uint16_t free_loopback_port();

// Whether this build has c10d (TCPStore and Gloo); without it join_process_group throws.
bool distributed_available();

// Blocks until all world_size ranks have met (or the timeout passes: tpp::Error).
std::unique_ptr<Collectives> join_process_group(const GroupOptions& options);

}  // namespace tpp
