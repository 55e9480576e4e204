#include "tpp/policy/action_log.h"

#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tpp/core/error.h"
#include "tpp/policy/atomic_file.h"

namespace tpp {

void ActionSchema::validate(const std::string& where) const {
  if (event_types.empty()) throw Error(where + ": \"event_types\" must name at least one user event type");
  if (action_types.empty() || action_types[0] != "none")
    throw Error(where + ": \"actions\" must list \"none\" first, then the platform's action types");
  std::set<std::string> seen;
  for (const auto* names : {&event_types, &action_types})
    for (const auto& n : *names)
      if (n.empty() || !seen.insert(n).second)
        throw Error(fmt::format("{}: type name '{}' is empty or repeated (event and action names are one namespace)",
                                where, n));
}

std::size_t ActionLog::num_events() const {
  std::size_t n = 0;
  for (const auto& u : users) n += u.events.size();
  return n;
}

namespace {

int index_of(const std::vector<std::string>& names, const std::string& name) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

ActionLog read_action_log(const std::string& path, const ActionSchema& schema) {
  schema.validate(path);
  std::ifstream in(path);
  if (!in) throw DataError(path, 0, "", "cannot open the file");
  ActionLog log;
  log.schema = schema;
  std::map<std::string, std::size_t> index;
  std::set<std::string> ended;
  std::map<std::string, std::size_t> first_line;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json row;
    try {
      row = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      throw DataError(path, number, "", std::string("not valid JSON: ") + e.what());
    }
    if (!row.is_object()) throw DataError(path, number, "", "a row must be a JSON object");
    auto text = [&](const char* key) {
      auto it = row.find(key);
      if (it == row.end()) throw DataError(path, number, key, "missing");
      if (it->is_string()) return it->get<std::string>();
      if (std::string(key) == "user" && it->is_number_integer()) return std::to_string(it->get<long long>());
      throw DataError(path, number, key, "must be a string");
    };
    const std::string user = text("user");
    const std::string kind = text("kind");
    auto time_it = row.find("time");
    if (time_it == row.end()) throw DataError(path, number, "time", "missing");
    if (!time_it->is_number()) throw DataError(path, number, "time", "must be a number");
    const double time = time_it->get<double>();
    if (!std::isfinite(time) || time < 0) throw DataError(path, number, "time", fmt::format("must be finite and >= 0, got {}", time));
    if (ended.count(user)) throw DataError(path, number, "user", fmt::format("user '{}' has rows after its end row", user));
    auto [it, fresh] = index.emplace(user, log.users.size());
    if (fresh) {
      log.users.push_back(UserHistory{user, 0.0, {}, -1});
      first_line[user] = number;
    }
    UserHistory& u = log.users[it->second];
    const double last = u.events.empty() ? 0.0 : u.events.back().time;
    if (time < last)
      throw DataError(path, number, "time", fmt::format("decreasing time for user '{}': {} after {}", user, time, last));
    if (kind == "end") {
      u.t_end = time;
      if (auto t = row.find("user_type"); t != row.end() && t->is_number_integer()) u.hidden_type = t->get<int>();
      ended.insert(user);
      continue;
    }
    LoggedEvent e;
    e.time = time;
    const bool after_opportunity = !u.events.empty() && u.events.back().kind == EventKind::Opportunity;
    if (after_opportunity && kind != "action")
      throw DataError(path, number, "kind", "an opportunity must be followed by the action taken there (\"none\" included)");
    if (kind == "event") {
      e.kind = EventKind::UserEvent;
      e.mark = index_of(schema.event_types, text("type"));
      if (e.mark < 0)
        throw DataError(path, number, "type", fmt::format("unknown user event type '{}' (known: {})", text("type"),
                                                          joined(schema.event_types)));
    } else if (kind == "opportunity") {
      e.kind = EventKind::Opportunity;
    } else if (kind == "action") {
      e.kind = EventKind::Action;
      e.mark = index_of(schema.action_types, text("type"));
      if (e.mark < 0)
        throw DataError(path, number, "type", fmt::format("unknown action type '{}' (known: {})", text("type"),
                                                          joined(schema.action_types)));
      if (!after_opportunity || u.events.back().time != time)
        throw DataError(path, number, "kind", "an action must follow an opportunity at the same time");
      if (auto p = row.find("propensity"); p != row.end()) {
        if (!p->is_number() || !(p->get<double>() > 0.0 && p->get<double>() <= 1.0))
          throw DataError(path, number, "propensity", fmt::format("must be a number in (0, 1], got {}", p->dump()));
        e.propensity = p->get<double>();
      }
    } else {
      throw DataError(path, number, "kind",
                      fmt::format("'{}' is not one of \"event\", \"opportunity\", \"action\", \"end\"", kind));
    }
    u.events.push_back(e);
  }
  if (log.users.empty()) throw DataError(path, 0, "", "no rows");
  for (const auto& u : log.users) {
    if (!ended.count(u.user))
      throw DataError(path, first_line[u.user], "kind", fmt::format("user '{}' has no \"end\" row (its window end)", u.user));
    if (!u.events.empty() && u.events.back().kind == EventKind::Opportunity)
      throw DataError(path, first_line[u.user], "kind", fmt::format("user '{}' ends on an opportunity without its action", u.user));
  }
  return log;
}

void write_action_log(const ActionLog& log, const std::string& path) {
  write_atomically(path, [&](const std::string& temporary) {
    std::ofstream out(temporary);
    if (!out) throw Error(fmt::format("{}: cannot write", temporary));
    for (const auto& u : log.users) {
      for (const auto& e : u.events) {
        nlohmann::json row{{"user", u.user}, {"time", e.time}};
        switch (e.kind) {
          case EventKind::UserEvent:
            row["kind"] = "event";
            row["type"] = log.schema.event_types.at(e.mark);
            break;
          case EventKind::Opportunity:
            row["kind"] = "opportunity";
            break;
          case EventKind::Action:
            row["kind"] = "action";
            row["type"] = log.schema.action_types.at(e.mark);
            if (std::isfinite(e.propensity)) row["propensity"] = e.propensity;
            break;
        }
        out << row.dump() << '\n';
      }
      nlohmann::json end{{"user", u.user}, {"time", u.t_end}, {"kind", "end"}};
      if (u.hidden_type >= 0) end["user_type"] = u.hidden_type;
      out << end.dump() << '\n';
    }
    out.flush();
    if (!out) throw Error(fmt::format("{}: write failed", temporary));
  });
}

}  // namespace tpp
