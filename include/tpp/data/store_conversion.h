#pragma once
// Event log (CSV or JSONL) to event store in bounded memory, whatever the size of the log: rows
// are read one at a time and held in chunks of at most `chunk_rows`; each chunk is sorted by
// (user, time) and spilled to a temporary run file, and the runs are merged k ways straight into
// an EventStoreWriter. The input need not be ordered: the store holds each user's events sorted by
// time (ties in file order) and the users in byte order of their ids, so an ordered and a
// shuffled log give the same store, byte for byte.
//
// Types, categories and metadata follow the event-log reader's rules (docs/formats.md): integer
// tokens are ids when every token of their kind is one, else names numbered by first appearance,
// here in the store's (sorted) order; a schema fixes them instead.
#include <cstddef>
#include <optional>
#include <string>

#include "tpp/data/dataset.h"
#include "tpp/data/io.h"

namespace tpp {

struct StoreConversionOptions {
  Format format{Format::Auto};   // Csv or Jsonl; Auto: from the input's name
  std::optional<Schema> schema;  // fixes type ids and names; unknown types become errors
  bool drop_invalid{false};      // skip malformed rows, counting them in the ReadReport
  std::size_t chunk_rows{1u << 20};  // rows held in memory at once (sorted runs of this size)
  std::string temp_dir;          // where the runs spill; empty: beside the output
};

struct StoreConversionReport {
  std::size_t rows{0};             // rows read (dropped ones included)
  std::size_t sequences{0};
  std::size_t events{0};
  std::size_t runs{0};             // sorted runs spilled
  std::size_t max_rows_held{0};    // most rows in memory at once (<= chunk_rows)
};

// Converts the event log `input` to the store `output` (written atomically). Malformed input is
// a DataError located in `input` like the in-memory readers'. Throws tpp::Error otherwise.
StoreConversionReport convert_to_store(const std::string& input, const std::string& output,
                                       const StoreConversionOptions& options = {}, ReadReport* report = nullptr);

}  // namespace tpp
