#pragma once
// The HTTP/JSON front of the user store: endpoints, limits, bearer-token check, metrics.
// Endpoints and their bodies: docs/serving.md.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "tpp/serve/request.h"
#include "tpp/serve/server_metrics.h"
#include "tpp/serve/served_model.h"
#include "tpp/serve/user_store.h"

namespace httplib {
class Server;
}

namespace tpp {

struct ServeOptions {
  std::string host{"127.0.0.1"};
  int port{8080};  // 0: any free port (bind() returns it)
  int threads{4};  // request workers
  std::string token;  // required as "Authorization: Bearer <token>" when not empty
  std::size_t max_body_bytes{1 << 20};
  RequestLimits limits;
  int default_top_k{3};
  int max_curve_points{10000};
};

class PredictionServer {
 public:
  PredictionServer(const ServedModel& model, UserStore& store, Journal& journal, ServeOptions options);
  ~PredictionServer();
  // Binds the socket; returns the port. Throws tpp::Error when it cannot.
  int bind();
  // Serves until stop() (from any thread or a signal-watching one).
  void run();
  void stop();
  const ServerMetrics& metrics() const { return metrics_; }

 private:
  void routes();

  const ServedModel& model_;
  UserStore& store_;
  Journal& journal_;
  ServeOptions options_;
  ServerMetrics metrics_;
  std::unique_ptr<httplib::Server> http_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace tpp
