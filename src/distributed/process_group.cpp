#include "tpp/distributed/process_group.h"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <thread>

#include "tpp/core/error.h"

#ifdef TPP_HAVE_C10D
#include "c10d_api.h"
#endif

namespace tpp {

MasterAddress parse_master_address(const std::string& text, const std::string& where) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw Error(fmt::format("{}: expected HOST:PORT, got \"{}\"", where, text));
  const std::string port = text.substr(colon + 1);
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 || std::stoi(port) < 1 ||
      std::stoi(port) > 65535)
    throw Error(fmt::format("{}: port \"{}\" is not an integer in [1, 65535] (in \"{}\")", where, port, text));
  return {text.substr(0, colon), static_cast<std::uint16_t>(std::stoi(port))};
}

std::uint16_t free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error(std::string("no socket to find a free port: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t size = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    const std::string reason = std::strerror(errno);
    close(fd);
    throw Error("no free loopback port: " + reason);
  }
  close(fd);
  return ntohs(address.sin_port);
}

#ifdef TPP_HAVE_C10D

namespace {

std::string message_of(const std::exception& e) {
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) return c10->what_without_backtrace();
  return e.what();
}

bool is_loopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0; }

class C10dGroup final : public Collectives {
 public:
  C10dGroup(c10::intrusive_ptr<::c10d::Store> store, c10::intrusive_ptr<c10d_api::Collective> group,
            const GroupOptions& options)
      : store_(std::move(store)), group_(std::move(group)), options_(options) {}

  int rank() const override { return options_.rank; }
  int world_size() const override { return options_.world_size; }

  void all_reduce_sum(std::vector<torch::Tensor>& tensors) override {
    run("all-reduce", tensors, [this](std::vector<at::Tensor>& one) { return group_->allreduce(one); });
  }

  void broadcast(std::vector<torch::Tensor>& tensors, int root) override {
    ::c10d::BroadcastOptions options;
    options.rootRank = root;
    run("broadcast", tensors, [this, &options](std::vector<at::Tensor>& one) { return group_->broadcast(one, options); });
  }

 private:
  // Launches one operation per tensor, then waits for each: a failure or the timeout on any rank
  // becomes a tpp::Error naming this rank.
  template <typename Launch>
  void run(const char* what, std::vector<torch::Tensor>& tensors, Launch launch) {
    try {
      std::vector<std::vector<at::Tensor>> inputs;
      inputs.reserve(tensors.size());
      std::vector<c10::intrusive_ptr<::c10d::Work>> work;
      for (auto& t : tensors) {
        inputs.push_back({t});
        work.push_back(launch(inputs.back()));
      }
      for (auto& w : work) w->wait(timeout());
    } catch (const std::exception& e) {
      throw Error(fmt::format("distributed training: rank {} of {}: {} failed: another rank died, was stopped or "
                              "did not answer within {} s: {}",
                              options_.rank, options_.world_size, what, options_.timeout_seconds, message_of(e)));
    }
  }

  std::chrono::milliseconds timeout() const {
    return std::chrono::milliseconds(static_cast<int64_t>(options_.timeout_seconds * 1000));
  }

  c10::intrusive_ptr<::c10d::Store> store_;  // kept alive: rank 0's hosts the rendezvous
  c10::intrusive_ptr<c10d_api::Collective> group_;
  GroupOptions options_;
};

// TCPStore's client waits a second after each refused connection (LibTorch 1.13), and ranks start
// together while rank 0 hosts only once it has read its data: the other ranks poll the address
// every 20 ms first, so the rendezvous costs what it must. A bare connection counts for nothing
// at the store (ranks count themselves through a key). Returns at the deadline regardless; the
// store then reports the failure itself.
void wait_until_listening(const MasterAddress& master, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  while (std::chrono::steady_clock::now() < deadline) {
    addrinfo* found = nullptr;
    if (getaddrinfo(master.host.c_str(), std::to_string(master.port).c_str(), &hints, &found) == 0) {
      bool accepted = false;
      for (addrinfo* a = found; a && !accepted; a = a->ai_next) {
        const int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0) continue;
        accepted = connect(fd, a->ai_addr, a->ai_addrlen) == 0;
        close(fd);
      }
      freeaddrinfo(found);
      if (accepted) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

c10::intrusive_ptr<c10d_api::Collective> gloo_group(const c10::intrusive_ptr<::c10d::Store>& store,
                                                    const GroupOptions& options, std::chrono::milliseconds timeout) {
  auto gloo = ::c10d::ProcessGroupGloo::Options::create(timeout);
  // Loopback for a group on one machine; otherwise the address this machine's name resolves to
  // (the interface the other hosts reach it on).
  gloo->devices.push_back(is_loopback(options.master.host)
                              ? ::c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                              : ::c10d::ProcessGroupGloo::createDefaultDevice());
  return c10::make_intrusive<::c10d::ProcessGroupGloo>(store, options.rank, options.world_size, gloo);
}

}  // namespace

bool distributed_available() { return true; }

std::unique_ptr<Collectives> join_process_group(const GroupOptions& options) {
  if (options.world_size < 1) throw Error(fmt::format("--world-size: must be at least 1, got {}", options.world_size));
  if (options.rank < 0 || options.rank >= options.world_size)
    throw Error(fmt::format("--rank: must be in [0, {}) for --world-size {}, got {}", options.world_size,
                            options.world_size, options.rank));
  if (!(options.timeout_seconds > 0)) throw Error("distributed training: the timeout must be positive");
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(options.timeout_seconds * 1000));
  const std::string where = fmt::format("{}:{}", options.master.host, options.master.port);
  c10::intrusive_ptr<::c10d::Store> store;
  if (options.rank > 0) wait_until_listening(options.master, timeout);
  try {
    store = c10::make_intrusive<::c10d::TCPStore>(
        options.master.host,
        c10d_api::store_options(options.master.port, options.rank == 0, options.world_size, timeout));
  } catch (const std::exception& e) {
    throw Error(fmt::format("distributed training: rank {} of {} could not {} the rendezvous at {} within {} s: {}",
                            options.rank, options.world_size, options.rank == 0 ? "host" : "reach", where,
                            options.timeout_seconds, message_of(e)));
  }
  try {
    c10::intrusive_ptr<c10d_api::Collective> group;
    if (options.device.is_cuda()) {
#ifdef TPP_HAVE_NCCL
      auto nccl = ::c10d::ProcessGroupNCCL::Options::create();
      nccl->timeout = timeout;
      group = c10::make_intrusive<::c10d::ProcessGroupNCCL>(store, options.rank, options.world_size, nccl);
#else
      throw Error("distributed training on CUDA needs a build with NCCL (ProcessGroupNCCL); this one has Gloo only");
#endif
    } else {
      group = gloo_group(store, options, timeout);
    }
    return std::make_unique<C10dGroup>(store, group, options);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(fmt::format("distributed training: rank {} of {} could not form the group at {} within {} s: {}",
                            options.rank, options.world_size, where, options.timeout_seconds, message_of(e)));
  }
}

#else  // LibTorch without c10d or Gloo

bool distributed_available() { return false; }

std::unique_ptr<Collectives> join_process_group(const GroupOptions& options) {
  throw Error(fmt::format("--world-size {}: this tpp was built without LibTorch's distributed package (c10d with "
                          "Gloo: CMake found no torch/csrc/distributed/c10d/ProcessGroupGloo.hpp or gloo headers)",
                          options.world_size));
}

#endif

}  // namespace tpp
