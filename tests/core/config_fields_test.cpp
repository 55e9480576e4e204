// The declaration facility on its own: reading, checks, errors, writing and the docs table.
#include <gtest/gtest.h>

#include "tpp/core/config_fields.h"

namespace tpp {
namespace {

struct Inner {
  int width{4};
};

struct Example {
  int count{3};
  double rate{0.5};
  std::string mode{"fast"};
  bool flag{false};
  bool derived{true};
  std::uint64_t seed{1};
  Inner inner;
  double a{1.0}, b{0.0};
};

const ConfigFields<Inner>& inner_fields() {
  static const auto fields = ConfigFields<Inner>("inner")
                                 .field("width", &Inner::width, "a width", rules::positive<int>())
                                 .check([](const Inner& i) { return i.width % 2 == 0 ? "" : "\"width\" must be even"; });
  return fields;
}

const ConfigFields<Example>& example_fields() {
  static const auto fields =
      ConfigFields<Example>("example")
          .field("count", &Example::count, "how many", rules::positive<int>())
          .field("rate", &Example::rate, "a probability", rules::probability_below_one())
          .field("mode", &Example::mode, "speed", rules::one_of({"fast", "slow"}))
          .field("flag", &Example::flag, "a switch")
          .field("derived", &Example::derived, "follows mode", Rule<bool>{},
                 std::function<bool(const Example&)>([](const Example& e) { return e.mode == "fast"; }), "mode preset")
          .field("seed", &Example::seed, "a seed")
          .shown_default("--seed")
          .include(&Example::inner, inner_fields())
          .object("weights", "two weights",
                  ConfigFields<Example>("example: \"weights\"")
                      .field("a", &Example::a, "first", rules::non_negative<double>())
                      .field("b", &Example::b, "second", rules::non_negative<double>()));
  return fields;
}

Example read(const nlohmann::json& j) {
  Example e;
  example_fields().read(j, e);
  return e;
}

std::string error_of(const nlohmann::json& j) {
  try {
    read(j);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigFields, AbsentKeysKeepDefaultsAndFallbacksFollowEarlierFields) {
  Example e = read(nlohmann::json::object());
  EXPECT_EQ(e.count, 3);
  EXPECT_EQ(e.mode, "fast");
  EXPECT_TRUE(e.derived);
  EXPECT_EQ(e.inner.width, 4);
  EXPECT_FALSE(read({{"mode", "slow"}}).derived);
  EXPECT_TRUE(read({{"mode", "slow"}, {"derived", true}}).derived);
}

TEST(ConfigFields, ReadsEveryKindAndWritesItBack) {
  const nlohmann::json j = {{"count", 7},        {"rate", 0.25},           {"mode", "slow"},
                            {"flag", true},      {"derived", true},        {"seed", 18446744073709551615ull},
                            {"width", 6},        {"weights", {{"a", 2.0}, {"b", 0.5}}}};
  Example e = read(j);
  EXPECT_EQ(e.seed, 18446744073709551615ull);
  EXPECT_EQ(e.inner.width, 6);
  EXPECT_EQ(e.b, 0.5);
  EXPECT_EQ(example_fields().write(e), j);
}

TEST(ConfigFields, ErrorsNameTheOwnerAndTheKey) {
  EXPECT_EQ(error_of({{"count", 0}}), "example: \"count\" must be positive, got 0");
  EXPECT_EQ(error_of({{"count", 2.5}}), "example: \"count\" must be an integer, got 2.5");
  EXPECT_EQ(error_of({{"rate", 1.0}}), "example: \"rate\" must be in [0, 1), got 1.0");
  EXPECT_EQ(error_of({{"mode", "medium"}}), "example: \"mode\" must be one of \"fast\", \"slow\", got \"medium\"");
  EXPECT_EQ(error_of({{"flag", 1}}), "example: \"flag\" must be true or false, got 1");
  EXPECT_EQ(error_of({{"seed", -1}}), "example: \"seed\" must be a non-negative integer, got -1");
  EXPECT_EQ(error_of({{"width", 3}}), "example: \"width\" must be even");
  EXPECT_EQ(error_of({{"weights", {{"a", -1.0}}}}), "example: \"weights\": \"a\" must be >= 0, got -1.0");
  EXPECT_EQ(error_of({{"weights", {{"c", 1.0}}}}), "example: \"weights\": unknown field \"c\" (known: a, b)");
  EXPECT_EQ(error_of(nlohmann::json::array()), "example: config must be a JSON object");
}

TEST(ConfigFields, UnknownKeysListTheKnownOnesAndExtraKeysPass) {
  const std::string what = error_of({{"cuont", 1}});
  EXPECT_EQ(what, "example: unknown field \"cuont\" (known: count, rate, mode, flag, derived, seed, width, weights)");
  Example e;
  EXPECT_NO_THROW(example_fields().read({{"model", "x"}}, e, {"model"}));
}

TEST(ConfigFields, DocsTableHasOneRowPerKey) {
  const std::string table = config_key_table(example_fields().docs());
  EXPECT_NE(table.find("| `count` | integer, positive | `3` | how many |\n"), std::string::npos) << table;
  EXPECT_NE(table.find("| `seed` | integer >= 0 | `--seed` | a seed |\n"), std::string::npos) << table;
  EXPECT_NE(table.find("| `derived` | bool | `mode preset` | follows mode |\n"), std::string::npos) << table;
  EXPECT_NE(table.find("| `weights` | object: a, b | `{\"a\":1.0,\"b\":0.0}` | two weights |\n"), std::string::npos)
      << table;
}

}  // namespace
}  // namespace tpp
