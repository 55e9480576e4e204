// Event log to event store by external sort: rows stream in, sorted chunks spill to run files,
// a k-way merge feeds the store writer one user at a time.
#include "tpp/data/store_conversion.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <queue>
#include <unordered_map>

#include <fmt/format.h>

#include "io_util.h"
#include "tpp/data/event_store.h"

namespace tpp {

namespace {

using io::RawEvent;

// ---- Reading the log one row at a time -------------------------------------------------------

// Yields the rows of a CSV or JSONL event log in file order; malformed rows are dropped (counted)
// or thrown as the in-memory readers do.
class RowReader {
 public:
  RowReader(const std::string& path, Format format, const StoreConversionOptions& options, ReadReport* report)
      : path_(path), csv_(format == Format::Csv), in_(path, std::ios::binary), report_(report) {
    if (!in_) throw DataError(path, 0, "file", "cannot open");
    read_options_.drop_invalid = options.drop_invalid;
    if (csv_) {
      std::size_t line = 0;
      std::string text;
      if (!next_record(text, line)) throw DataError(path, 0, "file", "empty file");
      auto records = io::parse_csv(text, path);
      if (records.empty()) throw DataError(path, 0, "file", "empty file");
      columns_ = io::event_log_columns(records[0].fields, path, line);
    }
  }

  // Metadata width fixed by the header (CSV); -1: from the first row carrying metadata (JSONL).
  int meta_dim_hint() const { return csv_ ? static_cast<int>(columns_.meta.size()) : -1; }

  bool next(RawEvent& row) {
    std::string text;
    std::size_t line = 0;
    while (next_record(text, line)) {
      ++rows_;
      try {
        if (csv_) {
          auto records = io::parse_csv(text, path_);
          if (records.empty()) {
            --rows_;
            continue;
          }
          records[0].line += line - 1;
          row = io::csv_event(records[0], columns_, path_, in_.peek() == std::char_traits<char>::eof());
        } else {
          if (io::trim(text).empty()) {
            --rows_;
            continue;
          }
          nlohmann::json value;
          try {
            value = nlohmann::json::parse(text);
          } catch (const nlohmann::json::parse_error& e) {
            throw DataError(path_, line, "json", std::string("invalid JSON: ") + e.what());
          }
          row = io::json_event(value, path_, line);
        }
        return true;
      } catch (const DataError& e) {
        io::drop_or_throw(e, read_options_, report_, io::DropKind::Row);
      }
    }
    return false;
  }

  std::size_t rows() const { return rows_; }
  const ReadOptions& read_options() const { return read_options_; }

 private:
  // One record's text (a CSV record may span lines inside quotes); `line`: its first line.
  bool next_record(std::string& text, std::size_t& line) {
    text.clear();
    std::string piece;
    bool quoted = false;
    while (std::getline(in_, piece)) {
      if (text.empty()) line = line_ + 1;
      ++line_;
      text += piece;
      if (!csv_) return true;
      quoted ^= std::count(piece.begin(), piece.end(), '"') % 2 == 1;
      if (!quoted) return true;
      text += '\n';
    }
    return !text.empty();  // an unterminated quote: parse_csv reports it
  }

  std::string path_;
  bool csv_;
  std::ifstream in_;
  ReadReport* report_;
  ReadOptions read_options_;
  io::EventLogColumns columns_;
  std::size_t line_{0};
  std::size_t rows_{0};
};

// ---- Sorted runs --------------------------------------------------------------------------------

bool row_before(const RawEvent& a, const RawEvent& b) {
  if (a.user != b.user) return a.user < b.user;
  return a.time < b.time;
}

void put_string(std::ostream& out, const std::string& s) {
  const auto n = static_cast<std::uint64_t>(s.size());
  out.write(reinterpret_cast<const char*>(&n), sizeof n);
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}
bool get_string(std::istream& in, std::string& s) {
  std::uint64_t n = 0;
  if (!in.read(reinterpret_cast<char*>(&n), sizeof n)) return false;
  s.resize(n);
  return static_cast<bool>(in.read(s.data(), static_cast<std::streamsize>(n)));
}
template <class T>
void put_value(std::ostream& out, T v) {
  out.write(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
bool get_value(std::istream& in, T& v) {
  return static_cast<bool>(in.read(reinterpret_cast<char*>(&v), sizeof v));
}

void write_row(std::ostream& out, const RawEvent& r) {
  put_string(out, r.user);
  put_value(out, r.time);
  put_string(out, r.type);
  put_value<std::uint8_t>(out, r.stimulus);
  put_string(out, r.text);
  put_string(out, r.category);
  put_value<std::uint8_t>(out, r.has_meta);
  put_value<std::uint64_t>(out, r.meta.size());
  out.write(reinterpret_cast<const char*>(r.meta.data()), static_cast<std::streamsize>(4 * r.meta.size()));
  put_value<std::uint64_t>(out, r.line);
}

bool read_row(std::istream& in, RawEvent& r) {
  if (!get_string(in, r.user)) return false;
  std::uint8_t stimulus = 0, has_meta = 0;
  std::uint64_t meta = 0, line = 0;
  bool ok = get_value(in, r.time) && get_string(in, r.type) && get_value(in, stimulus) && get_string(in, r.text) &&
            get_string(in, r.category) && get_value(in, has_meta) && get_value(in, meta);
  if (!ok) return false;
  r.meta.resize(meta);
  ok = static_cast<bool>(in.read(reinterpret_cast<char*>(r.meta.data()), static_cast<std::streamsize>(4 * meta))) &&
       get_value(in, line);
  r.stimulus = stimulus;
  r.has_meta = has_meta;
  r.line = line;
  return ok;
}

// A spilled run, read back one row at a time; removed when done.
struct Run {
  std::string file;
  std::ifstream in;
  RawEvent row;
  bool live{false};
  explicit Run(std::string f) : file(std::move(f)), in(file, std::ios::binary) { advance(); }
  ~Run() {
    in.close();
    std::error_code ignored;
    std::filesystem::remove(file, ignored);
  }
  void advance() { live = read_row(in, row); }
};

// ---- Types and categories ------------------------------------------------------------------

// The ids of one kind of type token (actions or stimuli), decided as the event-log reader does
// once every token has been seen: all integers -> ids; else names numbered by first appearance.
struct TypeIds {
  bool all_integers{true};
  long long max_id{-1};
  std::unordered_map<std::string, int> names;  // token -> id when named
  std::vector<std::string> order;               // names in id order
};

struct CategoryIds {
  bool all_integers{true};
  long long max_id{-1};
  std::unordered_map<std::string, int> names;
  std::vector<std::string> order;
};

}  // namespace

StoreConversionReport convert_to_store(const std::string& input, const std::string& output,
                                       const StoreConversionOptions& options, ReadReport* report) {
  const Format format = options.format == Format::Auto ? detect_format(input) : options.format;
  if (format != Format::Csv && format != Format::Jsonl)
    throw Error(input + ": streaming conversion to a store reads event logs (csv or jsonl), not " + format_name(format));
  if (options.chunk_rows == 0) throw Error("convert: the chunk size must be positive");
  const std::filesystem::path temp_dir =
      options.temp_dir.empty() ? std::filesystem::absolute(output).parent_path() : std::filesystem::path(options.temp_dir);
  const std::string run_prefix = (temp_dir / std::filesystem::path(output).filename()).string() + ".run.";

  StoreConversionReport result;
  RowReader reader(input, format, options, report);
  const std::optional<Schema>& schema = options.schema;
  int meta_dim = schema ? schema->event_meta_dim : reader.meta_dim_hint();
  TypeIds kinds[2];
  CategoryIds categories;

  // Pass 1: read, check what a row alone can show, spill sorted chunks.
  std::vector<std::string> run_files;
  std::vector<RawEvent> chunk;
  auto spill = [&] {
    if (chunk.empty()) return;
    std::stable_sort(chunk.begin(), chunk.end(), row_before);
    run_files.push_back(run_prefix + std::to_string(run_files.size()));
    std::ofstream out(run_files.back(), std::ios::binary | std::ios::trunc);
    for (const auto& r : chunk) write_row(out, r);
    if (!out) throw Error(run_files.back() + ": cannot write a sorted run (disk full?)");
    chunk.clear();
  };
  // Removes every run file on the way out, the normal one included (Run removes merged ones too).
  struct RunFiles {
    std::vector<std::string>& files;
    ~RunFiles() {
      std::error_code ignored;
      for (const auto& f : files) std::filesystem::remove(f, ignored);
    }
  } cleanup{run_files};

  RawEvent row;
  while (reader.next(row)) {
    try {
      if (meta_dim < 0 && row.has_meta) meta_dim = static_cast<int>(row.meta.size());
      const int have = row.has_meta ? static_cast<int>(row.meta.size()) : 0;
      if (meta_dim >= 0 && have != meta_dim)
        throw DataError(input, row.line, "meta", fmt::format("expected {} values, got {}", meta_dim, have));
      if (schema) {
        const auto& names = row.stimulus ? schema->stimulus_names : schema->action_names;
        const int count = row.stimulus ? schema->num_stimulus_types : schema->num_action_types;
        if (std::find(names.begin(), names.end(), row.type) == names.end()) {
          auto n = io::parse_integer(row.type);
          if (!n || *n < 0 || *n >= count)
            throw DataError(input, row.line, "type",
                            std::string("unknown ") + (row.stimulus ? "stimulus" : "action") + " type '" + row.type + "'");
        }
      } else {
        kinds[row.stimulus].all_integers &= io::parse_integer(row.type).has_value();
      }
      if (!row.category.empty() && row.category != "-1") {
        auto n = io::parse_integer(row.category);
        categories.all_integers &= n && *n >= 0 && *n < 100000;
      }
    } catch (const DataError& e) {
      io::drop_or_throw(e, reader.read_options(), report, io::DropKind::Row);
      continue;
    }
    chunk.push_back(std::move(row));
    row = RawEvent();
    result.max_rows_held = std::max(result.max_rows_held, chunk.size());
    if (chunk.size() >= options.chunk_rows) spill();
  }
  spill();
  result.rows = reader.rows();
  result.runs = run_files.size();
  if (run_files.empty() && !options.drop_invalid) throw DataError(input, 0, "file", "no events");
  if (meta_dim < 0) meta_dim = 0;

  // Pass 2: merge the runs in (user, time, file order) and write each user as it completes.
  std::vector<std::unique_ptr<Run>> runs;
  for (const auto& f : run_files) runs.push_back(std::make_unique<Run>(f));
  auto later = [&](std::size_t a, std::size_t b) {
    // Earlier runs hold earlier rows of the file, so ties go to the lower run: a stable merge.
    if (row_before(runs[b]->row, runs[a]->row)) return true;
    if (row_before(runs[a]->row, runs[b]->row)) return false;
    return a > b;
  };
  std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(later)> heap(later);
  for (std::size_t r = 0; r < runs.size(); ++r)
    if (runs[r]->live) heap.push(r);

  auto type_id = [&](const RawEvent& r) -> int {
    if (schema) {
      const auto& names = r.stimulus ? schema->stimulus_names : schema->action_names;
      auto it = std::find(names.begin(), names.end(), r.type);
      return it != names.end() ? static_cast<int>(it - names.begin()) : static_cast<int>(*io::parse_integer(r.type));
    }
    TypeIds& ids = kinds[r.stimulus];
    if (ids.all_integers) {
      const long long id = *io::parse_integer(r.type);
      if (id < 0) throw DataError(input, r.line, "type", "negative type id " + r.type);
      if (id >= 100000) throw DataError(input, r.line, "type", "type id " + r.type + " too large (use names or a schema)");
      ids.max_id = std::max(ids.max_id, id);
      return static_cast<int>(id);
    }
    auto [it, inserted] = ids.names.emplace(r.type, static_cast<int>(ids.order.size()));
    if (inserted) ids.order.push_back(r.type);
    return it->second;
  };
  auto category_id = [&](const RawEvent& r) -> int {
    if (schema && !schema->category_names.empty()) {
      int id = schema->category_id(r.category);
      if (id < 0) {
        auto n = io::parse_integer(r.category);
        if (n && *n >= 0 && *n < static_cast<long long>(schema->category_names.size())) id = static_cast<int>(*n);
      }
      if (id < 0) throw DataError(input, r.line, "category", "unknown category '" + r.category + "'");
      return id;
    }
    if (categories.all_integers) {
      const long long id = *io::parse_integer(r.category);
      categories.max_id = std::max(categories.max_id, id);
      return static_cast<int>(id);
    }
    auto [it, inserted] = categories.names.emplace(r.category, static_cast<int>(categories.order.size()));
    if (inserted) categories.order.push_back(r.category);
    return it->second;
  };

  EventStoreWriter writer(output, meta_dim, 0);
  Sequence seq;
  std::string category_token;
  std::size_t category_line = 0;
  bool open = false;
  auto close_user = [&] {
    if (!open || seq.events.empty()) return;
    seq.t_start = seq.events.front().time;
    seq.t_end = seq.events.back().time;
    writer.add(seq);
    result.events += seq.events.size();
    ++result.sequences;
  };
  while (!heap.empty()) {
    const std::size_t r = heap.top();
    heap.pop();
    RawEvent current = std::move(runs[r]->row);
    runs[r]->advance();
    if (runs[r]->live) heap.push(r);
    try {
      if (!open || current.user != seq.user) {
        close_user();
        seq = Sequence();
        seq.user = current.user;
        category_token.clear();
        open = true;
      }
      Event e;
      e.type = type_id(current);
      e.time = current.time;
      e.is_stimulus = current.stimulus;
      if (!current.category.empty() && current.category != "-1") {
        if (!category_token.empty() && category_token != current.category)
          throw DataError(input, current.line, "category",
                          fmt::format("user '{}' has category '{}' here but '{}' on line {}", current.user,
                                      current.category, category_token, category_line));
        if (category_token.empty()) {
          seq.category = category_id(current);
          category_token = current.category;
          category_line = current.line;
        }
      }
      e.text = std::move(current.text);
      e.meta = std::move(current.meta);
      seq.events.push_back(std::move(e));
    } catch (const DataError& e) {
      io::drop_or_throw(e, reader.read_options(), report, io::DropKind::Row);
    }
  }
  close_user();
  if (result.sequences == 0) throw DataError(input, 0, "file", "no valid events");

  Schema out = schema ? *schema : Schema();
  if (!schema) {
    for (int stim = 0; stim < 2; ++stim) {
      TypeIds& ids = kinds[stim];
      std::vector<std::string>& names = stim ? out.stimulus_names : out.action_names;
      if (ids.all_integers)
        for (long long k = 0; k <= ids.max_id; ++k) names.push_back(std::to_string(k));
      else
        names = ids.order;
      (stim ? out.num_stimulus_types : out.num_action_types) = static_cast<int>(names.size());
    }
  }
  if (!schema || schema->category_names.empty()) {
    out.category_names.clear();
    if (categories.all_integers)
      for (long long c = 0; c <= categories.max_id; ++c) out.category_names.push_back(std::to_string(c));
    else
      out.category_names = categories.order;
  }
  out.event_meta_dim = meta_dim;
  out.user_feature_dim = 0;
  writer.finish(out);
  return result;
}

}  // namespace tpp
