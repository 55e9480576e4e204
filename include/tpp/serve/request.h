#pragma once
// The bodies the server accepts, parsed and validated against the model's schema before anything
// is written: a rejected request changes nothing. Every error names the field, e.g.
// "events[3].type: unknown action type 'buy' (known: view, cart, purchase)".
//
// An event: {"time": 12.5, "type": "purchase" | 2, "stimulus": false, "meta": [...]}; a string type
// is a name of the schema, an integer its id; "stimulus" defaults to false; "meta" is required
// when the schema has event metadata (its length), refused otherwise.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/core/error.h"
#include "tpp/data/dataset.h"

namespace tpp {

// A request the server refuses, with the HTTP status to answer.
class RequestError : public Error {
 public:
  RequestError(int status, const std::string& message) : Error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

struct RequestLimits {
  std::size_t max_events{10000};  // per request (per user in a batch request)
  std::size_t max_users{1000};    // per stateless batch request
};

// POST /v1/users/{id}/events: {"events": [...], "t_start"?, "features"?, "predict"?, "top_k"?, "as_of"?}
struct AppendRequest {
  std::optional<double> t_start;  // only for a new user; default: its first event's time
  std::optional<std::vector<float>> features;
  std::vector<Event> events;
  bool predict{false};  // answer with the prediction after the events
  std::optional<int> top_k;
};

// One user of POST /v1/predict: {"user"?, "t_start"?, "features"?, "events": [...], "as_of"?}
struct HistoryRequest {
  std::string user;
  double t_start{0};
  std::vector<float> features;
  std::vector<Event> events;  // sorted by time (checked)
  std::optional<double> as_of;
};

struct BatchRequest {
  std::vector<HistoryRequest> users;
  std::optional<int> top_k;
};

// Throws RequestError(400) for malformed JSON (with its byte offset) or a body that is not an object.
nlohmann::json parse_body(const std::string& body);
AppendRequest parse_append_request(const nlohmann::json& body, const Schema& schema, const RequestLimits& limits);
BatchRequest parse_batch_request(const nlohmann::json& body, const Schema& schema, const RequestLimits& limits);
// The user features of a new user: present exactly when the schema has them, with their length.
std::vector<float> check_user_features(const std::optional<std::vector<float>>& features, const Schema& schema,
                                       const std::string& where);

}  // namespace tpp
