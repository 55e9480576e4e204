#include "tpp/cli/launch.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include "tpp/core/error.h"
#include "tpp/distributed/process_group.h"

namespace tpp {

namespace {

// The children, for the signal handler: it may only read this array and call kill(2).
constexpr int kMaxProcesses = 1024;
volatile sig_atomic_t g_children = 0;
pid_t g_pids[kMaxProcesses];
volatile sig_atomic_t g_forwarded = 0;

void forward_signal(int signal) {
  g_forwarded = signal;
  for (int i = 0; i < g_children; ++i)
    if (g_pids[i] > 0) kill(g_pids[i], signal);
}

std::string describe(int status) {
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  return fmt::format("exited with code {}", WEXITSTATUS(status));
}

int exit_code_of(int status) { return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status); }

pid_t start(const std::vector<std::string>& argv, int rank) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw Error(std::string("launch: fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    // A launcher killed outright (SIGKILL forwards nothing) still takes its ranks with it.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(128 + SIGTERM);
    setenv("TPP_LOCAL_RANK", std::to_string(rank).c_str(), 1);
    execvp(args[0], args.data());
    std::fprintf(stderr, "tpp launch: error: cannot run '%s': %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  return pid;
}

}  // namespace

int run_launch(const LaunchOptions& options) {
  if (options.processes < 1 || options.processes > kMaxProcesses)
    throw Error(fmt::format("launch: -n must be in [1, {}], got {}", kMaxProcesses, options.processes));
  if (options.command.empty()) throw Error("launch: no command after '--' (e.g. tpp launch -n 2 -- tpp train ...)");
  const std::string master =
      options.master.empty() ? fmt::format("127.0.0.1:{}", free_loopback_port()) : options.master;
  parse_master_address(master);  // reports a malformed --master before anything starts

  struct sigaction action {};
  action.sa_handler = forward_signal;
  sigemptyset(&action.sa_mask);
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaction(signal, &action, nullptr);

  const int n = options.processes;
  std::vector<pid_t> pids(n, 0);
  std::vector<bool> running(n, false);
  for (int rank = 0; rank < n; ++rank) {
    auto argv = options.command;
    for (const auto& flag : {std::string("--world-size"), std::to_string(n), std::string("--rank"), std::to_string(rank),
                             std::string("--master"), master})
      argv.push_back(flag);
    pids[rank] = start(argv, rank);
    g_pids[rank] = pids[rank];
    g_children = rank + 1;
    running[rank] = true;
  }

  // Waits for every child. The first that ends badly fails the group: the others get SIGTERM, and
  // SIGKILL after the grace period, so the group never outlives one of its ranks for long.
  int failed_rank = -1, failed_status = 0, alive = n;
  auto stop_deadline = std::chrono::steady_clock::time_point::max();
  while (alive > 0) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      for (int rank = 0; rank < n; ++rank) {
        if (pids[rank] != pid || !running[rank]) continue;
        running[rank] = false;
        g_pids[rank] = 0;
        --alive;
        const bool bad = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        if (bad && failed_rank < 0) {
          failed_rank = rank;
          failed_status = status;
          if (alive > 0)
            std::cerr << fmt::format("tpp launch: rank {} (pid {}) {}; stopping the other {} rank{}\n", rank, pid,
                                     describe(status), alive, alive == 1 ? "" : "s");
          for (int other = 0; other < n; ++other)
            if (running[other]) kill(pids[other], SIGTERM);
          stop_deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<int64_t>(options.grace_seconds * 1000));
        }
      }
      continue;
    }
    if (pid < 0 && errno != EINTR) break;  // no children left to wait for
    if (std::chrono::steady_clock::now() > stop_deadline) {
      for (int other = 0; other < n; ++other)
        if (running[other]) kill(pids[other], SIGKILL);
      stop_deadline = std::chrono::steady_clock::time_point::max();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  g_children = 0;
  if (failed_rank < 0) return 0;
  std::cerr << fmt::format("tpp launch: error: rank {} of {} {}{}; the group was stopped\n", failed_rank, n,
                           describe(failed_status),
                           g_forwarded ? fmt::format(" (after signal {} was forwarded to every rank)",
                                                     static_cast<int>(g_forwarded))
                                       : std::string());
  return exit_code_of(failed_status);
}

void add_launch(CLI::App& app, CommandAction& action) {
  auto options = std::make_shared<LaunchOptions>();
  auto* cmd = app.add_subcommand("launch", "start N local processes of a data-parallel command (tpp launch -n 2 -- tpp train ...)");
  cmd->add_option("-n,--nproc", options->processes, "processes to start (the world size)")->required()->check(CLI::Range(1, kMaxProcesses));
  cmd->add_option("--master", options->master, "HOST:PORT of the rendezvous (default: 127.0.0.1 and a free port)");
  cmd->add_option("--grace", options->grace_seconds, "seconds the other processes get to end after one failed")
      ->capture_default_str()
      ->check(non_negative_number());
  cmd->add_option("command", options->command, "the command after '--', run once per rank with --world-size, "
                                               "--rank and --master appended")
      ->required();
  cmd->callback([options, &action] { action = [options] { return run_launch(*options); }; });
}

}  // namespace tpp
