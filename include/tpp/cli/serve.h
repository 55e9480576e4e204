#pragma once
// tpp serve: the prediction server (serve/) for one saved model, until SIGINT or SIGTERM, after
// which it writes a final snapshot. Endpoints and durability: docs/serving.md.
#include <cstdint>
#include <string>

#include "tpp/cli/command.h"

namespace tpp {

struct ServeCommandOptions {
  CommonOptions common;  // --threads: request workers (0: all cores); --json: one startup line on stdout
  std::string model;
  std::string host{"127.0.0.1"};
  int port{8080};
  std::string state_dir;   // default: <model>.state
  std::string token_file;  // bearer token, first line of the file
  std::size_t max_body_bytes{1 << 20};
  std::size_t max_events{10000};
  std::size_t max_users{1000};
  std::size_t cache_users{10000};
  std::string fsync{"always"};
  int fsync_interval_ms{100};
  std::uint64_t snapshot_every{100000};
  bool allow_out_of_order{false};
  int top_k{3};
  double tolerance{1e-6};
};

// Serves until SIGINT or SIGTERM, then writes a snapshot. Blocks those signals in the calling
// thread: a process entry point, not for in-process use (tests drive serve/server.h directly).
int run_serve(const ServeCommandOptions& options);

}  // namespace tpp
