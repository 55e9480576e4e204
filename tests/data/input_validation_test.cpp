// Malformed input found by hand and by tests/fuzz: each is a located tpp::DataError (file, line or
// field) or a deliberate, documented reading (docs/reliability.md), never an internal error.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <string>

#include "../test_support.h"
#include "tpp/cli/command.h"
#include "tpp/core/error.h"
#include "tpp/data/io.h"
#include "tpp/models/registry.h"

namespace tpp {

namespace {

std::string write(const testing::TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// The DataError reading `path` raises (fails the test when there is none).
DataError read_error(const std::function<void()>& read) {
  try {
    read();
  } catch (const DataError& e) {
    return e;
  }
  ADD_FAILURE() << "no DataError";
  return DataError("", 0, "", "");
}

DataError dataset_error(const std::string& path, const ReadOptions& options = {}) {
  return read_error([&] { read_dataset(path, options); });
}

}  // namespace

TEST(InputValidation, NumbersBeyondADoubleAreLocated) {
  testing::TempDir dir;
  auto e = dataset_error(write(dir, "a.jsonl", "{\"user\":\"a\",\"time\":1,\"type\":\"x\"}\n{\"user\":\"a\",\"time\":1e309,\"type\":\"x\"}\n"));
  EXPECT_EQ(e.line(), 2u) << e.what();
  const std::string events = write(dir, "e.jsonl", "{\"user\":\"a\",\"time\":1,\"type\":\"x\"}\n");
  ReadOptions users;
  users.users = write(dir, "u.jsonl", "{\"user\":\"a\",\"t_start\":0,\"t_end\":1e309}\n");
  e = dataset_error(events, users);
  EXPECT_EQ(e.file(), users.users);
  EXPECT_EQ(e.line(), 1u) << e.what();
  e = dataset_error(write(dir, "s.json", "[{\"time_since_start\": [0, 1],\n \"type_event\": [0, 1e309]}]\n"));
  EXPECT_EQ(e.line(), 2u) << e.what();
  e = read_error([&] { read_schema(write(dir, "schema.json", "{\n\"num_action_types\": 1e309}\n")); });
  EXPECT_EQ(e.line(), 2u) << e.what();
  e = read_error([&] { read_json_argument(write(dir, "c.json", "{\"model\": \"thp\",\n \"lr\": -1e309}"), "model config"); });
  EXPECT_EQ(e.line(), 2u) << e.what();
}

TEST(InputValidation, ImpossibleTypeCountsAreRefusedAtOnce) {
  testing::TempDir dir;
  auto e = read_error([&] { read_schema(write(dir, "a.json", "{\"num_action_types\": 2000000000}")); });
  EXPECT_EQ(e.field(), "num_action_types") << e.what();
  e = read_error([&] { read_schema(write(dir, "b.json", "{\"num_action_types\": 2, \"num_stimulus_types\": -1}")); });
  EXPECT_EQ(e.field(), "num_stimulus_types") << e.what();
  e = dataset_error(write(dir, "c.json", "{\"dim_process\": 2000000000, \"train\": [{\"time_since_start\": [0], \"type_event\": [0]}]}"));
  EXPECT_EQ(e.field(), "dim_process") << e.what();
  e = dataset_error(write(dir, "d.json", "[{\"dim_process\": -1, \"time_since_start\": [0], \"type_event\": [0]}]"));
  EXPECT_EQ(e.field(), "dim_process") << e.what();
  EXPECT_EQ(e.line(), 1u);
}

TEST(InputValidation, SchemaEntriesAreNamed) {
  testing::TempDir dir;
  auto e = read_error([&] { read_schema(write(dir, "a.json", "{\"action_names\": [\"buy\", \"view\", \"buy\"]}")); });
  EXPECT_EQ(e.field(), "action_names[2]") << e.what();
  e = read_error([&] { read_schema(write(dir, "b.json", "{\"action_names\": [\"a\", 3]}")); });
  EXPECT_EQ(e.field(), "action_names[1]") << e.what();
  e = read_error([&] {
    read_schema(write(dir, "c.json", "{\"action_names\": [\"a\"], \"stimulus_names\": [\"s\"], \"affects\": {\"s\": [\"a\", \"z\"]}}"));
  });
  EXPECT_EQ(e.field(), "affects.s[1]") << e.what();
  e = read_error([&] { read_schema(write(dir, "d.json", std::string("{\"action_names\": [\"a\xff\"]}"))); });
  EXPECT_EQ(e.line(), 1u) << e.what();
  e = read_error([&] { read_schema(write(dir, "e.json", "\n\n[1, 2]\n")); });
  EXPECT_EQ(e.line(), 3u) << e.what();
}

TEST(InputValidation, TimesWhoseDifferenceOverflowsAreRefused) {
  testing::TempDir dir;
  auto e = dataset_error(write(dir, "a.csv", "user,time,type\na,-1e308,x\nb,1e308,x\n"));
  EXPECT_EQ(e.line(), 3u) << e.what();
  EXPECT_EQ(e.field(), "time");
  write(dir, "event-a.txt", "1 1\n");
  e = dataset_error(write(dir, "time-a.txt", "-1e308 1e308\n"));
  EXPECT_EQ(e.field(), "time[2]") << e.what();
  // A users file's windows are times of that file too: one window, or two users' windows together.
  const std::string events = write(dir, "e.csv", "user,time,type\na,1,x\n");
  ReadOptions users;
  users.users = write(dir, "u.jsonl", "{\"user\":\"a\",\"t_start\":-1e308,\"t_end\":1e308}\n");
  e = dataset_error(events, users);
  EXPECT_EQ(e.file(), users.users);
  EXPECT_EQ(e.line(), 1u) << e.what();
  EXPECT_EQ(e.field(), "t_end") << e.what();
  users.users = write(dir, "v.jsonl",
                      "{\"user\":\"a\",\"t_start\":-1e308,\"t_end\":5}\n{\"user\":\"b\",\"t_start\":0,\"t_end\":1e308}\n");
  e = dataset_error(events, users);
  EXPECT_EQ(e.line(), 2u) << e.what();
  // Large but representable spans are data.
  EXPECT_NO_THROW(read_dataset(write(dir, "b.csv", "user,time,type\na,-1e300,x\na,1e300,x\n")));
}

TEST(InputValidation, HexadecimalTimesAreRefused) {
  testing::TempDir dir;
  auto e = dataset_error(write(dir, "a.csv", "user,time,type\na,0x10,x\n"));
  EXPECT_EQ(e.field(), "time") << e.what();
  e = dataset_error(write(dir, "b.jsonl", "{\"user\":\"a\",\"time\":\"0x10\",\"type\":\"x\"}\n"));
  EXPECT_EQ(e.field(), "time") << e.what();
}

TEST(InputValidation, ANulInsideANameIsRefused) {
  testing::TempDir dir;
  auto e = dataset_error(write(dir, "a.jsonl", "{\"user\":\"a\",\"time\":1,\"type\":\"x\\u0000y\"}\n"));
  EXPECT_EQ(e.field(), "type") << e.what();
  e = read_error([&] { read_schema(write(dir, "s.json", "{\"action_names\": [\"x\\u0000y\"]}")); });
  EXPECT_EQ(e.field(), "action_names[0]") << e.what();
}

// A column of numbers holds type ids, so "1.5" there is refused; beside words it is a name.
TEST(InputValidation, ANonIntegerNumberInANumericTypeColumnIsRefused) {
  testing::TempDir dir;
  auto e = dataset_error(write(dir, "a.csv", "user,time,type\na,1,0\na,2,1.5\n"));
  EXPECT_EQ(e.line(), 3u) << e.what();
  EXPECT_EQ(e.field(), "type");
  Dataset named = read_dataset(write(dir, "b.csv", "user,time,type\na,1,view\na,2,1.5\n"));
  EXPECT_EQ(named.schema.action_names, (std::vector<std::string>{"view", "1.5"}));
}

TEST(InputValidation, BinaryGarbageIsShownEscaped) {
  testing::TempDir dir;
  auto e = dataset_error(write(dir, "a.csv", std::string("user,time,\x01\x1b[2J\xff\n")));
  const std::string what = e.what();
  EXPECT_EQ(what.find('\x1b'), std::string::npos) << what;
  EXPECT_EQ(what.find('\xff'), std::string::npos) << what;
  EXPECT_NE(what.find("\\x1b"), std::string::npos) << what;
  EXPECT_NE(what.find("\\xff"), std::string::npos) << what;
}

TEST(InputValidation, EasyTppInvalidUtf8IsLocatedOnItsLine) {
  testing::TempDir dir;
  auto e = dataset_error(write(dir, "a.json", "[{\"time_since_start\": [0, 1],\n \"type_event\": [0, 1], \"x\": \"\xc0\x80\"}]\n"));
  EXPECT_EQ(e.line(), 2u) << e.what();
  e = dataset_error(write(dir, "b.json", "\n\"just a string\"\n"));
  EXPECT_EQ(e.line(), 2u) << e.what();
}

// EasyTPP writes time_since_start from each sequence's first event and keeps the gap from the
// event before in time_since_last_event[0].
TEST(InputValidation, EasyTppFilesAsEasyTppWritesThemAreRead) {
  testing::TempDir dir;
  Dataset d = read_dataset(write(dir, "a.json",
                                 "[{\"dim_process\": 2, \"time_since_start\": [0, 0.5, 2], "
                                 "\"time_since_last_event\": [3.25, 0.5, 1.5], \"type_event\": [1, 0, 1]}]"));
  ASSERT_EQ(d.sequences.size(), 1u);
  EXPECT_EQ(d.sequences[0].t_start, 0.0);
  EXPECT_EQ(d.sequences[0].t_end, 2.0);
  ASSERT_EQ(d.sequences[0].events.size(), 3u);
  // A first gap that reaches before time 0 from a later first event is still an error.
  auto e = dataset_error(write(dir, "b.json", "[{\"time_since_start\": [1, 2], \"time_since_last_event\": [3, 1], \"type_event\": [0, 0]}]"));
  EXPECT_EQ(e.field(), "time_since_last_event[0]") << e.what();
}

TEST(InputValidation, RmtppPairsNamedWithASuffixAreRead) {
  testing::TempDir dir;
  const std::string times = write(dir, "mimic-time.txt", "0 1.5 2\n3 4\n");
  const std::string events = write(dir, "mimic-event.txt", "1 2 1\n2 2\n");
  EXPECT_EQ(rmtpp_partner(times), events);
  EXPECT_EQ(rmtpp_partner(events), times);
  EXPECT_EQ(detect_format(times), Format::Rmtpp);
  ReadOptions rmtpp;
  rmtpp.format = Format::Rmtpp;
  for (const auto& spec : {times, events}) {
    Dataset d = read_dataset(spec, rmtpp);
    ASSERT_EQ(d.sequences.size(), 2u);
    EXPECT_EQ(d.sequences[0].events[1].time, 1.5);
    EXPECT_EQ(d.sequences[0].events[1].type, 1);
  }
}

TEST(InputValidation, RmtppInReverseTimeOrderNeedsSort) {
  testing::TempDir dir;
  const std::string times = write(dir, "time-r.txt", "3 2 1\n");
  write(dir, "event-r.txt", "1 2 3\n");
  auto e = dataset_error(times);
  EXPECT_EQ(e.field(), "time[2]") << e.what();
  EXPECT_NE(std::string(e.what()).find("sort"), std::string::npos) << e.what();
  ReadOptions sorted;
  sorted.sort = true;
  Dataset d = read_dataset(times, sorted);
  ASSERT_EQ(d.sequences[0].events.size(), 3u);
  EXPECT_EQ(d.sequences[0].events[0].time, 1.0);
  EXPECT_EQ(d.sequences[0].events[0].type, 2);  // each type stays with its time
  EXPECT_EQ(d.sequences[0].events[2].type, 0);
  EXPECT_EQ(d.sequences[0].t_start, 1.0);
  EXPECT_EQ(d.sequences[0].t_end, 3.0);
}

TEST(InputValidation, AWrongTypeInAModelConfigNamesTheField) {
  Schema schema;
  schema.num_action_types = 2;
  schema.action_names = {"a", "b"};
  try {
    ModelRegistry::instance().create({{"model", "thp"}, {"d_model", "big"}}, schema);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"d_model\""), std::string::npos) << e.what();
  }
}

}  // namespace tpp
