// Event-log (CSV, JSONL), users-file and schema readers: every malformed case is a located error.
#include <gtest/gtest.h>

#include "../test_support.h"
#include "data_test_support.h"
#include "tpp/data/io.h"

namespace tpp {

using testing::expect_data_error;
using testing::TempDir;
using testing::write_text;

namespace {

Dataset read_csv_text(const TempDir& dir, const std::string& text, const ReadOptions& options = {},
                      ReadReport* report = nullptr) {
  return read_event_log_csv(write_text(dir.file("e.csv"), text), options, report);
}

void expect_csv_error(const std::string& text, std::size_t line, const std::string& field,
                      const std::string& reason = "", const ReadOptions& options = {}) {
  TempDir dir;
  const std::string path = write_text(dir.file("e.csv"), text);
  expect_data_error([&] { read_event_log_csv(path, options); }, path, line, field, reason);
}

void expect_jsonl_error(const std::string& text, std::size_t line, const std::string& field,
                        const std::string& reason = "", const ReadOptions& options = {}) {
  TempDir dir;
  const std::string path = write_text(dir.file("e.jsonl"), text);
  expect_data_error([&] { read_event_log_jsonl(path, options); }, path, line, field, reason);
}

Schema two_action_schema() {
  Schema s;
  s.num_action_types = 2;
  s.action_names = {"click", "buy"};
  s.num_stimulus_types = 1;
  s.stimulus_names = {"email"};
  return s;
}

}  // namespace

TEST(EventLogCsv, ReadsNamesStimuliTextAndMetaInFileOrder) {
  TempDir dir;
  auto d = read_csv_text(dir,
                         "user,time,type,stimulus,text,m0,m1\n"
                         "bob,1.5,click,0,\"hello, world\",0.5,1\n"
                         "amy,0.25,email,true,,0,0\n"
                         "bob,2,buy,false,\"say \"\"hi\"\"\nthere\",1,2\n"
                         "bob,2,click,0,,3,4\n");
  ASSERT_EQ(d.sequences.size(), 2u);
  EXPECT_EQ(d.sequences[0].user, "bob");  // first appearance order
  EXPECT_EQ(d.schema.action_names, (std::vector<std::string>{"click", "buy"}));
  EXPECT_EQ(d.schema.stimulus_names, (std::vector<std::string>{"email"}));
  EXPECT_EQ(d.schema.event_meta_dim, 2);
  const auto& bob = d.sequences[0];
  ASSERT_EQ(bob.events.size(), 3u);
  EXPECT_EQ(bob.events[0].text, "hello, world");
  EXPECT_EQ(bob.events[1].text, "say \"hi\"\nthere");
  EXPECT_EQ(bob.events[1].type, 1);
  EXPECT_EQ(bob.events[2].meta, (std::vector<float>{3, 4}));  // tie at t=2 kept in file order
  EXPECT_DOUBLE_EQ(bob.t_start, 1.5);
  EXPECT_DOUBLE_EQ(bob.t_end, 2.0);
  EXPECT_TRUE(d.sequences[1].events[0].is_stimulus);
  EXPECT_EQ(d.sequences[1].events[0].type, 0);
}

TEST(EventLogCsv, IntegerTypesAreIdsAndSchemaFixesThem) {
  TempDir dir;
  auto d = read_csv_text(dir, "user,time,type\nu,0,3\nu,1,1\n");
  EXPECT_EQ(d.schema.num_action_types, 4);
  EXPECT_EQ(d.sequences[0].events[0].type, 3);
  ReadOptions with_schema;
  with_schema.schema = two_action_schema();
  auto e = read_csv_text(dir, "user,time,type,stimulus\nu,0,buy,0\nu,1,1,0\nu,2,email,1\n", with_schema);
  EXPECT_EQ(e.schema.num_action_types, 2);
  EXPECT_EQ(e.sequences[0].events[0].type, 1);
  EXPECT_EQ(e.sequences[0].events[1].type, 1);
  EXPECT_TRUE(e.sequences[0].events[2].is_stimulus);
}

TEST(EventLogCsv, MalformedInputsAreLocated) {
  const std::string h = "user,time,type\n";
  expect_csv_error(h + "u,1,a\nu,nan,a\n", 3, "time", "not finite");
  expect_csv_error(h + "u,1,a\nu,inf,a\n", 3, "time", "not finite");
  expect_csv_error(h + "u,1,a\nu,1.5x,a\n", 3, "time", "not a number");
  expect_csv_error(h + "u,1,a\nv,0,a\nu,0.5,a\n", 4, "time", "must not decrease");
  expect_csv_error(h + "u,1,a\nu,2,a,extra\nu,3,a\n", 3, "columns", "expected 3 fields");
  expect_csv_error("user,type\nu,a\n", 1, "time", "missing required column");
  expect_csv_error("user,time\nu,1\n", 1, "type", "missing required column");
  expect_csv_error("user,time,type,colour\nu,1,a,red\n", 1, "colour", "unknown column");
  expect_csv_error("", 0, "file", "empty file");
  expect_csv_error(h, 0, "file", "no events");
  expect_csv_error(h + "u,1,a\nu,2", 3, "columns", "truncated");
  expect_csv_error("user,time,type,text\nu,1,a,ok\nu,2,a,bad\xff\xfe\n", 3, "text", "UTF-8");
  expect_csv_error("user,time,type,stimulus\nu,1,a,maybe\n", 2, "stimulus");
  expect_csv_error(h + "u,1,\"a\nu,2,a\n", 2, "csv", "unterminated");
  expect_csv_error(h + "u,1,-4\n", 2, "type", "negative");
  expect_csv_error(h + ",1,a\n", 2, "user", "empty");
  expect_csv_error("user,time,type,m0,m1\nu,1,a,0.5,x\n", 2, "m1");
  ReadOptions schema;
  schema.schema = two_action_schema();
  expect_csv_error(h + "u,1,click\nu,2,sell\n", 3, "type", "unknown action type 'sell'", schema);
  expect_csv_error(h + "u,1,click\nu,2,7\n", 3, "type", "unknown action type", schema);
}

TEST(EventLogCsv, DropInvalidSkipsAndCountsBadRows) {
  TempDir dir;
  ReadOptions options;
  options.drop_invalid = true;
  ReadReport report;
  auto d = read_csv_text(dir, "user,time,type\nu,1,a\nu,nan,a\nu,0.5,a\nu,3,a,x\nu,4,b\n", options, &report);
  EXPECT_EQ(report.rows_dropped, 3u);
  EXPECT_EQ(report.reasons.size(), 3u);
  ASSERT_EQ(d.num_events(), 2u);
  EXPECT_DOUBLE_EQ(d.sequences[0].events[1].time, 4.0);
}

TEST(EventLogCsv, SortOptionOrdersStablyInsteadOfFailing) {
  TempDir dir;
  ReadOptions options;
  options.sort = true;
  auto d = read_csv_text(dir, "user,time,type\nu,2,a\nu,1,b\nu,2,c\n", options);
  const auto& ev = d.sequences[0].events;
  EXPECT_EQ(ev[0].type, d.schema.action_id("b"));
  EXPECT_EQ(ev[1].type, d.schema.action_id("a"));
  EXPECT_EQ(ev[2].type, d.schema.action_id("c"));
  EXPECT_DOUBLE_EQ(d.sequences[0].t_start, 1.0);
}

TEST(EventLogJsonl, ReadsAllFields) {
  TempDir dir;
  auto path = write_text(dir.file("e.jsonl"),
                         "{\"user\":\"a\",\"time\":1,\"type\":\"x\",\"text\":\"caf\xc3\xa9\",\"meta\":[1,2]}\n"
                         "\n"
                         "{\"user\":7,\"time\":\"2.5\",\"type\":\"s\",\"stimulus\":true,\"meta\":[0,0]}\n");
  auto d = read_event_log_jsonl(path);
  ASSERT_EQ(d.sequences.size(), 2u);
  EXPECT_EQ(d.sequences[1].user, "7");
  EXPECT_EQ(d.sequences[0].events[0].text, "caf\xc3\xa9");
  EXPECT_EQ(d.schema.event_meta_dim, 2);
  EXPECT_TRUE(d.sequences[1].events[0].is_stimulus);
  EXPECT_DOUBLE_EQ(d.sequences[1].events[0].time, 2.5);
}

TEST(EventLogJsonl, MalformedInputsAreLocated) {
  const std::string ok = "{\"user\":\"u\",\"time\":1,\"type\":\"a\"}\n";
  expect_jsonl_error(ok + "{\"user\":\"u\",\"time\":2,\"ty", 2, "line", "truncated");
  expect_jsonl_error(ok + "{\"user\":\"u\",\"time\":2,}\n" + ok, 2, "line", "invalid JSON");
  expect_jsonl_error(ok + "{\"user\":\"u\",\"type\":\"a\"}\n", 2, "time", "missing");
  expect_jsonl_error(ok + "{\"user\":\"u\",\"time\":\"NaN\",\"type\":\"a\"}\n", 2, "time", "not finite");
  expect_jsonl_error(ok + "{\"user\":\"u\",\"time\":\"soon\",\"type\":\"a\"}\n", 2, "time", "not a number");
  expect_jsonl_error(ok + "{\"user\":\"u\",\"time\":0.5,\"type\":\"a\"}\n", 2, "time", "must not decrease");
  expect_jsonl_error(ok + "{\"user\":\"u\",\"time\":2,\"type\":1.5}\n", 2, "type");
  expect_jsonl_error(ok + "{\"user\":\"u\",\"time\":2,\"type\":\"a\",\"text\":\"\xc3\x28\"}\n", 2, "line", "UTF-8");
  expect_jsonl_error(ok + "{\"user\":\"u\",\"time\":2,\"type\":\"a\",\"stimulus\":\"yes\"}\n", 2, "stimulus");
  expect_jsonl_error("{\"user\":\"u\",\"time\":1,\"type\":\"a\",\"meta\":[1]}\n"
                     "{\"user\":\"u\",\"time\":2,\"type\":\"a\",\"meta\":[1,2]}\n",
                     2, "meta", "expected 1 values");
  expect_jsonl_error(ok + "[1,2]\n", 2, "line", "object");
  expect_jsonl_error("\n\n", 0, "file", "empty");
  ReadOptions schema;
  schema.schema = two_action_schema();
  expect_jsonl_error("{\"user\":\"u\",\"time\":1,\"type\":\"click\"}\n"
                     "{\"user\":\"u\",\"time\":2,\"type\":\"ad\",\"stimulus\":true}\n",
                     2, "type", "unknown stimulus type 'ad'", schema);
}

TEST(EventLogJsonl, DropInvalidCountsUnparsableLines) {
  TempDir dir;
  auto path = write_text(dir.file("e.jsonl"),
                         "{\"user\":\"u\",\"time\":1,\"type\":\"a\"}\nnot json\n{\"user\":\"u\",\"time\":2}\n"
                         "{\"user\":\"u\",\"time\":3,\"type\":\"a\"}\n");
  ReadOptions options;
  options.drop_invalid = true;
  ReadReport report;
  auto d = read_event_log_jsonl(path, options, &report);
  EXPECT_EQ(report.rows_dropped, 2u);
  EXPECT_EQ(d.num_events(), 2u);
}

TEST(UsersFile, AppliesWindowsCategoriesAndFeatures) {
  TempDir dir;
  auto events = write_text(dir.file("e.csv"), "user,time,type\nu,1,a\nv,2,a\nu,3,a\n");
  ReadOptions options;
  options.users = write_text(dir.file("users.csv"), "user,category,t_start,t_end,f0,f1\nv,2,,,0.5,1.5\n"
                                                    "u,1,0,10,1,2\nw,0,0,4,3,4\n");
  auto d = read_event_log_csv(events, options);
  ASSERT_EQ(d.sequences.size(), 3u);
  EXPECT_EQ(d.schema.user_feature_dim, 2);
  EXPECT_DOUBLE_EQ(d.sequences[0].t_start, 0.0);
  EXPECT_DOUBLE_EQ(d.sequences[0].t_end, 10.0);
  EXPECT_EQ(d.sequences[0].category, 1);
  EXPECT_DOUBLE_EQ(d.sequences[1].t_start, 2.0);  // no window given: [first, last]
  EXPECT_EQ(d.sequences[1].features, (std::vector<float>{0.5f, 1.5f}));
  EXPECT_EQ(d.sequences[2].user, "w");  // users-file-only user with a window: empty sequence
  EXPECT_TRUE(d.sequences[2].events.empty());
  EXPECT_DOUBLE_EQ(d.sequences[2].t_end, 4.0);
}

TEST(UsersFile, MalformedInputsAreLocated) {
  TempDir dir;
  auto events = write_text(dir.file("events.csv"), "user,time,type\nu,1,a\nu,3,a\n");
  auto expect_users_error = [&](const std::string& name, const std::string& text, std::size_t line,
                                const std::string& field, const std::string& reason) {
    ReadOptions options;
    options.users = write_text(dir.file(name), text);
    expect_data_error([&] { read_event_log_csv(events, options); }, options.users, line, field, reason);
  };
  expect_users_error("a.csv", "user,t_start,t_end\nu,2,10\n", 2, "t_start", "does not contain");
  expect_users_error("b.jsonl", "{\"user\":\"u\",\"category\":[1]}\n", 1, "category", "a name (string) or an integer");
  expect_users_error("c.csv", "user,category\nu,1\nu,2\n", 3, "user", "twice");
  expect_users_error("d.csv", "user,f0,f1\nu,1\n", 2, "columns", "expected 3 fields");
  expect_users_error("e.csv", "user,t_start\nu,0\n", 2, "t_end", "go together");
  expect_users_error("f.csv", "category\n1\n", 1, "user", "missing required column");
  expect_users_error("g.jsonl", "{\"user\":\"u\",\"features\":[1]}\n{\"user\":\"v\",\"t_start\":0,\"t_end\":1,\"features\":[1,2]}\n",
                     2, "features", "expected 1 values");
  expect_users_error("h.jsonl", "{\"user\":\"z\"}\n", 1, "user", "no events and no window");
  expect_users_error("i.jsonl", "{\"user\":\"u\",\"t_start\":0,\"t_end\":", 1, "line", "truncated");
}

TEST(SchemaFile, FriendlyFormWithNamedAffects) {
  TempDir dir;
  auto path = write_text(dir.file("schema.json"),
                         R"({"action_names":["click","buy"],"stimulus_names":["email","ad"],)"
                         R"("affects":{"email":["buy"],"ad":[0,"buy"]}})");
  Schema s = read_schema(path);
  EXPECT_EQ(s.num_action_types, 2);
  EXPECT_EQ(s.num_stimulus_types, 2);
  EXPECT_EQ(s.affects, (std::vector<std::vector<int>>{{1}, {0, 1}}));
  EXPECT_FALSE(s.stimulus_affects(0, 0));
  EXPECT_TRUE(s.stimulus_affects(1, 0));
  write_schema(s, dir.file("again.json"));
  Schema t = read_schema(dir.file("again.json"));
  EXPECT_EQ(t.affects, s.affects);
  EXPECT_EQ(t.stimulus_names, s.stimulus_names);
  auto bad = write_text(dir.file("bad.json"), R"({"action_names":["a"],"stimulus_names":["e"],"affects":{"e":["z"]}})");
  expect_data_error([&] { read_schema(bad); }, bad, 0, "affects.e[0]", "unknown action type");
}

TEST(Formats, DetectedFromNamesAndRmtppPartnersFound) {
  EXPECT_EQ(detect_format("a/b.csv"), Format::Csv);
  EXPECT_EQ(detect_format("b.jsonl"), Format::Jsonl);
  EXPECT_EQ(detect_format("train.json"), Format::EasyTpp);
  EXPECT_EQ(detect_format("d/time-1-train.txt"), Format::Rmtpp);
  EXPECT_EQ(rmtpp_partner("d/time-1-train.txt"), "d/event-1-train.txt");
  EXPECT_EQ(rmtpp_partner("d/event.txt"), "d/time.txt");
  EXPECT_THROW(detect_format("data.bin"), Error);
  EXPECT_EQ(parse_format("easytpp"), Format::EasyTpp);
  EXPECT_THROW(parse_format("parquet"), Error);
}

}  // namespace tpp
