#pragma once
// Readers and writers for event data: our canonical event log (CSV, JSONL) with its optional users
// file and schema, EasyTPP JSON, RMTPP paired text files, and the binary event store (data/event_store.h). Every malformed input raises a
// tpp::DataError "file:line: field: reason"; with drop_invalid the offending row or sequence is
// skipped instead and counted in a ReadReport. docs/formats.md describes the formats.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "tpp/data/dataset.h"

namespace tpp {

enum class Format { Auto, Csv, Jsonl, EasyTpp, Rmtpp, Store };

// "csv", "jsonl", "easytpp" (alias "json"), "rmtpp", "store"; "" or "auto" gives Auto. Throws tpp::Error.
Format parse_format(const std::string& name);
std::string format_name(Format format);
// From the path: *.csv, *.jsonl, *.json (EasyTPP), time*.txt / event*.txt (RMTPP pair), *.tpps (store).
// read_dataset also knows a store by its magic bytes, whatever its name.
// Throws tpp::Error when the path says nothing.
Format detect_format(const std::string& path);
// The partner of an RMTPP file: time-X.txt <-> event-X.txt (also time.txt <-> event.txt).
std::string rmtpp_partner(const std::string& path);

struct ReadOptions {
  Format format{Format::Auto};
  std::string users;             // optional users file (CSV or JSONL): category, window, features
  std::optional<Schema> schema;  // fixes type ids and names; unknown types become errors
  bool drop_invalid{false};      // skip bad rows / sequences instead of failing, counting them
  bool sort{false};              // event logs: stable-sort each user's events instead of rejecting
                                 // decreasing times
  // Every user of an event log must have a category (IPTW training): a user the users file does
  // not list, or lists without a category, is an error at the user's first event-log line.
  bool require_categories{false};
  std::string split;             // EasyTPP: key of the dict holding the sequences ("" = the only
                                 // list-valued key)
};

// What drop_invalid skipped. Nothing is ever skipped without being counted here.
struct ReadReport {
  std::size_t rows_dropped{0};       // event-log rows / users-file rows
  std::size_t sequences_dropped{0};  // whole sequences (RMTPP lines, EasyTPP sequences, empty users)
  std::vector<std::string> reasons;  // the DataError message of each drop (first 100)
  std::size_t total_dropped() const { return rows_dropped + sequences_dropped; }
};

// The single entry: reads `spec` in the format given by options.format, or detected from the path.
// For RMTPP, spec is either file of the pair.
Dataset read_dataset(const std::string& spec, const ReadOptions& options = {}, ReadReport* report = nullptr);

Dataset read_event_log_csv(const std::string& path, const ReadOptions& options = {}, ReadReport* report = nullptr);
Dataset read_event_log_jsonl(const std::string& path, const ReadOptions& options = {},
                             ReadReport* report = nullptr);
Dataset read_easytpp(const std::string& path, const ReadOptions& options = {}, ReadReport* report = nullptr);
Dataset read_rmtpp(const std::string& time_path, const std::string& event_path, const ReadOptions& options = {},
                   ReadReport* report = nullptr);

// A schema file: either to_json(Schema)'s layout, or the friendlier
// {"action_names": [...], "stimulus_names": [...], "affects": {"email": ["click", ...]}}
// where num_*_types default to the number of names and affects may use names or ids.
Schema read_schema(const std::string& path);
void write_schema(const Schema& schema, const std::string& path);

// Writers. Times are written with enough digits to read back bit-identical.
struct WriteOptions {
  Format format{Format::Auto};  // Auto: from the path like detect_format
  std::string users;            // event logs: also write the users file (category, window, features)
  std::string schema;           // also write the schema JSON
};
void write_dataset(const Dataset& data, const std::string& spec, const WriteOptions& options = {});
void write_event_log_csv(const Dataset& data, const std::string& path);
void write_event_log_jsonl(const Dataset& data, const std::string& path);
// Users file as CSV (`user,category,t_start,t_end,f0,f1,...`) or JSONL, chosen by extension.
void write_users(const Dataset& data, const std::string& path);
void write_easytpp(const Dataset& data, const std::string& path);
void write_rmtpp(const Dataset& data, const std::string& time_path, const std::string& event_path);

// What `format` cannot hold of `data` (e.g. "stimuli", "text", "user features"): one phrase each,
// empty when the conversion is lossless. Writers throw tpp::Error for what would change meaning
// (stimuli, negative times in EasyTPP); the rest is dropped and `tpp convert` prints this list.
std::vector<std::string> lost_in_format(const Dataset& data, Format format, bool with_users_file);

}  // namespace tpp
