#include "tpp/serve/request.h"

#include <cmath>

#include <fmt/format.h>

namespace tpp {

namespace {

[[noreturn]] void bad(const std::string& field, const std::string& reason) {
  throw RequestError(400, fmt::format("{}: {}", field, reason));
}

std::string known(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < 20; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > 20) out += fmt::format(", ... ({} in all)", names.size());
  return out;
}

double finite_number(const nlohmann::json& j, const std::string& field) {
  if (!j.is_number()) bad(field, "must be a number");
  const double x = j.get<double>();
  if (!std::isfinite(x)) bad(field, "must be finite");
  return x;
}

std::vector<float> float_vector(const nlohmann::json& j, const std::string& field, std::size_t length) {
  if (!j.is_array()) bad(field, "must be an array of numbers");
  if (j.size() != length) bad(field, fmt::format("has {} values where the model expects {}", j.size(), length));
  std::vector<float> out;
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) out.push_back(static_cast<float>(finite_number(j[i], fmt::format("{}[{}]", field, i))));
  return out;
}

void check_keys(const nlohmann::json& j, const std::string& where, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : j.items()) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || key == a;
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      bad(where.empty() ? key : where + "." + key, fmt::format("unknown key (known: {})", list));
    }
  }
}

Event parse_event(const nlohmann::json& j, const Schema& schema, const std::string& where) {
  if (!j.is_object()) bad(where, "must be an object {\"time\", \"type\", \"stimulus\"?}");
  check_keys(j, where, {"time", "type", "stimulus", "meta"});
  Event e;
  if (!j.contains("time")) bad(where + ".time", "required");
  e.time = finite_number(j["time"], where + ".time");
  if (j.contains("stimulus")) {
    if (!j["stimulus"].is_boolean()) bad(where + ".stimulus", "must be true or false");
    e.is_stimulus = j["stimulus"].get<bool>();
  }
  const auto& names = e.is_stimulus ? schema.stimulus_names : schema.action_names;
  const char* kind = e.is_stimulus ? "stimulus" : "action";
  if (!j.contains("type")) bad(where + ".type", "required");
  const auto& type = j["type"];
  if (type.is_string()) {
    const std::string name = type.get<std::string>();
    e.type = e.is_stimulus ? schema.stimulus_id(name) : schema.action_id(name);
    if (e.type < 0)
      bad(where + ".type", names.empty() ? fmt::format("the model has no {} types", kind)
                                         : fmt::format("unknown {} type '{}' (known: {})", kind, name, known(names)));
  } else if (type.is_number_integer()) {
    const auto id = type.get<long long>();
    if (id < 0 || id >= static_cast<long long>(names.size()))
      bad(where + ".type", fmt::format("{} type id {} is outside [0, {})", kind, id, names.size()));
    e.type = static_cast<int>(id);
  } else {
    bad(where + ".type", "must be a type name or an integer id");
  }
  if (schema.event_meta_dim > 0) {
    if (!j.contains("meta")) bad(where + ".meta", fmt::format("required: the model reads {} metadata values per event", schema.event_meta_dim));
    e.meta = float_vector(j["meta"], where + ".meta", static_cast<std::size_t>(schema.event_meta_dim));
  } else if (j.contains("meta")) {
    bad(where + ".meta", "the model reads no event metadata");
  }
  return e;
}

std::vector<Event> parse_events(const nlohmann::json& body, const Schema& schema, const RequestLimits& limits,
                                const std::string& prefix) {
  const std::string field = prefix + "events";
  if (!body.contains("events")) bad(field, "required (an array of events)");
  const auto& events = body["events"];
  if (!events.is_array()) bad(field, "must be an array of events");
  if (events.size() > limits.max_events)
    throw RequestError(413, fmt::format("{}: {} events exceed the limit of {} per request", field, events.size(), limits.max_events));
  std::vector<Event> out;
  out.reserve(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) out.push_back(parse_event(events[i], schema, fmt::format("{}[{}]", field, i)));
  return out;
}

std::optional<int> parse_top_k(const nlohmann::json& body, const Schema& schema, const std::string& field) {
  if (!body.contains("top_k")) return std::nullopt;
  const auto& j = body["top_k"];
  if (!j.is_number_integer()) bad(field, "must be an integer");
  const auto k = j.get<long long>();
  if (k < 1 || k > schema.num_action_types) bad(field, fmt::format("{} is outside [1, {}]", k, schema.num_action_types));
  return static_cast<int>(k);
}

}  // namespace

nlohmann::json parse_body(const std::string& body) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    throw RequestError(400, fmt::format("body: not JSON (at byte {})", e.byte));
  }
  if (!j.is_object()) bad("body", "must be a JSON object");
  return j;
}

std::vector<float> check_user_features(const std::optional<std::vector<float>>& features, const Schema& schema,
                                       const std::string& where) {
  const auto dim = static_cast<std::size_t>(schema.user_feature_dim);
  if (!features) {
    if (dim > 0) bad(where, fmt::format("required for a new user: the model reads {} user features", dim));
    return {};
  }
  if (features->size() != dim)
    bad(where, fmt::format("has {} values where the model expects {}", features->size(), dim));
  return *features;
}

AppendRequest parse_append_request(const nlohmann::json& body, const Schema& schema, const RequestLimits& limits) {
  check_keys(body, "", {"events", "t_start", "features", "predict", "top_k"});
  AppendRequest r;
  r.events = parse_events(body, schema, limits, "");
  if (r.events.empty()) bad("events", "is empty");
  if (body.contains("t_start")) r.t_start = finite_number(body["t_start"], "t_start");
  if (body.contains("features"))
    r.features = float_vector(body["features"], "features", static_cast<std::size_t>(schema.user_feature_dim));
  if (body.contains("predict")) {
    if (!body["predict"].is_boolean()) bad("predict", "must be true or false");
    r.predict = body["predict"].get<bool>();
  }
  r.top_k = parse_top_k(body, schema, "top_k");
  return r;
}

BatchRequest parse_batch_request(const nlohmann::json& body, const Schema& schema, const RequestLimits& limits) {
  check_keys(body, "", {"users", "top_k"});
  BatchRequest r;
  r.top_k = parse_top_k(body, schema, "top_k");
  if (!body.contains("users") || !body["users"].is_array()) bad("users", "required (an array of histories)");
  const auto& users = body["users"];
  if (users.size() > limits.max_users)
    throw RequestError(413, fmt::format("users: {} histories exceed the limit of {} per request", users.size(), limits.max_users));
  for (std::size_t u = 0; u < users.size(); ++u) {
    const std::string where = fmt::format("users[{}]", u);
    const auto& j = users[u];
    if (!j.is_object()) bad(where, "must be an object with \"events\"");
    check_keys(j, where, {"user", "t_start", "features", "events", "as_of"});
    HistoryRequest h;
    if (j.contains("user")) {
      if (!j["user"].is_string()) bad(where + ".user", "must be a string");
      h.user = j["user"].get<std::string>();
    } else {
      h.user = std::to_string(u);
    }
    h.events = parse_events(j, schema, limits, where + ".");
    for (std::size_t i = 1; i < h.events.size(); ++i)
      if (h.events[i].time < h.events[i - 1].time)
        bad(fmt::format("{}.events[{}].time", where, i),
            fmt::format("{} precedes the previous event at {} (send events in time order)", h.events[i].time, h.events[i - 1].time));
    if (j.contains("t_start")) {
      h.t_start = finite_number(j["t_start"], where + ".t_start");
      if (!h.events.empty() && h.events.front().time < h.t_start)
        bad(where + ".events[0].time", fmt::format("{} precedes t_start {}", h.events.front().time, h.t_start));
    } else if (!h.events.empty()) {
      h.t_start = h.events.front().time;
    } else {
      bad(where + ".t_start", "required when there are no events");
    }
    std::optional<std::vector<float>> features;
    if (j.contains("features"))
      features = float_vector(j["features"], where + ".features", static_cast<std::size_t>(schema.user_feature_dim));
    h.features = check_user_features(features, schema, where + ".features");
    if (j.contains("as_of")) h.as_of = finite_number(j["as_of"], where + ".as_of");
    r.users.push_back(std::move(h));
  }
  return r;
}

}  // namespace tpp
