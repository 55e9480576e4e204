#include "tpp/cli/serve.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "tpp/core/blas.h"
#include "tpp/core/error.h"
#include "tpp/serve/server.h"

namespace tpp {

namespace {

std::string read_token(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(fmt::format("{}: cannot read the token file", path));
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t')) token.pop_back();
  if (token.size() < 16) throw Error(fmt::format("{}:1: the token must be at least 16 characters", path));
  return token;
}

// The write end is written by the signal handler, the read end read by the watcher thread.
int stop_pipe[2] = {-1, -1};

extern "C" void stop_signal_handler(int) {
  const char byte = 1;
  [[maybe_unused]] const ssize_t written = write(stop_pipe[1], &byte, 1);
}

}  // namespace

int run_serve(const ServeCommandOptions& o) {
  // SIGINT/SIGTERM only wake a watcher thread, which stops the listener; the main thread then
  // snapshots. A handler writes one byte to a pipe (async-signal-safe) rather than every thread
  // blocking the signals for one sigwait: libraries start threads before main (OpenBLAS's pthread
  // build starts its pool when it loads), and a signal the kernel hands to one of those would
  // never reach sigwait. SA_RESTART resumes the system calls a handler interrupts.
  if (pipe(stop_pipe) != 0) throw Error("serve: cannot create the stop pipe");
  struct sigaction on_stop {};
  on_stop.sa_handler = stop_signal_handler;
  sigemptyset(&on_stop.sa_mask);
  on_stop.sa_flags = SA_RESTART;
  sigaction(SIGINT, &on_stop, nullptr);
  sigaction(SIGTERM, &on_stop, nullptr);

  // Each request runs on one worker thread; LibTorch's own pool would only contend with them.
  Context ctx = o.common.context();
  ctx.threads = 1;
  ctx.apply();
  // A worker serves one kept-alive connection at a time, and model calls take one lock per model
  // (serve/served_model.h), so workers are for concurrent connections, not for cores.
  const int workers = o.common.threads > 0 ? o.common.threads : 32;

  PredictOptions predict;
  predict.relative_tolerance = o.tolerance;
  ServedModel model(load_model(o.model, ctx), ctx, predict);

  JournalOptions jo;
  jo.directory = o.state_dir.empty() ? o.model + ".state" : o.state_dir;
  jo.fsync = parse_fsync_policy(o.fsync);
  jo.fsync_interval_ms = o.fsync_interval_ms;
  Journal journal(jo);
  UserStoreOptions so;
  so.max_cached_states = o.cache_users;
  so.allow_out_of_order = o.allow_out_of_order;
  so.snapshot_every = o.snapshot_every;
  UserStore store(model, journal, so);

  ServeOptions serve;
  serve.host = o.host;
  serve.port = o.port;
  serve.threads = workers;
  if (!o.token_file.empty()) serve.token = read_token(o.token_file);
  serve.max_body_bytes = o.max_body_bytes;
  serve.limits.max_events = o.max_events;
  serve.limits.max_users = o.max_users;
  serve.default_top_k = o.top_k;

  const auto began = std::chrono::steady_clock::now();
  store.recover();
  const auto stats = store.stats();
  const double recovery = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();

  PredictionServer server(model, store, journal, serve);
  const int port = server.bind();
  std::thread watcher([&server] {
    char byte = 0;
    while (read(stop_pipe[0], &byte, 1) < 0 && errno == EINTR) {
    }
    server.stop();
  });
  if (o.common.json) {
    std::cout << nlohmann::json{{"host", o.host}, {"port", port}, {"model", model.name()}, {"state_dir", jo.directory},
                                {"users", stats.users}, {"recovery_seconds", recovery},
                                {"blas", blas_info().name}, {"serialized_model_calls", model.serialized_model_calls()}}
                     .dump()
              << std::endl;
  }
  if (!o.common.quiet)
    std::cerr << fmt::format("tpp serve: {} on http://{}:{} ({} workers); state {}: {} users recovered in {:.2f} s\n",
                             model.name(), o.host, port, workers, jo.directory, stats.users, recovery);
  if (!o.common.quiet && model.serialized_model_calls())
    std::cerr << fmt::format("tpp serve: model calls run one at a time: the BLAS ({}) is not safe to call from several "
                             "threads at once; install libopenblas0-pthread (docs/serving.md)\n",
                             blas_info().name);
  server.run();
  // Whatever stopped the listener, the watcher must return before it is joined.
  stop_signal_handler(0);
  watcher.join();
  store.snapshot();
  if (!o.common.quiet) std::cerr << "tpp serve: stopped; snapshot written\n";
  return 0;
}

void add_serve(CLI::App& app, CommandAction& action) {
  auto o = std::make_shared<ServeCommandOptions>();
  auto* cmd = app.add_subcommand("serve", "HTTP/JSON next-event prediction server with per-user state");
  add_common_options(*cmd, o->common);
  cmd->add_option("--model", o->model, "saved model file")->required();
  cmd->add_option("--host", o->host, "address to bind (127.0.0.1: this machine only)")->capture_default_str();
  cmd->add_option("--port", o->port, "TCP port (0: any free one, printed)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("--state-dir", o->state_dir, "write-ahead log and snapshots (default: <model>.state)");
  cmd->add_option("--token-file", o->token_file, "require \"Authorization: Bearer <first line of this file>\"");
  cmd->add_option("--max-body-bytes", o->max_body_bytes, "largest request body")->capture_default_str()->check(positive_number());
  cmd->add_option("--max-events", o->max_events, "most events per request")->capture_default_str()->check(positive_number());
  cmd->add_option("--max-users", o->max_users, "most histories per stateless /v1/predict request")->capture_default_str()->check(positive_number());
  cmd->add_option("--cache-users", o->cache_users, "user states kept in memory (LRU); others are rebuilt from their events")
      ->capture_default_str()
      ->check(positive_number());
  cmd->add_option("--fsync", o->fsync, "always (before each reply), interval, or never")->capture_default_str()
      ->check(CLI::IsMember({"always", "interval", "never"}));
  cmd->add_option("--fsync-interval-ms", o->fsync_interval_ms, "sync period of --fsync interval")->capture_default_str()->check(positive_number());
  cmd->add_option("--snapshot-every", o->snapshot_every, "log records between snapshots (0: at shutdown only)")->capture_default_str();
  cmd->add_flag("--allow-out-of-order", o->allow_out_of_order,
                "merge an event older than the user's last one and rebuild its state, instead of answering 409");
  cmd->add_option("--top-k", o->top_k, "most probable types in a prediction, unless a request says")->capture_default_str()->check(positive_number());
  add_tolerance_option(*cmd, o->tolerance);
  cmd->callback([o, &action] { action = [o] { return run_serve(*o); }; });
}

}  // namespace tpp
