// Our canonical event log: one row per event, as CSV (with a header) or JSON lines.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "io_util.h"

namespace tpp {

namespace {

bool parse_stimulus(std::string v, bool& out) {
  v = io::trim(v);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (v == "1" || v == "true") return out = true, true;
  if (v == "0" || v == "false") return out = false, true;
  return false;
}

void check_identity(const std::string& file, std::size_t line, const char* field, const std::string& value) {
  if (value.empty()) throw DataError(file, line, field, "empty");
  if (!io::valid_utf8(value)) throw DataError(file, line, field, "invalid UTF-8");
  // A NUL ends the name for every C API and terminal that shows it: two names would print alike.
  if (value.find('\0') != std::string::npos) throw DataError(file, line, field, "contains a NUL byte");
}

}  // namespace

namespace io {

EventLogColumns event_log_columns(const std::vector<std::string>& header, const std::string& path, std::size_t line) {
  EventLogColumns c;
  c.count = header.size();
  for (int i = 0; i < static_cast<int>(header.size()); ++i) {
    std::string h = trim(header[i]);
    int* slot = h == "user" ? &c.user : h == "time" ? &c.time : h == "type" ? &c.type
              : h == "stimulus" ? &c.stimulus : h == "text" ? &c.text : h == "category" ? &c.category : nullptr;
    if (slot) {
      if (*slot >= 0) throw DataError(path, line, h, "column appears twice");
      *slot = i;
    } else if (h == "m" + std::to_string(c.meta.size())) {
      c.meta.push_back(i);
    } else {
      throw DataError(path, line, h.empty() ? "header" : h,
                      "unknown column (expected user, time, type, stimulus, text, category, m0, m1, ...)");
    }
  }
  if (c.user < 0) throw DataError(path, line, "user", "missing required column");
  if (c.time < 0) throw DataError(path, line, "time", "missing required column");
  if (c.type < 0) throw DataError(path, line, "type", "missing required column");
  return c;
}

RawEvent csv_event(const CsvRecord& rec, const EventLogColumns& columns, const std::string& path, bool last) {
  if (rec.fields.size() != columns.count)
    throw DataError(path, rec.line, "columns",
                    "expected " + std::to_string(columns.count) + " fields, got " + std::to_string(rec.fields.size()) +
                        (last ? " (truncated last line?)" : ""));
  RawEvent e;
  e.line = rec.line;
  e.user = rec.fields[columns.user];
  check_identity(path, rec.line, "user", e.user);
  e.time = parse_time(trim(rec.fields[columns.time]), path, rec.line, "time");
  e.type = trim(rec.fields[columns.type]);
  check_identity(path, rec.line, "type", e.type);
  if (columns.stimulus >= 0 && !parse_stimulus(rec.fields[columns.stimulus], e.stimulus))
    throw DataError(path, rec.line, "stimulus", "expected 0, 1, true or false, got '" + rec.fields[columns.stimulus] + "'");
  if (columns.text >= 0) {
    e.text = rec.fields[columns.text];
    if (!valid_utf8(e.text)) throw DataError(path, rec.line, "text", "invalid UTF-8");
  }
  if (columns.category >= 0) {
    e.category = trim(rec.fields[columns.category]);
    if (!valid_utf8(e.category)) throw DataError(path, rec.line, "category", "invalid UTF-8");
  }
  e.has_meta = !columns.meta.empty();
  for (std::size_t m = 0; m < columns.meta.size(); ++m) {
    auto v = parse_double(trim(rec.fields[columns.meta[m]]));
    if (!v || !std::isfinite(*v))
      throw DataError(path, rec.line, "m" + std::to_string(m), "not a finite number: '" + rec.fields[columns.meta[m]] + "'");
    e.meta.push_back(static_cast<float>(*v));
  }
  return e;
}

RawEvent json_event(const nlohmann::json& j, const std::string& path, std::size_t line) {
  RawEvent e;
  e.line = line;
  for (const char* key : {"user", "time", "type"})
    if (!j.contains(key) || j[key].is_null()) throw DataError(path, line, key, "missing required field");
  if (j["user"].is_string()) e.user = j["user"].get<std::string>();
  else if (j["user"].is_number_integer()) e.user = j["user"].dump();
  else throw DataError(path, line, "user", "expected a string or an integer");
  check_identity(path, line, "user", e.user);
  if (j["time"].is_number()) e.time = j["time"].get<double>();
  else if (j["time"].is_string()) e.time = parse_time(j["time"].get<std::string>(), path, line, "time");
  else throw DataError(path, line, "time", "expected a number");
  if (!std::isfinite(e.time)) throw DataError(path, line, "time", "not finite");
  if (j["type"].is_string()) e.type = j["type"].get<std::string>();
  else if (j["type"].is_number_integer()) e.type = j["type"].dump();
  else throw DataError(path, line, "type", "expected a name (string) or an integer id");
  check_identity(path, line, "type", e.type);
  if (j.contains("stimulus") && !j["stimulus"].is_null()) {
    const auto& s = j["stimulus"];
    if (s.is_boolean()) e.stimulus = s.get<bool>();
    else if (s.is_number_integer() && (s.get<long long>() == 0 || s.get<long long>() == 1)) e.stimulus = s.get<long long>() == 1;
    else throw DataError(path, line, "stimulus", "expected true, false, 0 or 1");
  }
  if (j.contains("text") && !j["text"].is_null()) {
    if (!j["text"].is_string()) throw DataError(path, line, "text", "expected a string");
    e.text = j["text"].get<std::string>();
  }
  if (j.contains("category") && !j["category"].is_null()) {
    const auto& c = j["category"];
    if (c.is_string()) e.category = c.get<std::string>();
    else if (c.is_number_integer()) e.category = c.dump();
    else throw DataError(path, line, "category", "expected a name (string) or an integer");
  }
  if (j.contains("meta") && !j["meta"].is_null()) {
    if (!j["meta"].is_array()) throw DataError(path, line, "meta", "expected a list of numbers");
    e.has_meta = true;
    for (const auto& v : j["meta"]) {
      if (!v.is_number()) throw DataError(path, line, "meta", "expected a list of numbers");
      e.meta.push_back(v.get<float>());
      if (!std::isfinite(e.meta.back())) throw DataError(path, line, "meta", "not finite");
    }
  }
  return e;
}

}  // namespace io

Dataset read_event_log_csv(const std::string& path, const ReadOptions& options, ReadReport* report) {
  std::string text = io::read_file(path);
  auto records = io::parse_csv(text, path);
  if (records.empty()) throw DataError(path, 0, "file", "empty file");
  const io::EventLogColumns columns = io::event_log_columns(records[0].fields, path, records[0].line);
  if (records.size() == 1) throw DataError(path, 0, "file", "no events (header only)");

  std::vector<io::RawEvent> rows;
  rows.reserve(records.size() - 1);
  for (std::size_t r = 1; r < records.size(); ++r) {
    try {
      rows.push_back(io::csv_event(records[r], columns, path, r + 1 == records.size()));
    } catch (const DataError& e) {
      io::drop_or_throw(e, options, report, io::DropKind::Row);
    }
  }
  return io::build_event_log(path, std::move(rows), static_cast<int>(columns.meta.size()), options, report);
}

Dataset read_event_log_jsonl(const std::string& path, const ReadOptions& options, ReadReport* report) {
  std::string text = io::read_file(path);
  if (io::trim(text).empty()) throw DataError(path, 0, "file", "empty file");
  auto lines = io::parse_json_lines(text, path, options, report);
  std::vector<io::RawEvent> rows;
  rows.reserve(lines.size());
  for (const auto& jl : lines) {
    try {
      rows.push_back(io::json_event(jl.value, path, jl.line));
    } catch (const DataError& e) {
      io::drop_or_throw(e, options, report, io::DropKind::Row);
    }
  }
  if (rows.empty() && !options.drop_invalid) throw DataError(path, 0, "file", "no events");
  return io::build_event_log(path, std::move(rows), -1, options, report);
}

namespace {

std::string type_name(const Schema& schema, const Event& e) {
  const auto& names = e.is_stimulus ? schema.stimulus_names : schema.action_names;
  if (e.type < 0 || e.type >= static_cast<int>(names.size()))
    throw Error(std::string("cannot write event of ") + (e.is_stimulus ? "stimulus" : "action") + " type " +
                std::to_string(e.type) + ": outside the schema");
  return names[e.type];
}

}  // namespace

void write_event_log_csv(const Dataset& data, const std::string& path) {
  bool any_text = false;
  bool any_stimulus = data.schema.num_stimulus_types > 0;
  for (const auto& s : data.sequences)
    for (const auto& e : s.events) {
      any_text |= !e.text.empty();
      any_stimulus |= e.is_stimulus;
    }
  const int M = data.schema.event_meta_dim;
  std::string out = "user,time,type";
  if (any_stimulus) out += ",stimulus";
  if (any_text) out += ",text";
  for (int m = 0; m < M; ++m) out += ",m" + std::to_string(m);
  out += "\n";
  for (const auto& s : data.sequences) {
    const std::string user = io::csv_field(s.user);
    for (const auto& e : s.events) {
      out += user + "," + io::format_double(e.time) + "," + io::csv_field(type_name(data.schema, e));
      if (any_stimulus) out += e.is_stimulus ? ",1" : ",0";
      if (any_text) out += "," + io::csv_field(e.text);
      for (int m = 0; m < M; ++m)
        out += "," + io::format_double(m < static_cast<int>(e.meta.size()) ? e.meta[m] : 0.0f);
      out += "\n";
    }
  }
  io::write_file(path, out);
}

void write_event_log_jsonl(const Dataset& data, const std::string& path) {
  std::string out;
  const bool any_stimulus_types = data.schema.num_stimulus_types > 0;
  for (const auto& s : data.sequences) {
    for (const auto& e : s.events) {
      nlohmann::json j = {{"user", s.user}, {"time", e.time}, {"type", type_name(data.schema, e)}};
      if (any_stimulus_types || e.is_stimulus) j["stimulus"] = e.is_stimulus;
      if (!e.text.empty()) j["text"] = e.text;
      if (!e.meta.empty()) j["meta"] = e.meta;
      out += j.dump() + "\n";
    }
  }
  io::write_file(path, out);
}

}  // namespace tpp
