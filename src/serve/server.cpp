#include "tpp/serve/server.h"

#include <httplib.h>

#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

namespace tpp {

namespace {

constexpr std::size_t kMaxUserIdLength = 256;
const char* const kJson = "application/json";

void reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), kJson);
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
  reply(res, status, {{"error", message}});
}

// A query parameter as a finite number; `fallback` when absent.
double number_param(const httplib::Request& req, const char* name, double fallback) {
  if (!req.has_param(name)) return fallback;
  const std::string text = req.get_param_value(name);
  char* end = nullptr;
  const double x = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(x))
    throw RequestError(400, fmt::format("{}: '{}' is not a finite number", name, text));
  return x;
}

int int_param(const httplib::Request& req, const char* name, int fallback, int lo, int hi) {
  if (!req.has_param(name)) return fallback;
  const std::string text = req.get_param_value(name);
  char* end = nullptr;
  const long x = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size())
    throw RequestError(400, fmt::format("{}: '{}' is not an integer", name, text));
  if (x < lo || x > hi) throw RequestError(400, fmt::format("{}: {} is outside [{}, {}]", name, x, lo, hi));
  return static_cast<int>(x);
}

std::string user_id(const httplib::Request& req) {
  const std::string id = req.matches[1];
  if (id.empty() || id.size() > kMaxUserIdLength)
    throw RequestError(400, fmt::format("user: an id of 1 to {} characters is required", kMaxUserIdLength));
  return id;
}

RequestError unknown_user(const std::string& id) { return RequestError(404, fmt::format("user '{}': unknown", id)); }

// Constant-time comparison, so the token cannot be guessed byte by byte from response times.
bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

nlohmann::json curve_json(const std::string& user, const std::vector<double>& times,
                          const std::vector<std::vector<double>>& lambda, const Schema& schema) {
  auto by_type = nlohmann::json::object();
  for (int k = 0; k < schema.num_action_types; ++k) {
    std::vector<double> column(times.size());
    for (std::size_t s = 0; s < times.size(); ++s) column[s] = lambda[s][k];
    by_type[schema.action_names[k]] = column;
  }
  return {{"user", user}, {"time", times}, {"intensity", by_type}};
}

}  // namespace

PredictionServer::PredictionServer(const ServedModel& model, UserStore& store, Journal& journal, ServeOptions options)
    : model_(model), store_(store), journal_(journal), options_(std::move(options)),
      http_(std::make_unique<httplib::Server>()), started_(std::chrono::steady_clock::now()) {
  if (options_.threads < 1) throw Error("--threads: the server needs at least one request worker");
  if (options_.default_top_k < 1) throw Error("--top-k: must be at least 1");
  options_.default_top_k = std::min(options_.default_top_k, model_.schema().num_action_types);
  routes();
}

PredictionServer::~PredictionServer() = default;

int PredictionServer::bind() {
  const int workers = options_.threads;
  http_->new_task_queue = [workers] { return new httplib::ThreadPool(static_cast<std::size_t>(workers)); };
  http_->set_payload_max_length(options_.max_body_bytes);
  // Small request/reply pairs on kept-alive connections: Nagle's algorithm would hold replies
  // back for the peer's delayed acknowledgement (tens of ms).
  http_->set_tcp_nodelay(true);
  // A worker serves one connection for as long as it stays alive, so with more clients than
  // workers a connection is closed after this many requests and its client reconnects, giving
  // waiting connections their turn.
  http_->set_keep_alive_max_count(1000);
  // An idle kept-alive connection holds a worker this long, and delays a graceful stop as much.
  http_->set_keep_alive_timeout(5);
  const int port = options_.port == 0 ? http_->bind_to_any_port(options_.host)
                                      : (http_->bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port < 0) throw Error(fmt::format("serve: cannot listen on {}:{}", options_.host, options_.port));
  return port;
}

void PredictionServer::run() { http_->listen_after_bind(); }
void PredictionServer::stop() { http_->stop(); }

void PredictionServer::routes() {
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  // Every route: timing, metrics, and errors turned into located 4xx replies.
  auto wrap = [this](std::string route, Handler handler) {
    return [this, route = std::move(route), handler = std::move(handler)](const httplib::Request& req,
                                                                          httplib::Response& res) {
      const auto began = std::chrono::steady_clock::now();
      try {
        handler(req, res);
      } catch (const RequestError& e) {
        reply_error(res, e.status(), e.what());
      } catch (const Error& e) {
        reply_error(res, 400, e.what());
      } catch (const std::exception& e) {
        reply_error(res, 500, fmt::format("internal error: {}", e.what()));
      }
      metrics_.record(route, res.status,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
    };
  };

  http_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (options_.token.empty() || req.path == "/health") return httplib::Server::HandlerResponse::Unhandled;
    const std::string header = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    if (header.compare(0, prefix.size(), prefix) == 0 && same_secret(header.substr(prefix.size()), options_.token))
      return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Bearer");
    reply_error(res, 401, "authorization: a valid \"Bearer <token>\" header is required");
    metrics_.record("unauthorized", 401, 0.0);
    return httplib::Server::HandlerResponse::Handled;
  });

  http_->Post(R"(/v1/users/([^/]+)/events)", wrap("/v1/users/{id}/events", [this](const auto& req, auto& res) {
    const std::string id = user_id(req);
    const AppendRequest request = parse_append_request(parse_body(req.body), model_.schema(), options_.limits);
    const AppendOutcome outcome = store_.append(id, request);
    nlohmann::json body = {{"user", id},
                           {"created", outcome.created},
                           {"num_events", outcome.num_events},
                           {"last_event_time", outcome.last_event_time}};
    if (request.predict) {
      const int top_k = request.top_k.value_or(options_.default_top_k);
      store_.with_state(id, [&](const StoredUser&, UserState& state) {
        body["prediction"] = model_.predict(state, std::numeric_limits<double>::quiet_NaN(), top_k).to_json();
      });
    }
    reply(res, outcome.created ? 201 : 200, body);
  }));

  http_->Get(R"(/v1/users/([^/]+)/prediction)", wrap("/v1/users/{id}/prediction", [this](const auto& req, auto& res) {
    const std::string id = user_id(req);
    const double as_of = number_param(req, "as_of", std::numeric_limits<double>::quiet_NaN());
    const int top_k = int_param(req, "top_k", options_.default_top_k, 1, model_.schema().num_action_types);
    nlohmann::json body;
    if (!store_.with_state(id, [&](const StoredUser&, UserState& state) {
          body = model_.predict(state, as_of, top_k).to_json();
          body["user"] = id;
        }))
      throw unknown_user(id);
    reply(res, 200, body);
  }));

  http_->Get(R"(/v1/users/([^/]+)/intensity)", wrap("/v1/users/{id}/intensity", [this](const auto& req, auto& res) {
    const std::string id = user_id(req);
    const int points = int_param(req, "points", 100, 1, options_.max_curve_points);
    if (!req.has_param("to")) throw RequestError(400, "to: required (the end of the window)");
    nlohmann::json body;
    if (!store_.with_state(id, [&](const StoredUser& user, UserState& state) {
          const double last = user.events.empty() ? user.t_start : user.events.back().time;
          const double from = number_param(req, "from", last), to = number_param(req, "to", last);
          if (!(to >= from)) throw RequestError(400, fmt::format("to: {} precedes from {}", to, from));
          if (from < user.t_start)
            throw RequestError(400, fmt::format("from: {} precedes the user's window start {}", from, user.t_start));
          std::vector<double> times(points);
          for (int s = 0; s < points; ++s) times[s] = points == 1 ? from : from + (to - from) * s / (points - 1);
          // After the last event the state answers; a window reaching into the history re-encodes it.
          const auto lambda = from >= last ? model_.intensity(state, times) : model_.intensity_over_history(user, times);
          body = curve_json(id, times, lambda, model_.schema());
        }))
      throw unknown_user(id);
    reply(res, 200, body);
  }));

  http_->Get(R"(/v1/users/([^/]+))", wrap("/v1/users/{id}", [this](const auto& req, auto& res) {
    const std::string id = user_id(req);
    nlohmann::json body;
    const Schema& schema = model_.schema();
    if (!store_.with_user(id, [&](const StoredUser& user) {
          auto events = nlohmann::json::array();
          for (const auto& e : user.events) {
            nlohmann::json row = {{"time", e.time},
                                  {"type", e.is_stimulus ? schema.stimulus_names[e.type] : schema.action_names[e.type]}};
            if (e.is_stimulus) row["stimulus"] = true;
            if (!e.meta.empty()) row["meta"] = e.meta;
            events.push_back(std::move(row));
          }
          body = {{"user", id}, {"t_start", user.t_start}, {"num_events", user.events.size()}, {"events", events}};
          if (!user.features.empty()) body["features"] = user.features;
        }))
      throw unknown_user(id);
    reply(res, 200, body);
  }));

  http_->Delete(R"(/v1/users/([^/]+))", wrap("/v1/users/{id}", [this](const auto& req, auto& res) {
    const std::string id = user_id(req);
    if (!store_.remove(id)) throw unknown_user(id);
    reply(res, 200, {{"user", id}, {"deleted", true}});
  }));

  http_->Post("/v1/predict", wrap("/v1/predict", [this](const auto& req, auto& res) {
    const BatchRequest request = parse_batch_request(parse_body(req.body), model_.schema(), options_.limits);
    const int top_k = request.top_k.value_or(options_.default_top_k);
    auto predictions = nlohmann::json::array();
    for (std::size_t u = 0; u < request.users.size(); ++u) {
      const HistoryRequest& h = request.users[u];
      StoredUser user{h.user, h.t_start, h.features, h.events};
      auto state = model_.build_state(user);
      try {
        auto p = model_.predict(*state, h.as_of.value_or(std::numeric_limits<double>::quiet_NaN()), top_k).to_json();
        p["user"] = h.user;
        predictions.push_back(std::move(p));
      } catch (const RequestError&) {
        throw;
      } catch (const Error& e) {
        throw RequestError(400, fmt::format("users[{}].{}", u, e.what()));
      }
    }
    reply(res, 200, {{"predictions", predictions}});
  }));

  http_->Get("/health", wrap("/health", [this](const auto&, auto& res) {
    const auto s = store_.stats();
    reply(res, 200,
          {{"status", "ok"},
           {"model", model_.name()},
           {"users", s.users},
           {"cached_states", s.cached_states},
           {"uptime_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count()}});
  }));

  http_->Get("/metrics", wrap("/metrics", [this](const auto&, auto& res) {
    res.status = 200;
    res.set_content(metrics_.prometheus(store_.stats(), journal_.bytes_written(), journal_.syncs()),
                    "text/plain; version=0.0.4");
  }));

  // Unknown routes and httplib's own refusals (413 for an oversized body) get a JSON body too.
  http_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    const std::string message = res.status == 413   ? "body: larger than the server's --max-body-bytes"
                                : res.status == 404 ? fmt::format("{} {}: no such endpoint", req.method, req.path)
                                                    : fmt::format("HTTP {}", res.status);
    reply_error(res, res.status, message);
  });
}

}  // namespace tpp
