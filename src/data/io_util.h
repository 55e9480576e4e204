#pragma once
// Internal helpers shared by the readers and writers (not a public header).
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/core/error.h"
#include "tpp/data/dataset.h"
#include "tpp/data/io.h"

namespace tpp::io {

// Whole file as bytes; DataError(path, 0, "file", ...) when it cannot be opened.
std::string read_file(const std::string& path);
// Writes bytes to a file; throws tpp::Error when it cannot be written.
void write_file(const std::string& path, const std::string& text);

// Strict number parsing: the whole token must be a number. nullopt on failure.
std::optional<double> parse_double(const std::string& token);
std::optional<long long> parse_integer(const std::string& token);
// Parses a time token; throws DataError for unparsable or non-finite values.
double parse_time(const std::string& token, const std::string& file, std::size_t line, const std::string& field);
// Shortest decimal that reads back to the same double.
std::string format_double(double value);
bool valid_utf8(const std::string& s);
// Byte offset of the first byte that does not start valid UTF-8; npos when the whole text is valid.
std::size_t invalid_utf8_offset(const std::string& s);
// 1-based line of a byte offset in a text.
std::size_t line_of_offset(const std::string& text, std::size_t offset);
// The line of a JSON text on which nlohmann's exception `e` arose: the byte of a parse error, or
// for a number the parser cannot hold (out_of_range 406, "1e309") the first line holding that
// token, since that exception carries no position. 0 when it cannot tell.
std::size_t json_error_line(const std::string& text, const nlohmann::json::exception& e);

// The most types of one kind (actions or stimuli) a file may declare or use: a schema holds one
// name per type, so a count such as 2e9 must be refused before anything is allocated for it.
inline constexpr long long kMaxTypes = 100000;

// The times read from one file span a range whose width must be a finite double: the gaps, windows
// and time scale are differences of times, and ±1e308 would make them infinite.
class TimeRange {
 public:
  // Throws DataError(file, line, field) when `t` widens the range past the largest double.
  void add(double t, const std::string& file, std::size_t line, const std::string& field);

 private:
  double lo_{0.0}, hi_{0.0};
  std::size_t lo_line_{0}, hi_line_{0};
  bool empty_{true};
};
std::string trim(const std::string& s);
// Splits on runs of spaces/tabs, ignoring leading and trailing blanks.
std::vector<std::string> split_whitespace(const std::string& line);

// drop_invalid: count and remember the error, else rethrow it.
enum class DropKind { Row, Sequence };
void drop_or_throw(const DataError& error, const ReadOptions& options, ReadReport* report, DropKind kind);

// One event as read from an event log, before type names are resolved and users are grouped.
struct RawEvent {
  std::string user;
  double time{0.0};
  std::string type;  // name or integer id, as written
  bool stimulus{false};
  std::string text;
  std::vector<float> meta;
  bool has_meta{false};
  std::string category;  // the user's category as written (name or integer); empty: none given
  std::size_t line{0};
};

// Column positions of an event log's CSV header (-1: absent); meta holds m0, m1, ... in order.
struct EventLogColumns {
  int user{-1}, time{-1}, type{-1}, stimulus{-1}, text{-1}, category{-1};
  std::vector<int> meta;
  std::size_t count{0};  // fields per record
};
struct CsvRecord;
// The header's columns; a DataError at `line` for an unknown, repeated or missing column.
EventLogColumns event_log_columns(const std::vector<std::string>& header, const std::string& path, std::size_t line);
// One CSV record / one JSON line of an event log as a RawEvent; a DataError names the bad field.
// `last`: the file's last record (a short one is reported as a likely truncation).
RawEvent csv_event(const CsvRecord& record, const EventLogColumns& columns, const std::string& path, bool last);
RawEvent json_event(const nlohmann::json& value, const std::string& path, std::size_t line);

// A user's category as written, with where: resolved to an id once every source is read.
struct CategoryToken {
  std::string value;
  std::string file;
  std::size_t line{0};
};

// What an event log knows of its users, per sequence in file order: the category of its
// category column, and the line of the user's first event (where a missing category is reported).
struct EventLogUsers {
  std::string file;
  std::vector<std::optional<CategoryToken>> category;
  std::vector<std::size_t> first_line;
};

// Resolves types, groups users (file order), checks time order and applies the users file.
Dataset build_event_log(const std::string& file, std::vector<RawEvent> rows, int meta_dim_hint,
                        const ReadOptions& options, ReadReport* report);

// One user's row of a users file (or of an in-memory users table), as written.
struct UserInfo {
  std::optional<std::string> category;  // as written; "-1" (the old "unknown") reads as none
  std::optional<double> t_start, t_end;
  std::vector<float> features;
  std::size_t line{0};
};

// The checks every users row passes, wherever it comes from: a non-empty UTF-8 id listed once, a
// complete and ordered window, finite features of one width (`feature_dim`, or the first row's
// when negative). Throws a DataError located in `source` at the row's line.
class UserRowChecker {
 public:
  UserRowChecker(std::string source, int feature_dim);
  void check(const std::string& user, UserInfo& info);

 private:
  std::string source_;
  int feature_dim_;
  std::unordered_set<std::string> seen_;
  TimeRange windows_;  // every t_start and t_end of the file, as an event file's times
};

// Applies checked user rows from `source` (named in errors) to sequences keyed by Sequence::user,
// as apply_users_file does with the rows of options.users.
void apply_users(Dataset& data, std::vector<std::pair<std::string, UserInfo>> users, const std::string& source,
                 const ReadOptions& options, ReadReport* report, const EventLogUsers* log = nullptr);

// Applies options.users (if any) to sequences keyed by Sequence::user: category, window, features.
// Users listed there without events become empty sequences when they carry a window. Then
// resolves the categories of both sources (event log `log`, users file) to ids and names
// (Schema::category_names): the schema's names when it has them (others are errors), else
// non-negative integers as ids, else names numbered by first appearance.
void apply_users_file(Dataset& data, const ReadOptions& options, ReadReport* report, const EventLogUsers* log = nullptr);

// RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines; CRLF accepted.
// `line` is the record's first line. An unterminated quote is a DataError.
struct CsvRecord {
  std::vector<std::string> fields;
  std::size_t line{0};
};
std::vector<CsvRecord> parse_csv(const std::string& text, const std::string& file);
std::string csv_field(const std::string& value);  // quoted when needed

// Non-blank lines of a JSON-lines file, parsed. A parse failure is a DataError naming the line
// (reported as truncated when it is the last line and the file does not end with a newline).
struct JsonLine {
  nlohmann::json value;
  std::size_t line{0};
};
std::vector<JsonLine> parse_json_lines(const std::string& text, const std::string& file, const ReadOptions& options,
                                       ReadReport* report);

}  // namespace tpp::io
