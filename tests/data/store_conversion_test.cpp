// Streaming conversion of event logs to stores: a shuffled log gives the same store, byte for
// byte, as the ordered one, whatever the chunk size; no more rows than a chunk are held at once;
// the store holds what the in-memory reader reads; malformed rows are located as there.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/format.h>

#include "../test_support.h"
#include "data_test_support.h"
#include "tpp/data/event_store.h"
#include "tpp/data/io.h"
#include "tpp/data/store_conversion.h"

namespace tpp {

using testing::expect_data_error;
using testing::expect_same_dataset;
using testing::TempDir;
using testing::write_text;

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// An event log of `users` users ordered by user id and time, with named types, stimuli, a
// quoted text holding a comma and a newline, categories and metadata: the rows, header apart.
std::vector<std::string> ordered_rows(int users) {
  std::vector<std::string> rows;
  const char* types[] = {"view", "buy", "share"};
  for (int u = 0; u < users; ++u) {
    const std::string user = "u" + std::to_string(100 + u);  // ids sort as they are numbered
    for (int i = 0; i < 1 + (u * 7) % 5; ++i) {
      const bool stimulus = (u + i) % 4 == 0;
      const std::string type = stimulus ? "mail" : types[(u + 2 * i) % 3];
      const std::string text = i == 1 ? "\"hi, there\nline two\"" : "t" + std::to_string(i);
      rows.push_back(fmt::format("{},{},{},{},{},{},{},{}", user, 10.0 * u + 0.5 * i, type, stimulus ? 1 : 0, text,
                                 u % 3 == 0 ? "" : (u % 3 == 1 ? "gold" : "silver"), u, -0.25 * i));
    }
  }
  return rows;
}

std::string csv_of(const std::vector<std::string>& rows) {
  std::string text = "user,time,type,stimulus,text,category,m0,m1\n";
  for (const auto& r : rows) text += r + "\n";
  return text;
}

}  // namespace

TEST(StoreConversion, ShuffledLogGivesTheOrderedLogsStoreAtAnyChunkSize) {
  TempDir dir;
  const auto rows = ordered_rows(23);
  const std::string ordered = write_text(dir.file("ordered.csv"), csv_of(rows));
  auto shuffled_rows = rows;
  std::mt19937 rng(7);
  std::shuffle(shuffled_rows.begin(), shuffled_rows.end(), rng);
  ASSERT_NE(shuffled_rows, rows);
  const std::string shuffled = write_text(dir.file("shuffled.csv"), csv_of(shuffled_rows));

  const std::string reference = dir.file("ordered.tpps");
  const StoreConversionReport whole = convert_to_store(ordered, reference);
  EXPECT_EQ(whole.runs, 1u);
  EXPECT_EQ(whole.rows, rows.size());
  EXPECT_EQ(whole.events, rows.size());
  EXPECT_EQ(whole.sequences, 23u);
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{10}, rows.size()}) {
    SCOPED_TRACE(chunk);
    StoreConversionOptions options;
    options.chunk_rows = chunk;
    const std::string out = dir.file("shuffled.tpps");
    const StoreConversionReport r = convert_to_store(shuffled, out, options);
    EXPECT_EQ(r.runs, (rows.size() + chunk - 1) / chunk);
    EXPECT_LE(r.max_rows_held, chunk);  // the memory bound: never more rows than a chunk
    EXPECT_EQ(read_bytes(out), read_bytes(reference));
  }
  // Only the store is left: every run file is gone.
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(reference).parent_path()))
    files += e.path().extension() == ".tpps" ? 0 : 1;
  EXPECT_EQ(files, 2u);  // the two logs
}

TEST(StoreConversion, StoreHoldsWhatTheInMemoryReaderReads) {
  TempDir dir;
  const std::string csv = write_text(dir.file("log.csv"), csv_of(ordered_rows(9)));
  const std::string out = dir.file("log.tpps");
  StoreConversionOptions options;
  options.chunk_rows = 4;
  convert_to_store(csv, out, options);
  const Dataset expected = read_dataset(csv);  // ordered by user id already: the same sequence order
  const Dataset stored = EventStore(out).load_all();
  expect_same_dataset(expected, stored);
  EXPECT_EQ(stored.schema.category_names, expected.schema.category_names);

  // JSONL in, integer type ids and categories.
  std::string jsonl;
  for (int u = 3; u >= 0; --u)
    for (int i = 2; i >= 0; --i)
      jsonl += fmt::format("{{\"user\": \"{}\", \"time\": {}, \"type\": {}, \"category\": {}}}\n", u, i + 0.1 * u,
                           (u + i) % 3, u % 2);
  const std::string log = write_text(dir.file("log.jsonl"), jsonl);
  const std::string out2 = dir.file("log2.tpps");
  convert_to_store(log, out2, options);
  ReadOptions sorted;
  sorted.sort = true;
  Dataset in_memory = read_dataset(log, sorted);
  std::sort(in_memory.sequences.begin(), in_memory.sequences.end(),
            [](const Sequence& a, const Sequence& b) { return a.user < b.user; });
  expect_same_dataset(in_memory, EventStore(out2).load_all());
  EXPECT_EQ(EventStore(out2).schema().action_names, (std::vector<std::string>{"0", "1", "2"}));
}

TEST(StoreConversion, MalformedRowsAreLocatedOrDroppedAndCounted) {
  TempDir dir;
  const std::string csv = write_text(dir.file("bad.csv"), "user,time,type\na,1,x\nb,oops,y\na,2,x\n");
  const std::string out = dir.file("bad.tpps");
  expect_data_error([&] { convert_to_store(csv, out); }, csv, 3, "time");
  EXPECT_FALSE(std::filesystem::exists(out));
  StoreConversionOptions drop;
  drop.drop_invalid = true;
  ReadReport report;
  const StoreConversionReport r = convert_to_store(csv, out, drop, &report);
  EXPECT_EQ(report.rows_dropped, 1u);
  EXPECT_EQ(r.events, 2u);
  EXPECT_EQ(r.sequences, 1u);

  const std::string conflict = write_text(dir.file("conflict.csv"), "user,time,type,category\na,1,x,g\nb,1,x,g\na,2,x,h\n");
  expect_data_error([&] { convert_to_store(conflict, out); }, conflict, 4, "category", "has category 'h' here");
  const std::string empty = write_text(dir.file("empty.csv"), "");
  expect_data_error([&] { convert_to_store(empty, out); }, empty, 0, "file", "empty");
  const std::string header = write_text(dir.file("header.csv"), "user,time,kind\n");
  expect_data_error([&] { convert_to_store(header, out); }, header, 1, "kind", "unknown column");
}

}  // namespace tpp
