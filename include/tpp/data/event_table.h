#pragma once
// Event data held in memory as columns (a front end's arrays or data frame) instead of a file: the
// columns of an event log and of a users table, checked and resolved by the same rules as the
// event-log readers apply to a file's rows (data/io.h), and the columns of a dataset back. A row
// is reported as line `first_row + i` of `source`, so errors read "events:3: time: not finite".
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tpp/data/dataset.h"
#include "tpp/data/io.h"

namespace tpp {

// One entry per event in every non-empty column; empty optional columns are absent.
struct EventColumns {
  std::vector<std::string> user;
  std::vector<double> time;
  std::vector<std::string> type;      // names, or integer ids written in decimal
  std::vector<char> stimulus;         // optional: nonzero for a stimulus
  std::vector<std::string> text;      // optional
  std::vector<std::string> category;  // optional: the user's category on its rows ("" none)
  std::size_t meta_dim{0};            // event metadata width; 0 means no metadata column
  std::vector<float> meta;            // rows × meta_dim, row-major
};

// One entry per user in every non-empty column: what a users file holds.
struct UserColumns {
  std::vector<std::string> user;
  std::vector<std::string> category;  // optional ("" none)
  std::vector<double> t_start;        // optional, with t_end; NaN: no window for that user
  std::vector<double> t_end;
  std::size_t feature_dim{0};
  std::vector<float> features;        // rows × feature_dim, row-major
};

struct ColumnSources {
  std::string events{"events"};  // names the event columns in errors
  std::string users{"users"};    // names the user columns in errors
  std::size_t first_row{1};      // the number errors give the first row
};

// A dataset from event columns and optional user columns. options.schema, sort, drop_invalid and
// require_categories act as for a file (options.users and format are not used). Throws DataError.
Dataset dataset_from_columns(const EventColumns& events, const UserColumns* users, const ReadOptions& options = {},
                             const ColumnSources& sources = {}, ReadReport* report = nullptr);

// A schema given in memory in either layout read_schema accepts (to_json(Schema)'s, or names with
// an `affects` map by name); `where` names it in errors.
Schema schema_from_layout(nlohmann::json schema, const std::string& where = "schema");

// The events of `data` in sequence order with type and category names (the inverse of
// dataset_from_columns), and one user row per sequence: category name, window and features.
EventColumns event_columns(const Dataset& data);
UserColumns user_columns(const Dataset& data);

}  // namespace tpp
