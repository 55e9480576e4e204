// Format dispatch, schema files, users files and the helpers every reader shares.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "io_util.h"
#include "tpp/data/event_store.h"
#include "tpp/core/atomic_output.h"
#include "tpp/data/event_table.h"

namespace tpp {
namespace io {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, 0, "file", "cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) { write_file_atomically(path, text); }

std::optional<double> parse_double(const std::string& token) {
  if (token.empty() || std::isspace(static_cast<unsigned char>(token[0]))) return std::nullopt;
  // strtod also reads hexadecimal ("0x10" as 16); data files write decimal, so that is a typo.
  if (token.find_first_of("xX") != std::string::npos) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(token.c_str(), &end);
  if (end != token.c_str() + token.size()) return std::nullopt;
  // Overflow gives ±HUGE_VAL (inf), caught by the finiteness checks; underflow to 0 is harmless.
  return v;
}

std::optional<long long> parse_integer(const std::string& token) {
  if (token.empty()) return std::nullopt;
  std::size_t i = (token[0] == '-' || token[0] == '+') ? 1 : 0;
  if (i == token.size()) return std::nullopt;
  for (std::size_t j = i; j < token.size(); ++j)
    if (!std::isdigit(static_cast<unsigned char>(token[j]))) return std::nullopt;
  if (token.size() - i > 15) return std::nullopt;
  return std::stoll(token);
}

double parse_time(const std::string& token, const std::string& file, std::size_t line, const std::string& field) {
  auto v = parse_double(token);
  if (!v) throw DataError(file, line, field, "not a number: '" + token + "'");
  if (!std::isfinite(*v)) throw DataError(file, line, field, "not finite: '" + token + "'");
  return *v;
}

std::string format_double(double value) {
  char buf[64];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

bool valid_utf8(const std::string& s) { return invalid_utf8_offset(s) == std::string::npos; }

std::size_t invalid_utf8_offset(const std::string& s) {
  std::size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t len;
    unsigned int cp;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return i;
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (d & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not valid UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += len;
  }
  return std::string::npos;
}

std::size_t line_of_offset(const std::string& text, std::size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

std::size_t json_error_line(const std::string& text, const nlohmann::json::exception& e) {
  if (const auto* parse = dynamic_cast<const nlohmann::json::parse_error*>(&e))
    return line_of_offset(text, parse->byte > 0 ? parse->byte - 1 : 0);
  const std::string what = e.what();
  const std::string marker = "parsing '";
  const std::size_t at = what.find(marker);
  if (at == std::string::npos) return 0;
  const std::size_t begin = at + marker.size(), end = what.find('\'', begin);
  if (end == std::string::npos) return 0;
  const std::size_t found = text.find(what.substr(begin, end - begin));
  return found == std::string::npos ? 0 : line_of_offset(text, found);
}

void TimeRange::add(double t, const std::string& file, std::size_t line, const std::string& field) {
  if (empty_) {
    lo_ = hi_ = t;
    lo_line_ = hi_line_ = line;
    empty_ = false;
    return;
  }
  const double lo = std::min(lo_, t), hi = std::max(hi_, t);
  if (!std::isfinite(hi - lo)) {
    const std::size_t other = t < lo_ ? hi_line_ : lo_line_;
    throw DataError(file, line, field,
                    "time " + format_double(t) + " is too far from time " + format_double(t < lo_ ? hi_ : lo_) +
                        (other > 0 ? " (line " + std::to_string(other) + ")" : "") +
                        ": their difference overflows a double");
  }
  if (t < lo_) { lo_ = t; lo_line_ = line; }
  if (t > hi_) { hi_ = t; hi_line_ = line; }
}

std::string trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  std::size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split_whitespace(const std::string& line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    std::size_t b = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > b) out.push_back(line.substr(b, i - b));
  }
  return out;
}

void drop_or_throw(const DataError& error, const ReadOptions& options, ReadReport* report, DropKind kind) {
  if (!options.drop_invalid) throw error;
  if (!report) return;  // caller chose not to look; the drop still happened on request
  (kind == DropKind::Row ? report->rows_dropped : report->sequences_dropped) += 1;
  if (report->reasons.size() < 100) report->reasons.push_back(error.what());
}

std::vector<CsvRecord> parse_csv(const std::string& text, const std::string& file) {
  std::vector<CsvRecord> records;
  std::size_t i = 0, n = text.size(), line = 1;
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;  // UTF-8 byte-order mark
  while (i < n) {
    CsvRecord rec;
    rec.line = line;
    std::string field;
    bool end_of_record = false;
    while (!end_of_record) {
      if (i < n && text[i] == '"') {
        std::size_t quote_line = line;
        ++i;
        while (true) {
          if (i >= n) throw DataError(file, quote_line, "csv", "unterminated quoted field (truncated file?)");
          char c = text[i++];
          if (c == '"') {
            if (i < n && text[i] == '"') { field += '"'; ++i; }
            else break;
          } else {
            if (c == '\n') ++line;
            field += c;
          }
        }
        if (i < n && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
          throw DataError(file, line, "csv", "text after a closing quote");
      }
      while (i < n && text[i] != ',' && text[i] != '\n') field += text[i++];
      if (!field.empty() && field.back() == '\r') field.pop_back();
      rec.fields.push_back(std::move(field));
      field.clear();
      if (i >= n) {
        end_of_record = true;
      } else if (text[i] == ',') {
        ++i;
      } else {  // '\n'
        ++i;
        ++line;
        end_of_record = true;
      }
    }
    bool blank = rec.fields.size() == 1 && trim(rec.fields[0]).empty();
    if (!blank) records.push_back(std::move(rec));
  }
  return records;
}

std::string csv_field(const std::string& value) {
  if (value.find_first_of(",\"\n\r") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::vector<JsonLine> parse_json_lines(const std::string& text, const std::string& file, const ReadOptions& options,
                                       ReadReport* report) {
  std::vector<JsonLine> out;
  std::size_t pos = 0, line = 0;
  while (pos < text.size()) {
    ++line;
    std::size_t nl = text.find('\n', pos);
    bool has_newline = nl != std::string::npos;
    std::string raw = text.substr(pos, has_newline ? nl - pos : std::string::npos);
    pos = has_newline ? nl + 1 : text.size();
    if (line == 1 && raw.compare(0, 3, "\xEF\xBB\xBF") == 0) raw = raw.substr(3);
    if (trim(raw).empty()) continue;
    try {
      if (!valid_utf8(raw)) throw DataError(file, line, "line", "invalid UTF-8");
      try {
        out.push_back({nlohmann::json::parse(raw), line});
      } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e309
        if (!has_newline) throw DataError(file, line, "line", "truncated last line (incomplete JSON)");
        throw DataError(file, line, "line", std::string("invalid JSON: ") + e.what());
      }
      if (!out.back().value.is_object()) {
        out.pop_back();
        throw DataError(file, line, "line", "expected a JSON object");
      }
    } catch (const DataError& e) {
      drop_or_throw(e, options, report, DropKind::Row);
    }
  }
  return out;
}

UserRowChecker::UserRowChecker(std::string source, int feature_dim)
    : source_(std::move(source)), feature_dim_(feature_dim) {}

void UserRowChecker::check(const std::string& user, UserInfo& info) {
  const std::string& path = source_;
  if (user.empty()) throw DataError(path, info.line, "user", "empty user id");
  if (!valid_utf8(user)) throw DataError(path, info.line, "user", "invalid UTF-8");
  if (seen_.count(user)) throw DataError(path, info.line, "user", "user '" + user + "' listed twice");
  if (info.category && !valid_utf8(*info.category)) throw DataError(path, info.line, "category", "invalid UTF-8");
  if (info.category == "-1") info.category.reset();
  if (info.t_start.has_value() != info.t_end.has_value())
    throw DataError(path, info.line, "t_end", "t_start and t_end go together");
  if (info.t_start && !(*info.t_start <= *info.t_end))
    throw DataError(path, info.line, "t_end", "window end before its start");
  if (info.t_start) {
    windows_.add(*info.t_start, path, info.line, "t_start");
    windows_.add(*info.t_end, path, info.line, "t_end");
  }
  if (feature_dim_ < 0) feature_dim_ = static_cast<int>(info.features.size());
  if (static_cast<int>(info.features.size()) != feature_dim_)
    throw DataError(path, info.line, "features",
                    "expected " + std::to_string(feature_dim_) + " values, got " + std::to_string(info.features.size()));
  for (float f : info.features)
    if (!std::isfinite(f)) throw DataError(path, info.line, "features", "not finite");
  seen_.insert(user);
}

namespace {


// Reads a users file into (user id -> info), in file order.
std::vector<std::pair<std::string, UserInfo>> read_users(const std::string& path, int feature_dim_fixed,
                                                          const ReadOptions& options, ReadReport* report) {
  std::string text = read_file(path);
  std::vector<std::pair<std::string, UserInfo>> users;
  int feature_dim = feature_dim_fixed;
  UserRowChecker checker(path, feature_dim_fixed);
  auto check_common = [&](const std::string& user, UserInfo& info) { checker.check(user, info); };
  auto push = [&](const std::string& user, UserInfo info) { users.emplace_back(user, std::move(info)); };
  std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".csv") {
    auto records = parse_csv(text, path);
    if (records.empty()) throw DataError(path, 0, "file", "empty file");
    const auto& header = records[0].fields;
    int col_user = -1, col_cat = -1, col_ts = -1, col_te = -1;
    std::vector<int> col_f;
    for (int c = 0; c < static_cast<int>(header.size()); ++c) {
      std::string h = trim(header[c]);
      if (h == "user") col_user = c;
      else if (h == "category") col_cat = c;
      else if (h == "t_start") col_ts = c;
      else if (h == "t_end") col_te = c;
      else if (h == "f" + std::to_string(col_f.size())) col_f.push_back(c);
      else throw DataError(path, records[0].line, h, "unknown column (expected user, category, t_start, t_end, f0, f1, ...)");
    }
    if (col_user < 0) throw DataError(path, records[0].line, "user", "missing required column");
    if (feature_dim >= 0 && static_cast<int>(col_f.size()) != feature_dim)
      throw DataError(path, records[0].line, "features", "schema expects " + std::to_string(feature_dim) +
                                                            " feature columns, file has " + std::to_string(col_f.size()));
    feature_dim = static_cast<int>(col_f.size());
    for (std::size_t r = 1; r < records.size(); ++r) {
      const auto& rec = records[r];
      try {
        if (rec.fields.size() != header.size())
          throw DataError(path, rec.line, "columns", "expected " + std::to_string(header.size()) + " fields, got " +
                                                         std::to_string(rec.fields.size()));
        UserInfo info;
        info.line = rec.line;
        std::string user = rec.fields[col_user];
        if (col_cat >= 0 && !trim(rec.fields[col_cat]).empty()) info.category = trim(rec.fields[col_cat]);
        if (col_ts >= 0 && !trim(rec.fields[col_ts]).empty()) info.t_start = parse_time(trim(rec.fields[col_ts]), path, rec.line, "t_start");
        if (col_te >= 0 && !trim(rec.fields[col_te]).empty()) info.t_end = parse_time(trim(rec.fields[col_te]), path, rec.line, "t_end");
        for (std::size_t f = 0; f < col_f.size(); ++f) {
          auto v = parse_double(trim(rec.fields[col_f[f]]));
          if (!v) throw DataError(path, rec.line, "f" + std::to_string(f), "not a number: '" + rec.fields[col_f[f]] + "'");
          info.features.push_back(static_cast<float>(*v));
        }
        check_common(user, info);
        push(user, std::move(info));
      } catch (const DataError& e) {
        drop_or_throw(e, options, report, DropKind::Row);
      }
    }
  } else {
    for (auto& jl : parse_json_lines(text, path, options, report)) {
      try {
        const auto& j = jl.value;
        UserInfo info;
        info.line = jl.line;
        if (!j.contains("user")) throw DataError(path, jl.line, "user", "missing required field");
        std::string user = j["user"].is_string() ? j["user"].get<std::string>() : j["user"].dump();
        auto number = [&](const char* key) -> std::optional<double> {
          if (!j.contains(key) || j[key].is_null()) return std::nullopt;
          if (!j[key].is_number()) throw DataError(path, jl.line, key, "not a number");
          double v = j[key].get<double>();
          if (!std::isfinite(v)) throw DataError(path, jl.line, key, "not finite");
          return v;
        };
        if (j.contains("category") && !j["category"].is_null()) {
          const auto& c = j["category"];
          if (c.is_string()) info.category = c.get<std::string>();
          else if (c.is_number_integer()) info.category = c.dump();
          else throw DataError(path, jl.line, "category", "expected a name (string) or an integer");
          if (info.category->empty()) throw DataError(path, jl.line, "category", "empty category");
        }
        info.t_start = number("t_start");
        info.t_end = number("t_end");
        if (j.contains("features")) {
          if (!j["features"].is_array()) throw DataError(path, jl.line, "features", "not an array");
          for (const auto& v : j["features"]) {
            if (!v.is_number()) throw DataError(path, jl.line, "features", "not a number");
            info.features.push_back(v.get<float>());
          }
        }
        check_common(user, info);
        push(user, std::move(info));
      } catch (const DataError& e) {
        drop_or_throw(e, options, report, DropKind::Row);
      }
    }
  }
  if (users.empty() && !options.drop_invalid) throw DataError(path, 0, "file", "empty file");
  return users;
}

}  // namespace

namespace {

// Category tokens (one per sequence, or none) to ids and the schema's category names.
void resolve_categories(Dataset& data, const std::vector<std::optional<CategoryToken>>& tokens,
                        const std::optional<Schema>& schema) {
  std::vector<std::string>& names = data.schema.category_names;
  if (schema && !schema->category_names.empty()) {
    names = schema->category_names;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (!tokens[i]) continue;
      int id = schema->category_id(tokens[i]->value);
      if (id < 0) {
        auto n = parse_integer(tokens[i]->value);
        if (n && *n >= 0 && *n < static_cast<long long>(names.size())) id = static_cast<int>(*n);
      }
      if (id < 0) {
        std::string known;
        for (const auto& name : names) known += (known.empty() ? "" : ", ") + name;
        throw DataError(tokens[i]->file, tokens[i]->line, "category",
                        "unknown category '" + tokens[i]->value + "' (the schema knows " + known + ")");
      }
      data.sequences[i].category = id;
    }
    return;
  }
  bool all_integers = true;
  for (const auto& t : tokens) {
    if (!t) continue;
    auto n = parse_integer(t->value);
    all_integers &= n && *n >= 0 && *n < 100000;
  }
  names.clear();
  if (all_integers) {
    long long top = -1;
    for (std::size_t i = 0; i < tokens.size(); ++i)
      if (tokens[i]) {
        const long long n = *parse_integer(tokens[i]->value);
        data.sequences[i].category = static_cast<int>(n);
        top = std::max(top, n);
      }
    for (long long c = 0; c <= top; ++c) names.push_back(std::to_string(c));
    return;
  }
  std::unordered_map<std::string, int> ids;
  for (std::size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i]) {
      auto [it, inserted] = ids.emplace(tokens[i]->value, static_cast<int>(names.size()));
      if (inserted) names.push_back(tokens[i]->value);
      data.sequences[i].category = it->second;
    }
}

}  // namespace

void apply_users_file(Dataset& data, const ReadOptions& options, ReadReport* report, const EventLogUsers* log) {
  const int fixed_dim = options.schema ? options.schema->user_feature_dim : -1;
  std::vector<std::pair<std::string, UserInfo>> users;
  if (!options.users.empty()) users = read_users(options.users, fixed_dim, options, report);
  apply_users(data, std::move(users), options.users, options, report, log);
}

void apply_users(Dataset& data, std::vector<std::pair<std::string, UserInfo>> users, const std::string& path,
                 const ReadOptions& options, ReadReport* report, const EventLogUsers* log) {
  int fixed_dim = options.schema ? options.schema->user_feature_dim : -1;
  std::vector<std::optional<CategoryToken>> tokens(data.sequences.size());
  std::vector<std::size_t> first_line(data.sequences.size(), 0);
  if (log) {
    for (std::size_t i = 0; i < data.sequences.size() && i < log->category.size(); ++i) tokens[i] = log->category[i];
    for (std::size_t i = 0; i < data.sequences.size() && i < log->first_line.size(); ++i) first_line[i] = log->first_line[i];
  }
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < data.sequences.size(); ++i) index[data.sequences[i].user] = i;
  std::vector<bool> drop(data.sequences.size(), false);
  int feature_dim = fixed_dim >= 0 ? fixed_dim : (users.empty() ? 0 : static_cast<int>(users[0].second.features.size()));
  for (auto& [user, info] : users) {
    auto it = index.find(user);
    std::optional<CategoryToken> token;
    if (info.category) token = CategoryToken{*info.category, path, info.line};
    try {
      if (it == index.end()) {
        if (!info.t_start)
          throw DataError(path, info.line, "user", "user '" + user + "' has no events and no window (t_start, t_end)");
        Sequence seq;
        seq.user = user;
        seq.features = info.features;
        seq.t_start = *info.t_start;
        seq.t_end = *info.t_end;
        data.sequences.push_back(std::move(seq));
        drop.push_back(false);
        tokens.push_back(token);
        first_line.push_back(0);
        continue;
      }
      Sequence& seq = data.sequences[it->second];
      auto& logged = tokens[it->second];
      if (token && logged && logged->value != token->value)
        throw DataError(path, info.line, "category",
                        "user '" + user + "' has category '" + token->value + "' here but '" + logged->value + "' in " +
                            logged->file + ":" + std::to_string(logged->line));
      if (token) logged = token;
      seq.features = info.features;
      if (info.t_start) {
        if (!seq.events.empty() && (seq.events.front().time < *info.t_start || seq.events.back().time > *info.t_end))
          throw DataError(path, info.line, "t_start",
                          "window [" + format_double(*info.t_start) + ", " + format_double(*info.t_end) +
                              "] does not contain user '" + user + "''s events [" +
                              format_double(seq.events.front().time) + ", " + format_double(seq.events.back().time) +
                              "]");
        seq.t_start = *info.t_start;
        seq.t_end = *info.t_end;
      }
    } catch (const DataError& e) {
      drop_or_throw(e, options, report, DropKind::Sequence);
      if (it != index.end()) drop[it->second] = true;
    }
  }
  std::vector<Sequence> kept;
  std::vector<std::optional<CategoryToken>> kept_tokens;
  std::vector<std::size_t> kept_lines;
  for (std::size_t i = 0; i < data.sequences.size(); ++i)
    if (!drop[i]) {
      kept.push_back(std::move(data.sequences[i]));
      kept_tokens.push_back(std::move(tokens[i]));
      kept_lines.push_back(first_line[i]);
    }
  data.sequences = std::move(kept);
  data.schema.user_feature_dim = feature_dim;
  // Users absent from the users file get zero features so every sequence has the same width.
  for (auto& seq : data.sequences)
    if (seq.features.empty() && feature_dim > 0) seq.features.assign(feature_dim, 0.0f);
  for (auto& seq : data.sequences) seq.category = -1;
  resolve_categories(data, kept_tokens, options.schema);
  if (options.require_categories)
    for (std::size_t i = 0; i < data.sequences.size(); ++i) {
      if (data.sequences[i].category >= 0) continue;
      const std::string& user = data.sequences[i].user;
      const std::string why = path.empty() ? "no users file gives one" : "the users file " + path + (users.empty() ? " is empty" : " does not give one");
      if (log && kept_lines[i] > 0)
        throw DataError(log->file, kept_lines[i], "category", "user '" + user + "' has no category (" + why + ")");
      throw DataError(path.empty() ? "data" : path, 0, "category", "user '" + user + "' has no category (" + why + ")");
    }
}

Dataset build_event_log(const std::string& file, std::vector<RawEvent> rows, int meta_dim_hint,
                        const ReadOptions& options, ReadReport* report) {
  const std::optional<Schema>& schema = options.schema;
  std::vector<bool> ok(rows.size(), true);
  auto fail = [&](std::size_t r, const DataError& e) {
    drop_or_throw(e, options, report, DropKind::Row);
    ok[r] = false;
  };

  // Metadata width: fixed by the schema, the CSV header, or the first row that has any.
  int meta_dim = schema ? schema->event_meta_dim : meta_dim_hint;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    auto& e = rows[r];
    if (meta_dim < 0 && e.has_meta) meta_dim = static_cast<int>(e.meta.size());
    int have = e.has_meta ? static_cast<int>(e.meta.size()) : 0;
    if (meta_dim >= 0 && have != meta_dim)
      fail(r, DataError(file, e.line, "meta", "expected " + std::to_string(meta_dim) + " values, got " +
                                                  std::to_string(have)));
  }
  if (meta_dim < 0) meta_dim = 0;

  // Type ids. With a schema, names (or ids within range) must be known. Without, integers are ids
  // when every token of that kind is a non-negative integer; otherwise each distinct token is a name
  // numbered by first appearance.
  Schema out_schema;
  if (schema) out_schema = *schema;
  std::vector<int> ids(rows.size(), -1);
  for (int stim = 0; stim < 2; ++stim) {
    const char* kind = stim ? "stimulus" : "action";
    std::vector<std::string>& names = stim ? out_schema.stimulus_names : out_schema.action_names;
    int& count = stim ? out_schema.num_stimulus_types : out_schema.num_action_types;
    if (schema) {
      for (std::size_t r = 0; r < rows.size(); ++r) {
        if (!ok[r] || rows[r].stimulus != static_cast<bool>(stim)) continue;
        const std::string& t = rows[r].type;
        auto it = std::find(names.begin(), names.end(), t);
        int id = it == names.end() ? -1 : static_cast<int>(it - names.begin());
        if (id < 0) {
          auto n = parse_integer(t);
          if (n && *n >= 0 && *n < count) id = static_cast<int>(*n);
        }
        if (id < 0) fail(r, DataError(file, rows[r].line, "type", std::string("unknown ") + kind + " type '" + t + "'"));
        else ids[r] = id;
      }
      continue;
    }
    bool all_integers = true, all_numbers = true;
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (!ok[r] || rows[r].stimulus != static_cast<bool>(stim)) continue;
      if (!parse_integer(rows[r].type)) all_integers = false;
      if (!parse_double(rows[r].type)) all_numbers = false;
    }
    // A column of numbers is a column of ids: "1.5" among them is a typo, not a name. Names are
    // read as names only when some token of the column is not a number (docs/formats.md).
    if (all_numbers && !all_integers) {
      for (std::size_t r = 0; r < rows.size(); ++r)
        if (ok[r] && rows[r].stimulus == static_cast<bool>(stim) && !parse_integer(rows[r].type))
          fail(r, DataError(file, rows[r].line, "type",
                            "'" + rows[r].type + "' is a number but not an integer type id (a column of numbers holds "
                            "ids 0, 1, ...; name types with words, or list the name in a schema)"));
      all_integers = true;
    }
    if (all_integers) {
      long long max_id = -1;
      for (std::size_t r = 0; r < rows.size(); ++r) {
        if (!ok[r] || rows[r].stimulus != static_cast<bool>(stim)) continue;
        long long id = *parse_integer(rows[r].type);
        if (id < 0) fail(r, DataError(file, rows[r].line, "type", "negative type id " + rows[r].type));
        else if (id >= 100000)
          fail(r, DataError(file, rows[r].line, "type", "type id " + rows[r].type + " too large (use names or a schema)"));
        else {
          ids[r] = static_cast<int>(id);
          max_id = std::max(max_id, id);
        }
      }
      count = static_cast<int>(max_id + 1);
      for (int k = 0; k < count; ++k) names.push_back(std::to_string(k));
    } else {
      std::unordered_map<std::string, int> map;
      for (std::size_t r = 0; r < rows.size(); ++r) {
        if (!ok[r] || rows[r].stimulus != static_cast<bool>(stim)) continue;
        auto [it, inserted] = map.emplace(rows[r].type, static_cast<int>(names.size()));
        if (inserted) names.push_back(rows[r].type);
        ids[r] = it->second;
      }
      count = static_cast<int>(names.size());
    }
  }
  out_schema.event_meta_dim = meta_dim;

  // Group by user in order of first appearance; times must not decrease within a user.
  Dataset data;
  std::unordered_map<std::string, std::size_t> index;
  std::vector<double> last_time;
  EventLogUsers users;
  users.file = file;
  TimeRange range;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (!ok[r]) continue;
    auto& row = rows[r];
    try {
      range.add(row.time, file, row.line, "time");
    } catch (const DataError& e) {
      fail(r, e);
      continue;
    }
    auto [it, inserted] = index.emplace(row.user, data.sequences.size());
    if (inserted) {
      Sequence seq;
      seq.user = row.user;
      data.sequences.push_back(std::move(seq));
      last_time.push_back(-INFINITY);
      users.category.emplace_back();
      users.first_line.push_back(row.line);
    }
    std::size_t s = it->second;
    if (!row.category.empty() && row.category != "-1") {  // "-1": none, as in users files
      auto& known = users.category[s];
      if (known && known->value != row.category) {
        fail(r, DataError(file, row.line, "category",
                          "user '" + row.user + "' has category '" + row.category + "' here but '" + known->value +
                              "' on line " + std::to_string(known->line)));
        continue;
      }
      if (!known) known = CategoryToken{row.category, file, row.line};
    }
    if (!options.sort && row.time < last_time[s]) {
      fail(r, DataError(file, row.line, "time",
                        "time " + format_double(row.time) + " before the previous event of user '" + row.user + "' (" +
                            format_double(last_time[s]) + "); times must not decrease (or use sort)"));
      continue;
    }
    last_time[s] = std::max(last_time[s], row.time);
    Event e;
    e.time = row.time;
    e.type = ids[r];
    e.is_stimulus = row.stimulus;
    e.text = std::move(row.text);
    e.meta = std::move(row.meta);
    data.sequences[s].events.push_back(std::move(e));
  }
  for (auto& seq : data.sequences) {
    if (options.sort)
      std::stable_sort(seq.events.begin(), seq.events.end(),
                       [](const Event& a, const Event& b) { return a.time < b.time; });
    seq.t_start = seq.events.front().time;
    seq.t_end = seq.events.back().time;
  }
  data.schema = out_schema;
  apply_users_file(data, options, report, &users);
  if (data.sequences.empty()) throw DataError(file, 0, "file", "no valid events");
  return data;
}

}  // namespace io

Format parse_format(const std::string& name) {
  if (name.empty() || name == "auto") return Format::Auto;
  if (name == "csv") return Format::Csv;
  if (name == "jsonl") return Format::Jsonl;
  if (name == "easytpp" || name == "json") return Format::EasyTpp;
  if (name == "rmtpp") return Format::Rmtpp;
  if (name == "store") return Format::Store;
  throw Error("unknown format '" + name + "' (expected csv, jsonl, easytpp, rmtpp or store)");
}

std::string format_name(Format format) {
  switch (format) {
    case Format::Auto: return "auto";
    case Format::Csv: return "csv";
    case Format::Jsonl: return "jsonl";
    case Format::EasyTpp: return "easytpp";
    case Format::Rmtpp: return "rmtpp";
    case Format::Store: return "store";
  }
  return "?";
}


namespace {
bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
bool ends_with(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

// Which file of an RMTPP pair a name is, and its partner's name: the word "time" or "event" starts
// the name (time-train.txt, the RMTPP release's layout) or ends its stem (train-time.txt, as many
// preprocessed sets name them).
struct RmtppName {
  bool is_time{false};
  std::string partner;  // file name of the other file of the pair; empty when the name is neither
};

RmtppName rmtpp_name(const std::string& base) {
  if (starts_with(base, "time")) return {true, "event" + base.substr(4)};
  if (starts_with(base, "event")) return {false, "time" + base.substr(5)};
  const std::string ext = std::filesystem::path(base).extension().string();
  const std::string stem = base.substr(0, base.size() - ext.size());
  if (ends_with(stem, "time")) return {true, stem.substr(0, stem.size() - 4) + "event" + ext};
  if (ends_with(stem, "event")) return {false, stem.substr(0, stem.size() - 5) + "time" + ext};
  return {};
}
}  // namespace

Format detect_format(const std::string& path) {
  std::filesystem::path p(path);
  std::string ext = p.extension().string();
  std::string base = p.filename().string();
  if (ext == ".tpps") return Format::Store;
  if (ext == ".csv") return Format::Csv;
  if (ext == ".jsonl" || ext == ".ndjson") return Format::Jsonl;
  if (ext == ".json") return Format::EasyTpp;
  if (ext == ".txt" && !rmtpp_name(base).partner.empty()) return Format::Rmtpp;
  throw Error(path + ": cannot tell the format from the name; give it explicitly (csv, jsonl, easytpp, rmtpp, store)");
}

std::string rmtpp_partner(const std::string& path) {
  std::filesystem::path p(path);
  const RmtppName name = rmtpp_name(p.filename().string());
  if (name.partner.empty())
    throw Error(path + ": an RMTPP file name starts with 'time' or 'event' (time-X.txt) or ends with it (X-time.txt)");
  return (p.parent_path() / name.partner).string();
}

Dataset read_dataset(const std::string& spec, const ReadOptions& options, ReadReport* report) {
  // A store is known by its magic bytes whatever its name.
  Format format = options.format != Format::Auto ? options.format : is_event_store(spec) ? Format::Store : detect_format(spec);
  switch (format) {
    case Format::Csv: return read_event_log_csv(spec, options, report);
    case Format::Jsonl: return read_event_log_jsonl(spec, options, report);
    case Format::EasyTpp: return read_easytpp(spec, options, report);
    case Format::Rmtpp: {
      std::string partner = rmtpp_partner(spec);
      return rmtpp_name(std::filesystem::path(spec).filename().string()).is_time
                 ? read_rmtpp(spec, partner, options, report)
                 : read_rmtpp(partner, spec, options, report);
    }
    case Format::Store: {
      // A store is already validated data with its own schema: the reader options that resolve or
      // repair text input have nothing to act on.
      if (options.schema || !options.users.empty() || options.drop_invalid || options.sort)
        throw Error(spec + ": an event store carries its schema and users; --schema, --users, --drop-invalid and "
                           "--sort apply to text input");
      Dataset data = EventStore(spec).load_all();
      if (options.require_categories)
        for (const auto& seq : data.sequences)
          if (seq.category < 0) throw DataError(spec, 0, "categories", "user '" + seq.user + "' has no category");
      return data;
    }
    case Format::Auto: break;
  }
  throw Error(spec + ": no format");
}

Schema read_schema(const std::string& path) {
  const std::string text = io::read_file(path);
  const std::size_t bad = io::invalid_utf8_offset(text);
  if (bad != std::string::npos) throw DataError(path, io::line_of_offset(text, bad), "schema", "invalid UTF-8");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e309
    throw DataError(path, io::json_error_line(text, e), "schema", std::string("invalid JSON: ") + e.what());
  }
  // Located at the document's first value, the line that should open the object.
  if (!j.is_object())
    throw DataError(path, io::line_of_offset(text, text.find_first_not_of(" \t\r\n")), "schema", "expected a JSON object");
  return schema_from_layout(std::move(j), path);
}

namespace {

// The checked fields of a schema file, each refused under its own key before a Schema is built.
long long schema_count(const nlohmann::json& j, const char* key, const std::string& path, long long min, long long max) {
  const auto& v = j.at(key);
  if (!v.is_number_integer()) throw DataError(path, 0, key, "expected an integer, got " + v.dump());
  // A count past LLONG_MAX reads back negative through get<long long>, so it fails the range too.
  const long long n = v.is_number_unsigned() && v.get<unsigned long long>() > static_cast<unsigned long long>(max)
                          ? max + 1
                          : v.get<long long>();
  if (n < min || n > max)
    throw DataError(path, 0, key, "must be in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " + v.dump());
  return n;
}

std::vector<std::string> schema_names(const nlohmann::json& j, const char* key, const std::string& path) {
  std::vector<std::string> names;
  if (!j.contains(key)) return names;
  const auto& list = j[key];
  if (!list.is_array()) throw DataError(path, 0, key, "expected a list of names");
  if (static_cast<long long>(list.size()) > io::kMaxTypes)
    throw DataError(path, 0, key, "more than " + std::to_string(io::kMaxTypes) + " names");
  std::unordered_map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string field = std::string(key) + "[" + std::to_string(i) + "]";
    if (!list[i].is_string()) throw DataError(path, 0, field, "expected a string, got " + list[i].dump());
    std::string name = list[i].get<std::string>();
    if (name.empty()) throw DataError(path, 0, field, "empty name");
    if (name.find('\0') != std::string::npos) throw DataError(path, 0, field, "name contains a NUL byte");
    auto [it, inserted] = seen.emplace(name, i);
    if (!inserted)
      throw DataError(path, 0, field, "'" + name + "' also names entry " + std::to_string(it->second) + " (names must differ)");
    names.push_back(std::move(name));
  }
  return names;
}

}  // namespace

Schema schema_from_layout(nlohmann::json j, const std::string& path) {
  if (!j.is_object()) throw DataError(path, 0, "schema", "expected a JSON object");
  try {
    Schema names_only;
    names_only.action_names = schema_names(j, "action_names", path);
    names_only.stimulus_names = schema_names(j, "stimulus_names", path);
    schema_names(j, "category_names", path);
    if (!j.contains("num_action_types")) {
      if (!j.contains("action_names")) throw DataError(path, 0, "num_action_types", "missing (give it or action_names)");
      j["num_action_types"] = names_only.action_names.size();
    }
    if (!j.contains("num_stimulus_types")) j["num_stimulus_types"] = names_only.stimulus_names.size();
    const int num_actions = static_cast<int>(schema_count(j, "num_action_types", path, 1, io::kMaxTypes));
    const int num_stimuli = static_cast<int>(schema_count(j, "num_stimulus_types", path, 0, io::kMaxTypes));
    for (const char* key : {"user_feature_dim", "event_meta_dim"})
      if (j.contains(key)) schema_count(j, key, path, 0, 1000000);
    if (static_cast<int>(names_only.action_names.size()) > num_actions)
      throw DataError(path, 0, "action_names", "more names than num_action_types = " + std::to_string(num_actions));
    if (static_cast<int>(names_only.stimulus_names.size()) > num_stimuli)
      throw DataError(path, 0, "stimulus_names", "more names than num_stimulus_types = " + std::to_string(num_stimuli));
    auto action_ref = [&](const nlohmann::json& v, const std::string& field) {
      int id = -1;
      if (v.is_string()) id = names_only.action_id(v.get<std::string>());
      else if (v.is_number_integer() && v.get<long long>() >= 0 && v.get<long long>() < num_actions) id = v.get<int>();
      if (id < 0 || id >= num_actions) throw DataError(path, 0, field, "unknown action type " + v.dump());
      return id;
    };
    if (j.contains("affects")) {
      std::vector<std::vector<int>> affects(num_stimuli);
      auto fill = [&](int s, const nlohmann::json& list, const std::string& field) {
        if (s < 0 || s >= num_stimuli) throw DataError(path, 0, field, "stimulus type " + std::to_string(s) + " out of range");
        if (!list.is_array()) throw DataError(path, 0, field, "expected a list of action types");
        for (std::size_t i = 0; i < list.size(); ++i)
          affects[s].push_back(action_ref(list[i], field + "[" + std::to_string(i) + "]"));
      };
      if (j["affects"].is_object()) {
        for (const auto& [key, list] : j["affects"].items()) {
          const std::string field = "affects." + key;
          int s = names_only.stimulus_id(key);
          if (s < 0) {
            auto n = io::parse_integer(key);
            if (!n) throw DataError(path, 0, field, "unknown stimulus type '" + key + "'");
            s = n && *n >= 0 && *n < num_stimuli ? static_cast<int>(*n) : -1;
          }
          fill(s, list, field);
        }
      } else if (j["affects"].is_array()) {
        if (j["affects"].size() > static_cast<std::size_t>(num_stimuli))
          throw DataError(path, 0, "affects", "more entries than stimulus types");
        for (std::size_t s = 0; s < j["affects"].size(); ++s)
          fill(static_cast<int>(s), j["affects"][s], "affects[" + std::to_string(s) + "]");
      } else {
        throw DataError(path, 0, "affects", "expected an object or a list");
      }
      j["affects"] = affects;
    }
    return schema_from_json(j);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path, 0, "schema", e.what());
  } catch (const DataError&) {
    throw;
  } catch (const Error& e) {
    throw DataError(path, 0, "schema", e.what());
  }
}

void write_schema(const Schema& schema, const std::string& path) { io::write_file(path, to_json(schema).dump(2) + "\n"); }

void write_dataset(const Dataset& data, const std::string& spec, const WriteOptions& options) {
  Format format = options.format == Format::Auto ? detect_format(spec) : options.format;
  switch (format) {
    case Format::Csv: write_event_log_csv(data, spec); break;
    case Format::Jsonl: write_event_log_jsonl(data, spec); break;
    case Format::EasyTpp: write_easytpp(data, spec); break;
    case Format::Rmtpp: {
      std::string partner = rmtpp_partner(spec);
      if (rmtpp_name(std::filesystem::path(spec).filename().string()).is_time) write_rmtpp(data, spec, partner);
      else write_rmtpp(data, partner, spec);
      break;
    }
    case Format::Store: write_event_store(data, spec); break;
    case Format::Auto: throw Error(spec + ": no format");
  }
  if (!options.users.empty()) write_users(data, options.users);
  if (!options.schema.empty()) write_schema(data.schema, options.schema);
}

namespace {
// A category as the users file writes it: its name, so names survive a round trip; "-1" for none,
// as the reader (and earlier files) have it.
std::string category_name(const Schema& schema, int category) {
  if (category < 0) return "-1";
  return category < static_cast<int>(schema.category_names.size()) ? schema.category_names[category]
                                                                  : std::to_string(category);
}

// JSON for a category name: integers stay JSON integers.
nlohmann::json category_json(const std::string& name) {
  auto n = io::parse_integer(name);
  return n && std::to_string(*n) == name ? nlohmann::json(*n) : nlohmann::json(name);
}
}  // namespace

void write_users(const Dataset& data, const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::string out;
  const int F = data.schema.user_feature_dim;
  if (ext == ".csv") {
    out = "user,category,t_start,t_end";
    for (int f = 0; f < F; ++f) out += ",f" + std::to_string(f);
    out += "\n";
    for (const auto& s : data.sequences) {
      out += io::csv_field(s.user) + "," + io::csv_field(category_name(data.schema, s.category)) + "," +
             io::format_double(s.t_start) + "," + io::format_double(s.t_end);
      for (int f = 0; f < F; ++f)
        out += "," + io::format_double(f < static_cast<int>(s.features.size()) ? s.features[f] : 0.0f);
      out += "\n";
    }
  } else {
    for (const auto& s : data.sequences) {
      nlohmann::json j = {{"user", s.user},
                          {"category", category_json(category_name(data.schema, s.category))},
                          {"t_start", s.t_start},
                          {"t_end", s.t_end}};
      if (F > 0) j["features"] = s.features;
      out += j.dump() + "\n";
    }
  }
  io::write_file(path, out);
}

std::vector<std::string> lost_in_format(const Dataset& data, Format format, bool with_users_file) {
  std::vector<std::string> lost;
  bool text = false, meta = false, stimuli = false, categories = false, features = false, windows = false;
  for (const auto& s : data.sequences) {
    for (const auto& e : s.events) {
      text |= !e.text.empty();
      meta |= !e.meta.empty();
      stimuli |= e.is_stimulus;
    }
    categories |= s.category >= 0;
    features |= !s.features.empty();
    bool default_window = !s.events.empty() && s.t_start == s.events.front().time && s.t_end == s.events.back().time;
    windows |= !default_window;
  }
  if (format == Format::Store) return lost;  // a store holds everything a Dataset does
  bool event_log = format == Format::Csv || format == Format::Jsonl;
  if (!event_log) {
    if (text) lost.push_back("event text");
    if (meta) lost.push_back("event metadata");
    if (stimuli) lost.push_back("stimuli");
    if (categories) lost.push_back("user categories");
    if (features) lost.push_back("user features");
    bool ids = false;
    for (std::size_t i = 0; i < data.sequences.size(); ++i) ids |= data.sequences[i].user != std::to_string(i);
    if (ids) lost.push_back("user ids");
    if (data.schema.num_stimulus_types > 0 || !data.schema.affects.empty()) lost.push_back("stimulus types");
    bool named = false;
    for (int k = 0; k < data.schema.num_action_types; ++k) named |= data.schema.action_names[k] != std::to_string(k);
    if (named) lost.push_back("type names");
    // EasyTPP keeps each window's start (in the first gap) but not an end past the last event.
    if (format == Format::Rmtpp && windows) lost.push_back("observation windows");
    if (format == Format::EasyTpp) {
      bool late_end = false;
      for (const auto& s : data.sequences) late_end |= s.events.empty() || s.t_end != s.events.back().time;
      if (late_end) lost.push_back("observation window ends");
    }
  } else if (!with_users_file) {
    if (categories) lost.push_back("user categories (write a users file)");
    if (features) lost.push_back("user features (write a users file)");
    if (windows) lost.push_back("observation windows (write a users file)");
  }
  return lost;
}

}  // namespace tpp
