#pragma once
// The binary columnar event store (`.tpps`, docs/formats.md): one file holding a Dataset column by
// column (sequence offsets, times, types, flags, optional metadata, features, texts, categories,
// users, schema), each section checksummed. EventStoreWriter appends sequences in bounded memory;
// EventStore maps the file read-only and reads any set of sequences, touching only their bytes.
// A malformed store (magic, version, sizes, offsets, checksums, values) is a DataError naming the
// file and the section, never a crash or a silent misread.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tpp/data/dataset.h"

namespace tpp {

// The format version this build reads and writes.
constexpr std::uint32_t kEventStoreVersion = 1;

// True when `path` starts with the store's magic bytes (a missing or short file is not a store).
bool is_event_store(const std::string& path);

// Writes a store in bounded memory: each column streams to its own temporary file beside `path`,
// and finish() joins them behind the header into `path` + ".tmp", syncs it and renames it over
// `path`, so a reader never sees a half-written store. The schema comes last (a converter learns
// the type names while it streams). Destroying an unfinished writer removes its temporary files.
class EventStoreWriter {
 public:
  // meta_dim / feature_dim: the width of every event's metadata and every user's features.
  EventStoreWriter(std::string path, int meta_dim, int feature_dim);
  ~EventStoreWriter();
  EventStoreWriter(const EventStoreWriter&) = delete;
  EventStoreWriter& operator=(const EventStoreWriter&) = delete;

  // Appends one sequence. Its events' types are ids of the schema given to finish(); its
  // metadata and features have the widths given above (features may be empty: zeros).
  void add(const Sequence& sequence);
  void finish(const Schema& schema);

  std::size_t num_sequences() const { return sequences_; }
  std::size_t num_events() const { return events_; }

 private:
  struct Column;
  std::string path_;
  int meta_dim_;
  int feature_dim_;
  std::size_t sequences_{0};
  std::size_t events_{0};
  std::size_t actions_{0};
  std::uint64_t text_bytes_{0};
  std::uint64_t user_bytes_{0};
  bool finished_{false};
  std::vector<std::unique_ptr<Column>> columns_;
};

// Writes a whole Dataset as a store (EventStoreWriter over its sequences).
void write_event_store(const Dataset& data, const std::string& path);

// A store mapped read-only. Opening checks the header, every section's bounds and size and every
// checksum (reading the file once, in pieces whose pages are released again); sequence(i) checks
// what it reads (offsets, types, flags, time order) before building a Sequence.
class EventStore {
 public:
  explicit EventStore(const std::string& path);
  ~EventStore();
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  const std::string& path() const { return path_; }
  const Schema& schema() const { return schema_; }
  std::size_t size() const { return num_sequences_; }
  std::size_t num_events() const { return num_events_; }
  std::size_t num_actions() const { return num_actions_; }
  // Events of sequence i, from the offsets alone.
  std::size_t length(std::size_t i) const;
  // Observation window of sequence i (file units).
  double t_start(std::size_t i) const;
  double t_end(std::size_t i) const;

  Sequence sequence(std::size_t i) const;
  // The given sequences, in that order, as a Dataset with the store's schema (file time units).
  Dataset load(const std::vector<std::size_t>& indices) const;
  Dataset load_all() const;
  // Gives the mapped pages back to the kernel's page cache so the process's resident memory does
  // not grow with the part of the file read so far; reading again faults them back in.
  void release() const;
  // The same for the pages holding bytes [offset, offset + size).
  void release(std::uint64_t offset, std::uint64_t size) const;

 private:
  struct Section {
    std::uint64_t offset{0}, size{0};
  };
  const unsigned char* bytes(int section) const;
  template <class T>
  T at(int section, std::size_t i) const;
  void check_section(int section, std::uint64_t expected_size, const char* name) const;

  std::string path_;
  int fd_{-1};
  const unsigned char* map_{nullptr};
  std::size_t file_size_{0};
  std::size_t num_sequences_{0};
  std::size_t num_events_{0};
  std::size_t num_actions_{0};
  int meta_dim_{0};
  int feature_dim_{0};
  std::vector<Section> sections_;
  Schema schema_;
};

}  // namespace tpp
