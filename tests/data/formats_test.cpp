// EasyTPP and RMTPP readers (malformed cases located), and writer/reader round trips.
#include <gtest/gtest.h>

#include "../test_support.h"
#include "data_test_support.h"
#include "tpp/data/io.h"

namespace tpp {

using testing::expect_data_error;
using testing::expect_same_dataset;
using testing::TempDir;
using testing::write_text;

namespace {

void expect_easytpp_error(const std::string& text, std::size_t line, const std::string& field,
                          const std::string& reason = "") {
  TempDir dir;
  const std::string path = write_text(dir.file("d.json"), text);
  expect_data_error([&] { read_easytpp(path); }, path, line, field, reason);
}

std::string easy_seq(const std::string& tss, const std::string& types, const std::string& gaps = "") {
  std::string s = "{\"time_since_start\": [" + tss + "], \"type_event\": [" + types + "]";
  if (!gaps.empty()) s += ", \"time_since_last_event\": [" + gaps + "]";
  return s + "}";
}

// RMTPP pair in a fresh directory; returns the time file.
struct Pair {
  TempDir dir;
  std::string time, event;
  Pair(const std::string& times, const std::string& types)
      : time(write_text(dir.file("time-x.txt"), times)), event(write_text(dir.file("event-x.txt"), types)) {}
};

void expect_rmtpp_error(const std::string& times, const std::string& types, bool in_event_file, std::size_t line,
                        const std::string& field, const std::string& reason = "") {
  Pair p(times, types);
  expect_data_error([&] { read_rmtpp(p.time, p.event); }, in_event_file ? p.event : p.time, line, field, reason);
}

// A dataset using everything the event log can hold.
Dataset rich_dataset() {
  Dataset d;
  d.schema.num_action_types = 3;
  d.schema.action_names = {"view", "cart", "buy, now"};
  d.schema.num_stimulus_types = 2;
  d.schema.stimulus_names = {"email", "ad"};
  d.schema.affects = {{1, 2}, {}};
  d.schema.user_feature_dim = 2;
  d.schema.event_meta_dim = 1;
  Sequence a;
  a.user = "alice";
  a.category = 1;
  a.features = {0.1f, -2.5f};
  a.t_start = -0.5;
  a.t_end = 12.25;
  a.events = {{0.1, 0, false, "first \"quoted\", text", {0.25f}},
              {0.1 + 1e-13, 1, true, "", {1.0f / 3.0f}},
              {3.0, 2, false, "multi\nline caf\xc3\xa9", {-1.0f}}};
  Sequence b;
  b.user = "bob, jr";
  b.category = 0;
  b.features = {0.0f, 1.0f};
  b.t_start = 2.0;
  b.t_end = 2.0;
  b.events = {{2.0, 1, false, "", {0.0f}}, {2.0, 0, true, "", {7.0f}}};
  d.sequences = {a, b};
  return d;
}

}  // namespace

TEST(EasyTpp, ReadsListDictAndJsonLinesLayouts) {
  TempDir dir;
  auto list = write_text(dir.file("l.json"),
                         "[" + easy_seq("1.5, 2.0", "0, 2", "1.5, 0.5") + ",\n" + easy_seq("0.5", "1", "0") + "]");
  auto d = read_easytpp(list);
  ASSERT_EQ(d.sequences.size(), 2u);
  EXPECT_EQ(d.schema.num_action_types, 3);  // no dim_process: largest type + 1
  EXPECT_DOUBLE_EQ(d.sequences[0].t_start, 0.0);  // first gap reaches back to 0
  EXPECT_DOUBLE_EQ(d.sequences[1].t_start, 0.5);  // zero first gap: starts at the event
  auto dict = write_text(dir.file("d.json"),
                         "{\"dim_process\": 5, \"log_lik\": [1, 2], \"dev\": [[{\"time_since_start\": 1, "
                         "\"time_since_last_event\": 1, \"type_event\": 4}]]}");
  auto e = read_easytpp(dict);
  EXPECT_EQ(e.schema.num_action_types, 5);
  EXPECT_EQ(e.sequences[0].events[0].type, 4);
  auto lines = write_text(dir.file("s.json"), easy_seq("1", "0") + "\n" + easy_seq("2, 3", "1, 1") + "\n");
  auto f = read_easytpp(lines);
  EXPECT_EQ(f.sequences.size(), 2u);
  EXPECT_EQ(f.num_events(), 3u);
}

TEST(EasyTpp, MalformedInputsAreLocatedAtTheirSequence) {
  const std::string head = "{\"dim_process\": 3, \"train\": [\n";
  expect_easytpp_error(head + easy_seq("1", "0") + ",\n" + easy_seq("1, 2", "0, 3") + "]}", 3, "type_event[1]",
                       "outside [0, dim_process = 3)");
  expect_easytpp_error("[" + easy_seq("1", "0") + ",\n\n" + easy_seq("-1, 2", "0, 1") + "]", 3,
                       "time_since_start[0]", "negative");
  expect_easytpp_error("[\n" + easy_seq("1, 0.5", "0, 1") + "]", 2, "time_since_start[1]", "decreases");
  expect_easytpp_error("[\n" + easy_seq("", "") + "]", 2, "time_since_start", "empty sequence");
  expect_easytpp_error("[\n" + easy_seq("1, 2", "0") + "]", 2, "type_event", "1 types for 2 times");
  expect_easytpp_error("[\n" + easy_seq("1, \"x\"", "0, 0") + "]", 2, "time_since_start[1]", "not a number");
  expect_easytpp_error("[\n" + easy_seq("1", "0", "2") + "]", 2, "time_since_last_event[0]", "before time 0");
  expect_easytpp_error("[\n" + easy_seq("1", "0.5") + "]", 2, "type_event[0]", "not an integer");
  expect_easytpp_error("[\n" + easy_seq("1, 2", "0, 1") + ",\n" + easy_seq("1", "0"), 3, "json", "truncated");
  expect_easytpp_error(" \n", 0, "file", "empty");
  expect_easytpp_error("{\"dim_process\": 2, \"train\": [], \"test\": []}", 0, "split", "which key");
}

TEST(EasyTpp, DropInvalidSkipsWholeSequences) {
  TempDir dir;
  auto path = write_text(dir.file("d.json"), "[" + easy_seq("1", "0") + "," + easy_seq("2, 1", "0, 0") + "," +
                                                 easy_seq("3", "1") + "]");
  ReadOptions options;
  options.drop_invalid = true;
  ReadReport report;
  auto d = read_easytpp(path, options, &report);
  EXPECT_EQ(report.sequences_dropped, 1u);
  EXPECT_EQ(d.sequences.size(), 2u);
}

TEST(Rmtpp, ReadsPairsWithTrailingSpaces) {
  Pair p("0 0.5 2.25 \n1 \n", "1 3 2 \n2\n");
  auto d = read_rmtpp(p.time, p.event);
  ASSERT_EQ(d.sequences.size(), 2u);
  EXPECT_EQ(d.schema.num_action_types, 3);
  EXPECT_EQ(d.sequences[0].events[1].type, 2);
  EXPECT_DOUBLE_EQ(d.sequences[0].t_end, 2.25);
  EXPECT_EQ(d.sequences[1].user, "1");
  auto via_event_file = read_dataset(p.event);  // either file of the pair names it
  expect_same_dataset(d, via_event_file);
}

// RMTPP types are named by their stored 0-based id, as EasyTPP names the same types: a model
// reads an RMTPP set and its EasyTPP conversion by name alike (docs/formats.md).
TEST(Rmtpp, TypesAreNamedAsTheirEasyTppConversionNamesThem) {
  Pair p("0 0.5 2.25\n1 1.5\n", "1 14 2\n14 3\n");
  auto d = read_rmtpp(p.time, p.event);
  ASSERT_EQ(d.schema.num_action_types, 14);
  EXPECT_EQ(d.schema.action_names[13], "13");  // file type 14
  EXPECT_EQ(d.sequences[0].events[1].type, 13);
  const std::string easy = p.dir.file("x.json");
  write_easytpp(d, easy);
  auto e = read_easytpp(easy);
  ASSERT_EQ(e.schema.action_names.size(), d.schema.action_names.size());
  EXPECT_EQ(e.schema.action_names, d.schema.action_names);
  EXPECT_EQ(e.sequences[1].events[0].type, 13);
}

TEST(Rmtpp, MalformedInputsAreLocated) {
  expect_rmtpp_error("0 1\n2 3\n4\n", "1 1\n1 1\n", false, 3, "line", "has no partner");
  expect_rmtpp_error("0 1\n", "1 1\n1 2\n", true, 2, "line", "has no partner");
  expect_rmtpp_error("0 1\n2 3 4\n", "1 1\n1 1\n", false, 2, "tokens", "event-x.txt");
  expect_rmtpp_error("0 1\n2 3\n", "1 1\n1\n", false, 2, "tokens", "truncated last line");
  expect_rmtpp_error("0 1\n", "1 0\n", true, 1, "type[2]", "below 1");
  expect_rmtpp_error("0 1\n", "1 x\n", true, 1, "type[2]", "not an integer");
  expect_rmtpp_error("0 nan\n", "1 1\n", false, 1, "time[2]", "not finite");
  expect_rmtpp_error("0 1e400\n", "1 1\n", false, 1, "time[2]", "not finite");
  expect_rmtpp_error("0 2 1\n", "1 1 1\n", false, 1, "time[3]", "before the previous");
  expect_rmtpp_error("0\n\n1\n", "1\n\n1\n", false, 2, "sequence", "empty sequence");
  expect_rmtpp_error("", "1\n", false, 0, "file", "empty");
  expect_rmtpp_error("0\n", "\n\n", true, 0, "file", "empty");
  Schema schema;
  schema.num_action_types = 2;
  schema.action_names = {"0", "1"};
  Pair p("0 1\n", "1 3\n");
  ReadOptions options;
  options.schema = schema;
  expect_data_error([&] { read_rmtpp(p.time, p.event, options); }, p.event, 1, "type[2]", "above the schema");
}

TEST(Rmtpp, DropInvalidSkipsBadLinesButNotMismatchedFiles) {
  Pair p("0 1\n0 x\n2 3\n", "1 1\n1 1\n2 2\n");
  ReadOptions options;
  options.drop_invalid = true;
  ReadReport report;
  auto d = read_rmtpp(p.time, p.event, options, &report);
  EXPECT_EQ(report.sequences_dropped, 1u);
  EXPECT_EQ(d.sequences.size(), 2u);
  Pair q("0\n1\n", "1\n");
  EXPECT_THROW(read_rmtpp(q.time, q.event, options), DataError);
}

TEST(RoundTrip, CsvWithUsersAndSchemaIsLossless) {
  TempDir dir;
  Dataset d = rich_dataset();
  WriteOptions w;
  w.users = dir.file("users.csv");
  w.schema = dir.file("schema.json");
  write_dataset(d, dir.file("events.csv"), w);
  ReadOptions r;
  r.users = w.users;
  r.schema = read_schema(w.schema);
  expect_same_dataset(d, read_dataset(dir.file("events.csv"), r));
  EXPECT_TRUE(lost_in_format(d, Format::Csv, true).empty());
}

TEST(RoundTrip, JsonlWithUsersAndSchemaIsLossless) {
  TempDir dir;
  Dataset d = rich_dataset();
  WriteOptions w;
  w.users = dir.file("users.jsonl");
  w.schema = dir.file("schema.json");
  write_dataset(d, dir.file("events.jsonl"), w);
  ReadOptions r;
  r.users = w.users;
  r.schema = read_schema(w.schema);
  expect_same_dataset(d, read_dataset(dir.file("events.jsonl"), r));
}

TEST(RoundTrip, EventLogWithoutSchemaKeepsIntegerIds) {
  TempDir dir;
  auto d = testing::make_dataset(3, {{{0.5, 2}, {1.25, 0}}, {{0.1, 1}, {0.3, 1}}}, {1.25, 0.3});
  d.sequences[0].t_start = 0.5;
  d.sequences[1].t_start = 0.1;
  write_dataset(d, dir.file("e.jsonl"));
  expect_same_dataset(d, read_dataset(dir.file("e.jsonl")));
  EXPECT_TRUE(lost_in_format(d, Format::Jsonl, false).empty());
}

TEST(RoundTrip, EasyTppKeepsTimesTypesAndWindowStarts) {
  TempDir dir;
  auto d = testing::make_dataset(4, {{{0.5, 3}, {1.0 / 3.0, 0}}, {{2.0, 1}}}, {0.0, 2.0});
  d.sequences[0].events[1].time = 0.75 + 1.0 / 3.0;
  d.sequences[0].t_end = d.sequences[0].events[1].time;
  d.sequences[1].t_start = 2.0;
  d.sequences[0].user = "0";  // EasyTPP names sequences by position
  d.sequences[1].user = "1";
  write_dataset(d, dir.file("d.json"));
  expect_same_dataset(d, read_dataset(dir.file("d.json")));
  EXPECT_TRUE(lost_in_format(d, Format::EasyTpp, false).empty());
  Dataset with_stimulus = rich_dataset();
  EXPECT_THROW(write_easytpp(with_stimulus, dir.file("s.json")), Error);
  EXPECT_FALSE(lost_in_format(with_stimulus, Format::EasyTpp, false).empty());
}

TEST(RoundTrip, RmtppKeepsTimesAndTypes) {
  TempDir dir;
  auto d = testing::make_dataset(2, {{{0.0, 1}, {0.1 + 0.2, 0}, {7.5, 1}}, {{1e-9, 0}}}, {7.5, 1e-9});
  d.sequences[1].t_start = 1e-9;
  d.sequences[0].user = "0";  // RMTPP names sequences by line
  d.sequences[1].user = "1";
  write_dataset(d, dir.file("time-rt.txt"));
  expect_same_dataset(d, read_dataset(dir.file("event-rt.txt")));
  EXPECT_TRUE(lost_in_format(d, Format::Rmtpp, false).empty());
}

}  // namespace tpp
