// RMTPP paired text files: line n of time-*.txt holds sequence n's absolute times, line n of
// event-*.txt its 1-based types, whitespace separated.
#include <algorithm>
#include <cmath>

#include "io_util.h"

namespace tpp {

namespace {

// Lines of a file; blank lines at the very end (an editor's trailing newlines) are not sequences.
std::vector<std::string> text_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  while (!lines.empty() && io::trim(lines.back()).empty()) lines.pop_back();
  return lines;
}

}  // namespace

Dataset read_rmtpp(const std::string& time_path, const std::string& event_path, const ReadOptions& options,
                   ReadReport* report) {
  std::string time_text = io::read_file(time_path);
  std::string event_text = io::read_file(event_path);
  auto time_lines = text_lines(time_text);
  auto event_lines = text_lines(event_text);
  if (time_lines.empty()) throw DataError(time_path, 0, "file", "empty file");
  if (event_lines.empty()) throw DataError(event_path, 0, "file", "empty file");
  if (time_lines.size() != event_lines.size()) {
    bool time_longer = time_lines.size() > event_lines.size();
    std::size_t line = std::min(time_lines.size(), event_lines.size()) + 1;
    throw DataError(time_longer ? time_path : event_path, line, "line",
                    "has no partner in " + (time_longer ? event_path : time_path) + " (" +
                        std::to_string(time_lines.size()) + " lines in " + time_path + ", " +
                        std::to_string(event_lines.size()) + " in " + event_path + ")");
  }
  const int fixed_types = options.schema ? options.schema->num_action_types : -1;
  Dataset data;
  io::TimeRange range;
  int max_type = 0;
  for (std::size_t n = 0; n < time_lines.size(); ++n) {
    const std::size_t line = n + 1;
    try {
      if (!io::valid_utf8(time_lines[n])) throw DataError(time_path, line, "time", "invalid UTF-8");
      if (!io::valid_utf8(event_lines[n])) throw DataError(event_path, line, "type", "invalid UTF-8");
      auto times = io::split_whitespace(time_lines[n]);
      auto types = io::split_whitespace(event_lines[n]);
      if (times.size() != types.size())
        throw DataError(time_path, line, "tokens",
                        std::to_string(times.size()) + " times but " + std::to_string(types.size()) + " types on line " +
                            std::to_string(line) + " of " + event_path +
                            (n + 1 == time_lines.size() ? " (truncated last line?)" : ""));
      if (times.empty()) throw DataError(time_path, line, "sequence", "empty sequence (blank line in both files)");
      Sequence seq;
      seq.user = std::to_string(n);
      for (std::size_t i = 0; i < times.size(); ++i) {
        const std::string field = "time[" + std::to_string(i + 1) + "]";
        double t = io::parse_time(times[i], time_path, line, field);
        range.add(t, time_path, line, field);
        if (!options.sort && i > 0 && t < seq.events.back().time)
          throw DataError(time_path, line, field,
                          "time " + times[i] + " before the previous " + times[i - 1] + " (or use sort)");
        auto k = io::parse_integer(types[i]);
        const std::string tfield = "type[" + std::to_string(i + 1) + "]";
        if (!k) throw DataError(event_path, line, tfield, "not an integer: '" + types[i] + "'");
        if (*k < 1) throw DataError(event_path, line, tfield, "type " + types[i] + " below 1 (types are 1-based)");
        if (fixed_types >= 0 && *k > fixed_types)
          throw DataError(event_path, line, tfield,
                          "type " + types[i] + " above the schema's " + std::to_string(fixed_types) + " types");
        if (*k > 100000) throw DataError(event_path, line, tfield, "type id too large");
        seq.events.push_back(Event{t, static_cast<int>(*k - 1), false, {}, {}});
      }
      // Ties keep their order in the file, as event logs keep theirs.
      if (options.sort)
        std::stable_sort(seq.events.begin(), seq.events.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
      for (const auto& e : seq.events) max_type = std::max(max_type, e.type + 1);
      seq.t_start = seq.events.front().time;
      seq.t_end = seq.events.back().time;
      data.sequences.push_back(std::move(seq));
    } catch (const DataError& e) {
      io::drop_or_throw(e, options, report, io::DropKind::Sequence);
    }
  }
  if (data.sequences.empty()) throw DataError(time_path, 0, "file", "no valid sequences");
  if (options.schema) {
    data.schema = *options.schema;
  } else {
    data.schema.num_action_types = max_type;
    for (int k = 0; k < max_type; ++k) data.schema.action_names.push_back(std::to_string(k));
  }
  io::apply_users_file(data, options, report);
  return data;
}

void write_rmtpp(const Dataset& data, const std::string& time_path, const std::string& event_path) {
  std::string times, types;
  for (const auto& s : data.sequences) {
    if (s.events.empty()) throw Error(time_path + ": RMTPP cannot hold sequence '" + s.user + "' without events");
    for (std::size_t i = 0; i < s.events.size(); ++i) {
      const Event& e = s.events[i];
      if (e.is_stimulus) throw Error(time_path + ": RMTPP has no stimuli; sequence '" + s.user + "' has one");
      if (i > 0) {
        times += ' ';
        types += ' ';
      }
      times += io::format_double(e.time);
      types += std::to_string(e.type + 1);
    }
    times += '\n';
    types += '\n';
  }
  io::write_file(time_path, times);
  io::write_file(event_path, types);
}

}  // namespace tpp
