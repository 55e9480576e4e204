#pragma once
// tpp launch -n N [--master HOST:PORT] -- COMMAND...
// Starts N local processes of COMMAND (e.g. `tpp train ...`), each with `--world-size N --rank R
// --master HOST:PORT` appended and TPP_LOCAL_RANK=R in its environment, forwards SIGINT, SIGTERM
// and SIGHUP to all of them, and if any ends badly stops the others and fails with the one that
// did. Several hosts: docs/scaling.md starts one `tpp train` per process with the same flags.
#include <string>
#include <vector>

#include "tpp/cli/command.h"

namespace tpp {

struct LaunchOptions {
  int processes{1};
  std::string master;  // HOST:PORT; empty: 127.0.0.1 and a free port
  double grace_seconds{10};  // after a failure, time the others get to end before SIGKILL
  std::vector<std::string> command;
};

// Returns 0 when every process exited 0, else the failed process's exit code (128 + its signal).
int run_launch(const LaunchOptions& options);

void add_launch(CLI::App& app, CommandAction& action);

}  // namespace tpp
