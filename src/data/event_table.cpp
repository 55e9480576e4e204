#include "tpp/data/event_table.h"

#include <cmath>
#include <string>
#include <unordered_map>
#include <utility>

#include "io_util.h"

namespace tpp {

namespace {

void check_length(const std::string& source, const char* column, std::size_t have, std::size_t rows, const char* what) {
  if (have != rows)
    throw DataError(source, 0, column,
                    std::to_string(have) + " values for " + std::to_string(rows) + " " + what + " (one per row)");
}

void check_identity(const std::string& source, std::size_t line, const char* field, const std::string& value) {
  if (value.empty()) throw DataError(source, line, field, "empty");
  if (!io::valid_utf8(value)) throw DataError(source, line, field, "invalid UTF-8");
}

std::vector<std::pair<std::string, io::UserInfo>> user_rows(const UserColumns& users, const std::string& source,
                                                            std::size_t first_row, const ReadOptions& options,
                                                            ReadReport* report) {
  const std::size_t n = users.user.size();
  if (!users.category.empty()) check_length(source, "category", users.category.size(), n, "users");
  if (!users.t_start.empty() || !users.t_end.empty()) {
    check_length(source, "t_start", users.t_start.size(), n, "users");
    check_length(source, "t_end", users.t_end.size(), n, "users");
  }
  check_length(source, "features", users.features.size(), n * users.feature_dim, "users × feature width");
  const int fixed_dim = options.schema ? options.schema->user_feature_dim : -1;
  if (fixed_dim >= 0 && static_cast<std::size_t>(fixed_dim) != users.feature_dim && n > 0)
    throw DataError(source, 0, "features",
                    "schema expects " + std::to_string(fixed_dim) + " features, got " + std::to_string(users.feature_dim));
  io::UserRowChecker checker(source, fixed_dim >= 0 ? fixed_dim : static_cast<int>(users.feature_dim));
  std::vector<std::pair<std::string, io::UserInfo>> rows;
  rows.reserve(n);
  for (std::size_t r = 0; r < n; ++r) {
    io::UserInfo info;
    info.line = first_row + r;
    try {
      if (!users.category.empty() && !users.category[r].empty()) info.category = users.category[r];
      if (!users.t_start.empty()) {
        const double a = users.t_start[r], b = users.t_end[r];
        // NaN marks a user without a window, as an empty cell does in a users CSV.
        if (!std::isnan(a)) info.t_start = a;
        if (!std::isnan(b)) info.t_end = b;
        if (info.t_start && !std::isfinite(*info.t_start)) throw DataError(source, info.line, "t_start", "not finite");
        if (info.t_end && !std::isfinite(*info.t_end)) throw DataError(source, info.line, "t_end", "not finite");
      }
      info.features.assign(users.features.begin() + static_cast<std::ptrdiff_t>(r * users.feature_dim),
                           users.features.begin() + static_cast<std::ptrdiff_t>((r + 1) * users.feature_dim));
      checker.check(users.user[r], info);
      rows.emplace_back(users.user[r], std::move(info));
    } catch (const DataError& e) {
      io::drop_or_throw(e, options, report, io::DropKind::Row);
    }
  }
  return rows;
}

}  // namespace

Dataset dataset_from_columns(const EventColumns& events, const UserColumns* users, const ReadOptions& options,
                             const ColumnSources& sources, ReadReport* report) {
  const std::string& source = sources.events;
  const std::size_t n = events.user.size();
  check_length(source, "time", events.time.size(), n, "events");
  check_length(source, "type", events.type.size(), n, "events");
  if (!events.stimulus.empty()) check_length(source, "stimulus", events.stimulus.size(), n, "events");
  if (!events.text.empty()) check_length(source, "text", events.text.size(), n, "events");
  if (!events.category.empty()) check_length(source, "category", events.category.size(), n, "events");
  check_length(source, "meta", events.meta.size(), n * events.meta_dim, "events × metadata width");
  if (n == 0) throw DataError(source, 0, "file", "no events");

  std::vector<io::RawEvent> rows;
  rows.reserve(n);
  for (std::size_t r = 0; r < n; ++r) {
    const std::size_t line = sources.first_row + r;
    try {
      io::RawEvent e;
      e.line = line;
      e.user = events.user[r];
      check_identity(source, line, "user", e.user);
      e.time = events.time[r];
      if (!std::isfinite(e.time)) throw DataError(source, line, "time", "not finite");
      e.type = events.type[r];
      check_identity(source, line, "type", e.type);
      if (!events.stimulus.empty()) e.stimulus = events.stimulus[r] != 0;
      if (!events.text.empty()) {
        e.text = events.text[r];
        if (!io::valid_utf8(e.text)) throw DataError(source, line, "text", "invalid UTF-8");
      }
      if (!events.category.empty()) {
        e.category = events.category[r];
        if (!io::valid_utf8(e.category)) throw DataError(source, line, "category", "invalid UTF-8");
      }
      if (events.meta_dim > 0) {
        e.has_meta = true;
        e.meta.assign(events.meta.begin() + static_cast<std::ptrdiff_t>(r * events.meta_dim),
                      events.meta.begin() + static_cast<std::ptrdiff_t>((r + 1) * events.meta_dim));
        for (std::size_t m = 0; m < events.meta_dim; ++m)
          if (!std::isfinite(e.meta[m])) throw DataError(source, line, "m" + std::to_string(m), "not finite");
      }
      rows.push_back(std::move(e));
    } catch (const DataError& e) {
      io::drop_or_throw(e, options, report, io::DropKind::Row);
    }
  }
  // The file readers' resolution of types, users, time order and categories; the users table is
  // applied afterwards in place of a users file, so both sources obey one set of rules.
  ReadOptions no_file = options;
  no_file.users.clear();
  const bool require_categories = options.require_categories;
  no_file.require_categories = false;
  Dataset data = io::build_event_log(source, std::move(rows), events.meta_dim > 0 ? static_cast<int>(events.meta_dim) : 0,
                                     no_file, report);
  if (users || require_categories) {
    // build_event_log resolved the event rows' categories; applying again from the event rows'
    // tokens keeps a conflict between the two sources an error, as with a users file.
    std::unordered_map<std::string, std::size_t> first_row;
    for (std::size_t r = 0; r < n; ++r) first_row.emplace(events.user[r], sources.first_row + r);
    io::EventLogUsers log;
    log.file = source;
    for (const auto& seq : data.sequences) {
      const auto it = first_row.find(seq.user);
      const std::size_t line = it == first_row.end() ? 0 : it->second;
      log.first_line.push_back(line);
      if (seq.category >= 0)
        log.category.emplace_back(
            io::CategoryToken{data.schema.category_names[static_cast<std::size_t>(seq.category)], source, line});
      else
        log.category.emplace_back();
    }
    ReadOptions apply = no_file;
    apply.require_categories = require_categories;
    io::apply_users(data, users ? user_rows(*users, sources.users, sources.first_row, options, report)
                                : std::vector<std::pair<std::string, io::UserInfo>>{},
                    sources.users, apply, report, &log);
  }
  return data;
}

EventColumns event_columns(const Dataset& data) {
  EventColumns out;
  const Schema& schema = data.schema;
  const std::size_t n = data.num_events();
  out.meta_dim = static_cast<std::size_t>(schema.event_meta_dim);
  bool any_text = false, any_stimulus = false;
  for (const auto& seq : data.sequences)
    for (const auto& e : seq.events) any_text |= !e.text.empty(), any_stimulus |= e.is_stimulus;
  out.user.reserve(n);
  out.time.reserve(n);
  out.type.reserve(n);
  for (const auto& seq : data.sequences)
    for (const auto& e : seq.events) {
      out.user.push_back(seq.user);
      out.time.push_back(e.time);
      const auto& names = e.is_stimulus ? schema.stimulus_names : schema.action_names;
      out.type.push_back(e.type >= 0 && static_cast<std::size_t>(e.type) < names.size() ? names[e.type]
                                                                                        : std::to_string(e.type));
      if (any_stimulus) out.stimulus.push_back(e.is_stimulus ? 1 : 0);
      if (any_text) out.text.push_back(e.text);
      if (out.meta_dim > 0) {
        if (e.meta.size() == out.meta_dim) out.meta.insert(out.meta.end(), e.meta.begin(), e.meta.end());
        else out.meta.insert(out.meta.end(), out.meta_dim, 0.0f);
      }
    }
  return out;
}

UserColumns user_columns(const Dataset& data) {
  UserColumns out;
  out.feature_dim = static_cast<std::size_t>(data.schema.user_feature_dim);
  bool any_category = false;
  for (const auto& seq : data.sequences) any_category |= seq.category >= 0;
  for (const auto& seq : data.sequences) {
    out.user.push_back(seq.user);
    if (any_category)
      out.category.push_back(seq.category >= 0 && static_cast<std::size_t>(seq.category) < data.schema.category_names.size()
                                 ? data.schema.category_names[static_cast<std::size_t>(seq.category)]
                                 : std::string());
    out.t_start.push_back(seq.t_start);
    out.t_end.push_back(seq.t_end);
    if (out.feature_dim > 0) {
      if (seq.features.size() == out.feature_dim) out.features.insert(out.features.end(), seq.features.begin(), seq.features.end());
      else out.features.insert(out.features.end(), out.feature_dim, 0.0f);
    }
  }
  return out;
}

}  // namespace tpp
