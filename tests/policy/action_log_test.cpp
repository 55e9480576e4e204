// The action-delivery log: a round trip keeps every row, and malformed rows are located errors.
#include <gtest/gtest.h>

#include <fstream>

#include "../test_support.h"
#include "tpp/core/error.h"
#include "tpp/policy/action_log.h"

namespace tpp {
namespace {

ActionSchema schema() { return ActionSchema{{"visit", "purchase"}, {"none", "email"}}; }

std::string write(const testing::TempDir& dir, const std::string& text) {
  const std::string path = dir.file("log.jsonl");
  std::ofstream(path) << text;
  return path;
}

TEST(ActionLog, RoundTripKeepsEveryRow) {
  testing::TempDir dir;
  ActionLog log;
  log.schema = schema();
  log.users.push_back(UserHistory{"a", 5.0,
                                  {{0.5, EventKind::UserEvent, 0},
                                   {1.0, EventKind::Opportunity, 0},
                                   {1.0, EventKind::Action, 1, 0.25},
                                   {2.0, EventKind::UserEvent, 1}},
                                  2});
  log.users.push_back(UserHistory{"b", 3.0, {}, -1});
  write_action_log(log, dir.file("out.jsonl"));
  auto back = read_action_log(dir.file("out.jsonl"), schema());
  ASSERT_EQ(back.users.size(), 2u);
  EXPECT_EQ(back.users[0].user, "a");
  EXPECT_EQ(back.users[0].t_end, 5.0);
  EXPECT_EQ(back.users[0].hidden_type, 2);
  ASSERT_EQ(back.users[0].events.size(), 4u);
  EXPECT_EQ(back.users[0].events[2].kind, EventKind::Action);
  EXPECT_EQ(back.users[0].events[2].mark, 1);
  EXPECT_DOUBLE_EQ(back.users[0].events[2].propensity, 0.25);
  EXPECT_EQ(back.users[0].events[3].mark, 1);
  EXPECT_TRUE(back.users[1].events.empty());
  EXPECT_EQ(back.users[1].t_end, 3.0);
}

void expect_error(const std::string& text, std::size_t line, const std::string& field, const std::string& words) {
  testing::TempDir dir;
  const std::string path = write(dir, text);
  try {
    read_action_log(path, schema());
    ADD_FAILURE() << "accepted: " << text;
  } catch (const DataError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_EQ(e.field(), field) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(ActionLog, MalformedRowsAreLocated) {
  const std::string end = R"({"user":"a","time":9,"kind":"end"})" "\n";
  expect_error(R"({"user":"a","time":1,"kind":"event","type":"click"})" "\n" + end, 1, "type", "unknown user event type");
  expect_error(R"({"user":"a","time":1,"kind":"visit"})" "\n" + end, 1, "kind", "is not one of");
  expect_error(R"({"user":"a","time":2,"kind":"event","type":"visit"})" "\n"
               R"({"user":"a","time":1,"kind":"event","type":"visit"})" "\n" + end, 2, "time", "decreasing");
  expect_error(R"({"user":"a","time":1,"kind":"opportunity"})" "\n"
               R"({"user":"a","time":1.5,"kind":"action","type":"email"})" "\n" + end, 2, "kind", "same time");
  expect_error(R"({"user":"a","time":1,"kind":"opportunity"})" "\n"
               R"({"user":"a","time":1,"kind":"action","type":"email","propensity":1.5})" "\n" + end, 2, "propensity", "(0, 1]");
  expect_error(R"({"user":"a","time":1,"kind":"action","type":"email"})" "\n" + end, 1, "kind", "must follow an opportunity");
  expect_error(R"({"user":"a","time":1,"kind":"event","type":"visit"})" "\n", 1, "kind", "no \"end\" row");
  expect_error(end + R"({"user":"a","time":10,"kind":"event","type":"visit"})" "\n", 2, "user", "after its end row");
  expect_error(R"({"user":"a","time":"x","kind":"end"})" "\n", 1, "time", "must be a number");
  expect_error("{not json\n", 1, "", "not valid JSON");
}

TEST(ActionLog, SchemaNeedsNoneFirst) {
  EXPECT_THROW((ActionSchema{{"visit"}, {"email", "none"}}.validate("cfg")), Error);
  EXPECT_THROW((ActionSchema{{"visit"}, {"none", "visit"}}.validate("cfg")), Error);
  EXPECT_NO_THROW((ActionSchema{{"visit"}, {"none", "email"}}.validate("cfg")));
}

}  // namespace
}  // namespace tpp
