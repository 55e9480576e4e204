#pragma once
// Faults for the tests to inject: a full disk, made without root by a file size limit.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <functional>

#include "tpp/core/error.h"

namespace tpp::testing {

// Runs `body` in a child process whose files may grow to `limit_bytes` (a disk that is full past
// that), with SIGXFSZ ignored so a write fails with EFBIG as on a full disk. Returns the child's
// exit code: 0 when body returned, 2 when it threw tpp::Error (the CLI's exit code for it), 3 for
// any other exception (an internal error), 128 + N when signal N ended it (an abort is 134).
inline int run_with_file_size_limit(std::size_t limit_bytes, const std::function<void()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit{limit_bytes, limit_bytes};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    int code = 0;
    try {
      body();
    } catch (const Error&) {
      code = 2;
    } catch (...) {
      code = 3;
    }
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace tpp::testing
