// The binary event store: a Dataset round-trips exactly, any subset reads back in the order asked,
// and every kind of damage (magic, version, truncation, extension, checksums, offsets) is a located
// DataError rather than a crash or a misread.
#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "../test_support.h"
#include "data_test_support.h"
#include "tpp/data/event_store.h"
#include "tpp/data/io.h"

namespace tpp {

using testing::expect_data_error;
using testing::expect_same_dataset;
using testing::TempDir;

namespace {

// Two action types and one stimulus type with names, categories, features, metadata, texts,
// windows wider than the events and a history-only prefix: every field a store carries.
Dataset rich_dataset() {
  Dataset d;
  d.schema.num_action_types = 2;
  d.schema.num_stimulus_types = 1;
  d.schema.action_names = {"click", "buy"};
  d.schema.stimulus_names = {"email"};
  d.schema.affects = {{1}};
  d.schema.user_feature_dim = 2;
  d.schema.event_meta_dim = 3;
  d.schema.category_names = {"a", "b"};
  for (int u = 0; u < 5; ++u) {
    Sequence s;
    s.user = "user-" + std::to_string(u) + (u == 2 ? " é" : "");
    s.category = u % 3 - 1;
    s.features = {0.5f * u, -1.0f};
    s.t_start = -1.0 * u;
    s.first_target = u == 3 ? 2 : 0;
    for (int i = 0; i < 2 + 3 * u; ++i) {
      Event e;
      e.time = 0.25 * i + 1e-9 * u;
      e.is_stimulus = i % 4 == 3;
      e.type = e.is_stimulus ? 0 : (i + u) % 2;
      e.text = i % 2 ? "text " + std::to_string(i) : "";
      e.meta = {1.0f * i, 2.0f, -0.5f * u};
      s.events.push_back(e);
    }
    s.t_end = s.events.back().time + 3.0;
    d.sequences.push_back(s);
  }
  return d;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

template <class T>
T field_at(const std::string& bytes, std::size_t offset) {
  T v;
  std::memcpy(&v, bytes.data() + offset, sizeof v);
  return v;
}

// Offset of section s from the documented header layout (docs/formats.md): the section table
// starts at byte 56, 24 bytes an entry, offset first.
std::uint64_t section_offset(const std::string& bytes, int s) { return field_at<std::uint64_t>(bytes, 56 + 24 * s); }

constexpr int kTimesSection = 6;
constexpr int kTypesSection = 7;

struct StoreFile {
  TempDir dir;
  std::string path = dir.file("d.tpps");
  std::string bytes;
  StoreFile() {
    write_event_store(rich_dataset(), path);
    bytes = read_bytes(path);
  }
  // The same file with `edit` applied, at a fresh path.
  std::string damaged(const std::function<void(std::string&)>& edit) const {
    std::string copy = bytes;
    edit(copy);
    const std::string out = dir.file("damaged.tpps");
    write_bytes(out, copy);
    return out;
  }
};

}  // namespace

TEST(EventStore, RoundTripsEveryField) {
  TempDir dir;
  const Dataset data = rich_dataset();
  const std::string path = dir.file("d.tpps");
  write_event_store(data, path);
  EXPECT_TRUE(is_event_store(path));
  const EventStore store(path);
  EXPECT_EQ(store.size(), data.sequences.size());
  EXPECT_EQ(store.num_events(), data.num_events());
  EXPECT_EQ(store.num_actions(), data.num_actions());
  const Dataset back = store.load_all();
  expect_same_dataset(data, back);
  EXPECT_EQ(back.schema.category_names, data.schema.category_names);
  for (std::size_t s = 0; s < data.sequences.size(); ++s) {
    EXPECT_EQ(back.sequences[s].first_target, data.sequences[s].first_target);
    EXPECT_EQ(store.length(s), data.sequences[s].events.size());
  }
  // Through the format-neutral reader and writer too, detected by name and by magic.
  expect_same_dataset(data, read_dataset(path));
  const std::string unnamed = dir.file("store.bin");
  write_dataset(data, unnamed, WriteOptions{Format::Store});
  EXPECT_TRUE(is_event_store(unnamed));  // known by its magic, not its name
  expect_same_dataset(data, read_dataset(unnamed));
  EXPECT_TRUE(lost_in_format(data, Format::Store, false).empty());
}

TEST(EventStore, LoadsAnySubsetInTheOrderAsked) {
  TempDir dir;
  const Dataset data = rich_dataset();
  const std::string path = dir.file("d.tpps");
  write_event_store(data, path);
  const EventStore store(path);
  const Dataset part = store.load({4, 1, 1});
  ASSERT_EQ(part.sequences.size(), 3u);
  Dataset expected = data;
  expected.sequences = {data.sequences[4], data.sequences[1], data.sequences[1]};
  expect_same_dataset(expected, part);
  store.release();  // pages dropped; the next read maps them back from the file
  expect_same_dataset(expected, store.load({4, 1, 1}));
}

// Resident bytes of this process's mapping of `path` (/proc/self/smaps), 0 when not mapped. A
// mapping's header line starts with its address range; its attribute lines with "Name:".
std::size_t resident_bytes_of_mapping(const std::string& path) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in_mapping = false;
  std::size_t kib = 0;
  while (std::getline(smaps, line)) {
    const std::string first = line.substr(0, line.find(' '));
    if (first.empty() || first.back() != ':')
      in_mapping = line.size() >= path.size() && line.compare(line.size() - path.size(), path.size(), path) == 0;
    else if (in_mapping && first == "Rss:")
      kib += std::stoul(line.substr(4));
  }
  return kib * 1024;
}

TEST(EventStore, ReadingASequenceTouchesOnlyItsPages) {
  TempDir dir;
  Dataset d;
  d.schema.num_action_types = 2;
  d.schema.action_names = {"0", "1"};
  for (int u = 0; u < 1000; ++u) {
    Sequence s;
    s.user = std::to_string(u);
    for (int i = 0; i < 1000; ++i) s.events.push_back(Event{1.0 * i, i % 2});
    s.t_start = 0.0;
    s.t_end = 1000.0;
    d.sequences.push_back(s);
  }
  // smaps names the file by its canonical path.
  const std::string path = std::filesystem::canonical(std::filesystem::path(dir.file("big.tpps")).parent_path()).string() + "/big.tpps";
  write_event_store(d, path);
  // 10^6 events, about 21 MB. The kernel maps up to 16 cached pages around each page read
  // (fault-around), so reading one sequence may show ~1 MB resident: the bound is an eighth.
  const std::size_t bound = std::filesystem::file_size(path) / 8;
  const EventStore store(path);
  EXPECT_LT(resident_bytes_of_mapping(path), bound);  // the checksum pass gave its pages back
  EXPECT_EQ(store.sequence(500).events.size(), 1000u);
  EXPECT_GT(resident_bytes_of_mapping(path), 0u);  // the mapping is the one measured
  EXPECT_LT(resident_bytes_of_mapping(path), bound);
  EXPECT_EQ(store.load_all().num_events(), 1000000u);  // everything read, then released
  EXPECT_LT(resident_bytes_of_mapping(path), bound);
}

TEST(EventStore, EmptyDatasetAndNoOptionalColumns) {
  TempDir dir;
  Dataset d;
  d.schema.num_action_types = 1;
  d.schema.action_names = {"0"};
  const std::string path = dir.file("empty.tpps");
  write_event_store(d, path);
  EXPECT_EQ(EventStore(path).size(), 0u);
  Sequence s;
  s.user = "u";
  s.events = {Event{1.0, 0}, Event{2.0, 0}};
  s.t_start = 1.0;
  s.t_end = 2.0;
  d.sequences.push_back(s);
  write_event_store(d, path);  // replaces the earlier file
  expect_same_dataset(d, EventStore(path).load_all());
}

TEST(EventStore, FailedWriteLeavesThePreviousFileAndNoTemporaries) {
  TempDir dir;
  const std::string path = dir.file("d.tpps");
  write_event_store(rich_dataset(), path);
  const std::string before = read_bytes(path);
  {
    EventStoreWriter writer(path, 3, 2);
    Sequence bad = rich_dataset().sequences[1];
    bad.events[0].meta = {1.0f};  // one value where the store has three
    EXPECT_THROW(writer.add(bad), Error);
  }
  EXPECT_EQ(read_bytes(path), before);
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST(EventStore, BadMagicIsNotAStore) {
  StoreFile f;
  const std::string path = f.damaged([](std::string& b) { b[1] = 'X'; });
  EXPECT_FALSE(is_event_store(path));
  expect_data_error([&] { EventStore{path}; }, path, 0, "header", "bad magic");
  const std::string text = f.dir.file("text.tpps");
  write_bytes(text, "user,time,type\nu,1,a\n");
  expect_data_error([&] { read_dataset(text); }, text, 0, "header", "bad magic");
}

TEST(EventStore, OtherVersionIsRefused) {
  StoreFile f;
  const std::string path = f.damaged([](std::string& b) { b[8] = 7; });
  expect_data_error([&] { EventStore{path}; }, path, 0, "version", "format version 7");
}

TEST(EventStore, TruncationAnywhereIsDetected) {
  StoreFile f;
  const std::size_t n = f.bytes.size();
  for (std::size_t keep : {std::size_t{0}, std::size_t{5}, std::size_t{100}, std::size_t{399}, std::size_t{400},
                           n / 2, n - 9, n - 1}) {
    SCOPED_TRACE(keep);
    const std::string path = f.damaged([&](std::string& b) { b.resize(keep); });
    try {
      EventStore store(path);
      ADD_FAILURE() << "a store truncated to " << keep << " of " << n << " bytes opened";
    } catch (const DataError& e) {
      EXPECT_EQ(e.file(), path);
      const std::string msg = e.what();
      EXPECT_TRUE(msg.find("truncated") != std::string::npos || msg.find("outside the file") != std::string::npos)
          << msg;
    }
  }
}

TEST(EventStore, ExtraBytesAreASizeMismatch) {
  StoreFile f;
  const std::string path = f.damaged([](std::string& b) { b += std::string(8, '\0'); });
  expect_data_error([&] { EventStore{path}; }, path, 0, "file", "sections end at");
}

TEST(EventStore, CorruptHeaderFailsItsChecksum) {
  StoreFile f;
  // One more event claimed than written: caught by the header checksum before any size is used.
  const std::string path = f.damaged([](std::string& b) { b[24] = static_cast<char>(b[24] + 1); });
  expect_data_error([&] { EventStore{path}; }, path, 0, "header", "checksum mismatch");
}

TEST(EventStore, CorruptColumnsFailTheirChecksums) {
  StoreFile f;
  for (int s : {kTimesSection, kTypesSection}) {
    SCOPED_TRACE(s);
    const std::uint64_t at = section_offset(f.bytes, s) + 3;
    const std::string path = f.damaged([&](std::string& b) { b[at] = static_cast<char>(b[at] ^ 0x10); });
    expect_data_error([&] { EventStore{path}; }, path, 0, s == kTimesSection ? "times" : "types", "checksum mismatch");
  }
}

TEST(EventStore, NonZeroPaddingIsCorruption) {
  StoreFile f;
  // The schema is the last section; a byte after its end (the file is padded to 8) must be zero.
  const std::uint64_t schema_end = section_offset(f.bytes, 13) + field_at<std::uint64_t>(f.bytes, 56 + 24 * 13 + 8);
  if (schema_end % 8 == 0) GTEST_SKIP() << "schema ends on a boundary: no padding to damage";
  const std::string path = f.damaged([&](std::string& b) { b[schema_end] = 1; });
  expect_data_error([&] { EventStore{path}; }, path, 0, "schema", "padding");
}

TEST(EventStore, MissingFileIsALocatedError) {
  TempDir dir;
  const std::string path = dir.file("absent.tpps");
  expect_data_error([&] { EventStore{path}; }, path, 0, "file", "cannot open");
}

}  // namespace tpp
