// EasyTPP JSON: a list of sequences (or a dict holding one under a split key, or JSON lines), each
// with time_since_start, time_since_last_event and 0-based type_event, plus dim_process.
#include <algorithm>
#include <cstdint>
#include <cmath>

#include "io_util.h"

namespace tpp {

namespace {

using io::line_of_offset;

// dim_process as written: a positive integer no larger than io::kMaxTypes, refused before the
// schema allocates a name per type.
int dim_process_value(const nlohmann::json& v, const std::string& file, std::size_t line, const std::string& where) {
  if (!v.is_number_integer()) throw DataError(file, line, "dim_process", where + "not an integer: " + v.dump());
  const bool too_large = v.is_number_unsigned() && v.get<unsigned long long>() > static_cast<unsigned long long>(io::kMaxTypes);
  const long long d = too_large ? io::kMaxTypes + 1 : v.get<long long>();
  if (d < 1 || d > io::kMaxTypes)
    throw DataError(file, line, "dim_process", where + "must be in [1, " + std::to_string(io::kMaxTypes) + "], got " + v.dump());
  return static_cast<int>(d);
}

// nlohmann::json keeps no positions, so this scans the raw text for the line on which each element
// of the sequence list starts: the top-level array, or the array under `key` of a top-level object.
std::vector<std::size_t> element_lines(const std::string& text, const std::string& key) {
  std::vector<std::size_t> lines;
  std::vector<char> stack;
  std::size_t line = 1, target_depth = 0;
  bool expect_key = false, expect_value = false;
  std::string last_key, current;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') { ++line; continue; }
    if (c == ' ' || c == '\t' || c == '\r') continue;
    bool at_target = target_depth > 0 && stack.size() == target_depth;
    if (at_target && expect_value && c != ']') {
      lines.push_back(line);
      expect_value = false;
    }
    if (c == '"') {
      current.clear();
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') { ++i; continue; }
        if (text[i] == '\n') ++line;
        current += text[i];
      }
      if (stack.size() == 1 && stack[0] == '{' && expect_key) {
        last_key = current;
        expect_key = false;
      }
      continue;
    }
    if (c == '{' || c == '[') {
      stack.push_back(c);
      if (stack.size() == 1 && c == '[' && key.empty()) target_depth = 1;
      if (stack.size() == 2 && c == '[' && stack[0] == '{' && last_key == key && !key.empty()) target_depth = 2;
      if (stack.size() == 1 && c == '{') expect_key = true;
      if (target_depth > 0 && stack.size() == target_depth) expect_value = true;
    } else if (c == '}' || c == ']') {
      if (target_depth > 0 && stack.size() == target_depth) target_depth = SIZE_MAX;  // list done
      if (!stack.empty()) stack.pop_back();
    } else if (c == ',') {
      if (stack.size() == 1 && stack[0] == '{') expect_key = true;
      if (target_depth > 0 && stack.size() == target_depth) expect_value = true;
    }
  }
  return lines;
}

struct SourceSequence {
  const nlohmann::json* value;
  std::size_t line;
  std::size_t index;
};

double number_at(const nlohmann::json& v, const std::string& file, std::size_t line, const std::string& field) {
  if (!v.is_number()) throw DataError(file, line, field, "not a number: " + v.dump());
  double x = v.get<double>();
  if (!std::isfinite(x)) throw DataError(file, line, field, "not finite");
  return x;
}

// Reads one sequence (a dict of lists, or a list of event dicts) into `seq`.
void read_sequence(const nlohmann::json& j, const SourceSequence& src, const std::string& file, int& dim_process,
                   io::TimeRange& range, Sequence& seq) {
  const std::size_t line = src.line;
  const std::string where = "sequence " + std::to_string(src.index) + ": ";
  std::vector<nlohmann::json> tss, tsle, types;
  bool has_gaps = true;
  if (j.is_object()) {
    for (const char* k : {"time_since_start", "type_event"})
      if (!j.contains(k)) throw DataError(file, line, k, where + "missing");
    for (const char* k : {"time_since_start", "time_since_last_event", "type_event"})
      if (j.contains(k) && !j[k].is_array()) throw DataError(file, line, k, where + "expected a list");
    tss.assign(j["time_since_start"].begin(), j["time_since_start"].end());
    types.assign(j["type_event"].begin(), j["type_event"].end());
    has_gaps = j.contains("time_since_last_event");
    if (has_gaps) tsle.assign(j["time_since_last_event"].begin(), j["time_since_last_event"].end());
    if (j.contains("dim_process")) {
      const int d = dim_process_value(j["dim_process"], file, line, where);
      if (dim_process >= 0 && d != dim_process)
        throw DataError(file, line, "dim_process", where + std::to_string(d) + " differs from " + std::to_string(dim_process));
      dim_process = d;
    }
    if (j.contains("seq_idx") && j["seq_idx"].is_number_integer()) seq.user = j["seq_idx"].dump();
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) {
      const auto& e = j[i];
      const std::string f = "event[" + std::to_string(i) + "]";
      if (!e.is_object()) throw DataError(file, line, f, where + "expected an object");
      for (const char* k : {"time_since_start", "type_event"})
        if (!e.contains(k)) throw DataError(file, line, f + "." + k, where + "missing");
      tss.push_back(e["time_since_start"]);
      types.push_back(e["type_event"]);
      has_gaps = has_gaps && e.contains("time_since_last_event");
      if (has_gaps) tsle.push_back(e["time_since_last_event"]);
    }
  } else {
    throw DataError(file, line, "sequence", where + "expected an object or a list of events");
  }
  if (tss.empty()) throw DataError(file, line, "time_since_start", where + "empty sequence");
  if (types.size() != tss.size())
    throw DataError(file, line, "type_event", where + std::to_string(types.size()) + " types for " +
                                                  std::to_string(tss.size()) + " times");
  if (has_gaps && tsle.size() != tss.size())
    throw DataError(file, line, "time_since_last_event", where + std::to_string(tsle.size()) + " gaps for " +
                                                             std::to_string(tss.size()) + " times");
  for (std::size_t i = 0; i < tss.size(); ++i) {
    const std::string idx = "[" + std::to_string(i) + "]";
    double t = number_at(tss[i], file, line, "time_since_start" + idx);
    if (t < 0) throw DataError(file, line, "time_since_start" + idx, where + "negative time");
    range.add(t, file, line, "time_since_start" + idx);
    if (i > 0 && t < seq.events.back().time)
      throw DataError(file, line, "time_since_start" + idx, where + "time decreases");
    if (has_gaps) {
      double g = number_at(tsle[i], file, line, "time_since_last_event" + idx);
      if (g < 0) throw DataError(file, line, "time_since_last_event" + idx, where + "negative gap");
    }
    if (!types[i].is_number_integer())
      throw DataError(file, line, "type_event" + idx, where + "not an integer: " + types[i].dump());
    long long k = types[i].get<long long>();
    if (k < 0 || (dim_process >= 0 && k >= dim_process))
      throw DataError(file, line, "type_event" + idx,
                      where + "type " + std::to_string(k) + " outside [0, dim_process = " + std::to_string(dim_process) + ")");
    if (k >= 100000) throw DataError(file, line, "type_event" + idx, where + "type id too large");
    seq.events.push_back(Event{t, static_cast<int>(k), false, {}, {}});
  }
  // The first gap tells where the observation began (EasyTPP counts it from time 0). EasyTPP's
  // own files count time_since_start from each sequence's first event (time_since_start[0] = 0)
  // while time_since_last_event[0] keeps the gap from an event before the file began: that gap
  // reaches before the file's clock, so the window starts at the first event.
  double first = seq.events.front().time;
  seq.t_start = first;
  if (has_gaps && first > 0) {
    double start = first - tsle[0].get<double>();
    double tolerance = 1e-9 * (1.0 + std::abs(first));
    if (start < -tolerance)
      throw DataError(file, line, "time_since_last_event[0]", where + "gap reaches before time 0");
    seq.t_start = std::max(0.0, start);
  }
  seq.t_end = seq.events.back().time;
}

}  // namespace

Dataset read_easytpp(const std::string& path, const ReadOptions& options, ReadReport* report) {
  std::string text = io::read_file(path);
  if (io::trim(text).empty()) throw DataError(path, 0, "file", "empty file");
  const std::size_t bad = io::invalid_utf8_offset(text);
  if (bad != std::string::npos) throw DataError(path, line_of_offset(text, bad), "json", "invalid UTF-8");

  nlohmann::json doc;
  std::vector<SourceSequence> sources;
  std::vector<io::JsonLine> line_values;  // JSON-lines input: one sequence per line
  int dim_process = options.schema ? options.schema->num_action_types : -1;
  bool json_lines = false;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::out_of_range& e) {  // a number no double holds (1e309)
    throw DataError(path, io::json_error_line(text, e), "json", std::string("invalid JSON: ") + e.what());
  } catch (const nlohmann::json::parse_error& e) {
    std::size_t first_nl = text.find('\n');
    bool first_line_ok = first_nl != std::string::npos &&
                         nlohmann::json::accept(text.substr(0, first_nl)) && io::trim(text.substr(first_nl)).size() > 0;
    if (!first_line_ok) {
      std::size_t line = line_of_offset(text, e.byte > 0 ? e.byte - 1 : 0);
      bool at_end = e.byte >= text.size();
      throw DataError(path, line, "json", at_end ? "truncated (document ends early)" : std::string("invalid JSON: ") + e.what());
    }
    json_lines = true;
  }
  if (json_lines) {
    line_values = io::parse_json_lines(text, path, options, report);
    for (std::size_t i = 0; i < line_values.size(); ++i) sources.push_back({&line_values[i].value, line_values[i].line, i});
  } else {
    const nlohmann::json* list = nullptr;
    std::string key;
    if (doc.is_array()) {
      list = &doc;
    } else if (doc.is_object() && doc.contains("time_since_start")) {
      sources.push_back({&doc, 1, 0});  // JSON lines holding a single sequence
    } else if (doc.is_object()) {
      if (doc.contains("dim_process")) {
        const int d = dim_process_value(doc["dim_process"], path, 1, "");
        if (dim_process >= 0 && d != dim_process)
          throw DataError(path, 0, "dim_process", std::to_string(d) + " differs from the schema's " +
                                                      std::to_string(dim_process) + " action types");
        dim_process = d;
      }
      if (!options.split.empty()) {
        key = options.split;
        if (!doc.contains(key)) throw DataError(path, 0, key, "no such split key");
      } else {
        std::vector<std::string> splits, lists;
        for (const auto& [k, v] : doc.items()) {
          if (!v.is_array()) continue;
          lists.push_back(k);
          if (k == "train" || k == "dev" || k == "test" || k == "validation" || k == "valid") splits.push_back(k);
        }
        if (splits.size() == 1) key = splits[0];
        else if (splits.empty() && lists.size() == 1) key = lists[0];
        else throw DataError(path, 0, "split", "cannot tell which key holds the sequences; name it (split)");
      }
      list = &doc[key];
      if (!list->is_array()) throw DataError(path, 0, key, "expected a list of sequences");
    } else {
      throw DataError(path, line_of_offset(text, text.find_first_not_of(" \t\r\n")), "json",
                      "expected a list of sequences or a dict holding one");
    }
    auto lines = list ? element_lines(text, key) : std::vector<std::size_t>{};
    for (std::size_t i = 0; list && i < list->size(); ++i)
      sources.push_back({&(*list)[i], i < lines.size() ? lines[i] : 0, i});
  }
  if (sources.empty()) throw DataError(path, 0, "file", "no sequences");

  Dataset data;
  io::TimeRange range;
  for (const auto& src : sources) {
    Sequence seq;
    seq.user = std::to_string(src.index);
    try {
      read_sequence(*src.value, src, path, dim_process, range, seq);
      data.sequences.push_back(std::move(seq));
    } catch (const DataError& e) {
      io::drop_or_throw(e, options, report, io::DropKind::Sequence);
    }
  }
  if (data.sequences.empty()) throw DataError(path, 0, "file", "no valid sequences");
  if (dim_process < 0) {
    // No dim_process anywhere: the largest type seen fixes the count.
    int max_type = 0;
    for (const auto& s : data.sequences)
      for (const auto& e : s.events) max_type = std::max(max_type, e.type);
    dim_process = max_type + 1;
  }
  if (options.schema) {
    data.schema = *options.schema;
  } else {
    data.schema.num_action_types = dim_process;
    for (int k = 0; k < dim_process; ++k) data.schema.action_names.push_back(std::to_string(k));
  }
  io::apply_users_file(data, options, report);
  return data;
}

void write_easytpp(const Dataset& data, const std::string& path) {
  nlohmann::json list = nlohmann::json::array();
  const int K = data.schema.num_action_types;
  for (std::size_t i = 0; i < data.sequences.size(); ++i) {
    const auto& s = data.sequences[i];
    std::vector<double> tss, tsle;
    std::vector<int> types;
    double prev = s.t_start;
    for (const auto& e : s.events) {
      if (e.is_stimulus) throw Error(path + ": EasyTPP has no stimuli; sequence '" + s.user + "' has one");
      if (e.time < 0) throw Error(path + ": EasyTPP times start at 0; sequence '" + s.user + "' has a negative time");
      tss.push_back(e.time);
      tsle.push_back(e.time - prev);
      types.push_back(e.type);
      prev = e.time;
    }
    if (s.t_start < 0) throw Error(path + ": EasyTPP times start at 0; sequence '" + s.user + "' starts before");
    list.push_back({{"dim_process", K},
                    {"seq_idx", i},
                    {"seq_len", s.events.size()},
                    {"time_since_start", tss},
                    {"time_since_last_event", tsle},
                    {"type_event", types}});
  }
  io::write_file(path, list.dump() + "\n");
}

}  // namespace tpp
