// User categories (IPTW's confounder): names or integers from the users file or an event-log
// column, resolved to ids and Schema::category_names; conflicts, unknown categories and, when
// required, users without one are errors located in their file.
#include <gtest/gtest.h>

#include "../test_support.h"
#include "data_test_support.h"
#include "tpp/data/io.h"
#include "tpp/data/prepare.h"
#include "tpp/data/summary.h"

namespace tpp {
namespace {

using testing::expect_data_error;
using testing::TempDir;
using testing::write_text;

TEST(Categories, NamesFromTheUsersFileInOrderOfFirstAppearance) {
  TempDir dir;
  auto events = write_text(dir.file("e.jsonl"),
                           "{\"user\":\"a\",\"time\":1,\"type\":0}\n{\"user\":\"b\",\"time\":2,\"type\":0}\n"
                           "{\"user\":\"c\",\"time\":3,\"type\":0}\n{\"user\":\"d\",\"time\":4,\"type\":0}\n");
  ReadOptions options;
  options.users = write_text(dir.file("e.users.jsonl"),
                             "{\"user\":\"b\",\"category\":\"gamer\"}\n{\"user\":\"a\",\"category\":\"reader\"}\n"
                             "{\"user\":\"c\",\"category\":\"gamer\"}\n");
  const Dataset d = read_event_log_jsonl(events, options);
  EXPECT_EQ(d.schema.category_names, (std::vector<std::string>{"reader", "gamer"}));  // sequence order: a, b, c
  EXPECT_EQ(d.sequences[0].category, 0);
  EXPECT_EQ(d.sequences[1].category, 1);
  EXPECT_EQ(d.sequences[2].category, 1);
  EXPECT_EQ(d.sequences[3].category, -1);  // d is not in the users file
  // inspect's summary counts users per category name.
  EXPECT_EQ(summarize(d)["categories"], (nlohmann::json{{"gamer", 2}, {"reader", 1}}));
}

TEST(Categories, IntegersAreIdsAndRoundTripThroughTheUsersFile) {
  TempDir dir;
  auto events = write_text(dir.file("e.csv"), "user,time,type\nu,1,a\nv,2,a\nw,3,a\n");
  ReadOptions options;
  options.users = write_text(dir.file("users.csv"), "user,category\nu,2\nv,0\nw,-1\n");
  Dataset d = read_event_log_csv(events, options);
  EXPECT_EQ(d.sequences[0].category, 2);
  EXPECT_EQ(d.sequences[1].category, 0);
  EXPECT_EQ(d.sequences[2].category, -1);  // -1: none, as older users files write it
  EXPECT_EQ(d.schema.category_names, (std::vector<std::string>{"0", "1", "2"}));
  d.schema.category_names = {"x", "y", "z"};
  write_users(d, dir.file("out.users.jsonl"));
  ReadOptions again;
  again.users = dir.file("out.users.jsonl");
  const Dataset back = read_event_log_csv(events, again);
  EXPECT_EQ(back.schema.category_names, (std::vector<std::string>{"z", "x"}));
  EXPECT_EQ(back.sequences[0].category, 0);
  EXPECT_EQ(back.sequences[2].category, -1);
}

TEST(Categories, FromACategoryColumnOfTheEventLog) {
  TempDir dir;
  auto csv = write_text(dir.file("e.csv"), "user,time,type,category\nu,1,a,pro\nv,2,a,\nu,3,a,pro\nv,4,a,free\n");
  const Dataset d = read_event_log_csv(csv);
  EXPECT_EQ(d.schema.category_names, (std::vector<std::string>{"pro", "free"}));
  EXPECT_EQ(d.sequences[0].category, 0);
  EXPECT_EQ(d.sequences[1].category, 1);  // given on one of v's rows
  auto jsonl = write_text(dir.file("e.jsonl"), "{\"user\":\"u\",\"time\":1,\"type\":0,\"category\":3}\n");
  EXPECT_EQ(read_event_log_jsonl(jsonl).sequences[0].category, 3);
}

TEST(Categories, ConflictsAndUnknownCategoriesAreLocated) {
  TempDir dir;
  // Two categories for one user in the event log: the second row is the error.
  auto csv = write_text(dir.file("a.csv"), "user,time,type,category\nu,1,a,pro\nu,2,a,free\n");
  expect_data_error([&] { read_event_log_csv(csv); }, csv, 3, "category", "'free' here but 'pro' on line 2");
  // The users file disagrees with the event log.
  auto logged = write_text(dir.file("b.csv"), "user,time,type,category\nu,1,a,pro\n");
  ReadOptions options;
  options.users = write_text(dir.file("b.users.csv"), "user,category\nu,free\n");
  expect_data_error([&] { read_event_log_csv(logged, options); }, options.users, 2, "category", "'free' here but 'pro'");
  // A schema that names the categories makes any other one an error at its line.
  auto events = write_text(dir.file("c.csv"), "user,time,type\nu,1,a\nv,2,a\n");
  ReadOptions known;
  Schema schema;
  schema.num_action_types = 1;
  schema.action_names = {"a"};
  schema.category_names = {"pro", "free"};
  known.schema = schema;
  known.users = write_text(dir.file("c.users.jsonl"), "{\"user\":\"u\",\"category\":\"free\"}\n{\"user\":\"v\",\"category\":\"vip\"}\n");
  expect_data_error([&] { read_event_log_csv(events, known); }, known.users, 2, "category",
                    "unknown category 'vip' (the schema knows pro, free)");
  known.users = write_text(dir.file("d.users.jsonl"), "{\"user\":\"u\",\"category\":1.5}\n");
  expect_data_error([&] { read_event_log_csv(events, known); }, known.users, 1, "category", "a name (string) or an integer");
}

TEST(Categories, RequiredCategoriesNameTheUsersFirstLine) {
  TempDir dir;
  auto events = write_text(dir.file("log.jsonl"),
                           "{\"user\":\"u\",\"time\":1,\"type\":0}\n{\"user\":\"v\",\"time\":2,\"type\":0}\n"
                           "{\"user\":\"u\",\"time\":3,\"type\":0}\n");
  write_text(dir.file("log.users.jsonl"), "{\"user\":\"u\",\"category\":\"a\"}\n");
  // v is missing from the users file: its first event is line 2 of the log.
  expect_data_error([&] { read_data_file(events, "", true); }, events, 2, "category", "user 'v' has no category");
  // Not required (evaluation, prediction on new users): no error.
  EXPECT_EQ(read_data_file(events).sequences[1].category, -1);
  // Without any users file.
  auto bare = write_text(dir.file("bare.csv"), "user,time,type\nz,1,a\n");
  expect_data_error([&] { read_data_file(bare, "", true); }, bare, 2, "category", "no users file");
}

TEST(Categories, AlignToAModelMapsThemByName) {
  // The model knows {"pro", "free"}; the file numbered its categories {"free", "vip", "pro"}.
  Dataset data = testing::make_dataset(1, {{{1.0, 0}}, {{1.0, 0}}, {{1.0, 0}}, {{1.0, 0}}}, {2, 2, 2, 2});
  data.schema.category_names = {"free", "vip", "pro"};
  data.sequences[0].category = 0;
  data.sequences[1].category = 1;
  data.sequences[2].category = 2;
  Schema model = data.schema;
  model.category_names = {"pro", "free"};
  const Dataset aligned = align_to_model(data, model, TimeScale{}, "test data");
  EXPECT_EQ(aligned.sequences[0].category, 1);
  EXPECT_EQ(aligned.sequences[1].category, -1);  // unknown to the model: only training uses categories
  EXPECT_EQ(aligned.sequences[2].category, 0);
  EXPECT_EQ(aligned.sequences[3].category, -1);
}

}  // namespace
}  // namespace tpp
