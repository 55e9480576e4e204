// Model configs through their field declarations: every declared field of every registered model
// round-trips, keys the code reads are accepted, unknown keys fail, and files written before load.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "tpp/core/error.h"
#include "tpp/models/registry.h"

namespace tpp {
namespace {

// K = 2 actions and one stimulus, so the classical matrices have 3 source rows.
Schema schema() {
  Schema s;
  s.num_action_types = 2;
  s.num_stimulus_types = 1;
  s.action_names = {"a", "b"};
  s.stimulus_names = {"s"};
  return s;
}

// Numbers equal to a relative 1e-9 (classical parameters pass through softplus and back).
bool near(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>(), y = b.get<double>();
    return std::abs(x - y) <= 1e-9 * std::max(1.0, std::abs(x));
  }
  if (a.type() != b.type() || a.size() != b.size()) return false;
  if (a.is_array()) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!near(a[i], b[i])) return false;
    return true;
  }
  if (a.is_object()) {
    for (const auto& item : a.items())
      if (!b.contains(item.key()) || !near(item.value(), b[item.key()])) return false;
    return true;
  }
  return a == b;
}

// A value other than the default for every declared field of every model. A model or field
// missing here fails the test, so a new field cannot go untested.
const std::map<std::string, nlohmann::json>& non_defaults() {
  static const std::map<std::string, nlohmann::json> table{
      {"poisson", {{"rate", {0.25, 3.0}}}},
      {"hawkes",
       {{"mu", {0.3, 0.2}},
        {"alpha", {{0.1, 0.2}, {0.3, 0.05}, {0.2, 0.1}}},
        {"beta_matrix", true},
        {"beta", {{1.5, 2.0}, {0.5, 1.0}, {3.0, 2.5}}}}},
      {"inhibition",
       {{"mu", {-0.2, 0.4}},
        {"alpha", {{0.1, -0.2}, {-0.3, 0.05}, {0.2, 0.1}}},
        {"delta", {{1.5, 2.0}, {0.5, 1.0}, {3.0, 2.5}}},
        {"scale", {0.5, 2.0}}}},
      {"self_correcting", {{"mu", {0.3, 0.7}}, {"alpha", {{0.1, 0.2}, {0.3, 0.05}, {0.2, 0.1}}}}},
      {"rmtpp",
       {{"embed_dim", 5}, {"hidden", 6}, {"layers", 2}, {"cell", "lstm"}, {"dropout", 0.25}, {"w_init", -0.5}}},
      {"thp",
       {{"d_model", 6},
        {"d_ff", 10},
        {"heads", 3},
        {"layers", 1},
        {"dropout", 0.3},
        {"alpha", -0.5},
        {"beta", 2.0},
        {"time_guard", 0.5}}},
      {"nhp", {{"hidden_size", 5}}},
      {"lognormmix",
       {{"embed_dim", 5}, {"hidden", 6}, {"layers", 2}, {"cell", "lstm"}, {"dropout", 0.25}, {"gap_input", "raw"},
        {"components", 3}}},
      {"burr",
       {{"embed_dim", 5}, {"hidden", 6}, {"layers", 2}, {"cell", "lstm"}, {"dropout", 0.25}, {"gap_input", "raw"},
        {"defective", true}}},
      {"sahp", {{"d_model", 12}, {"heads", 3}, {"layers", 1}, {"d_ff", 7}, {"dropout", 0.2}}},
      {"attnhp", {{"d_model", 9}, {"d_time", 6}, {"heads", 3}, {"layers", 1}, {"dropout", 0.2}}},
      {"expert",
       {{"d_model", 6},
        {"d_ff", 10},
        {"heads", 3},
        {"layers", 1},
        {"dropout", 0.3},
        {"alpha", -0.5},
        {"beta", 2.0},
        {"time_guard", 0.5},
        {"variant", "ext"},
        {"stimulus_query", false},
        {"user_features", true},
        {"causal_mask", true},
        {"event_meta", true},
        {"future_window", 0.75},
        {"mask_rule", "query_type"},
        {"text_features", {{"dim", 8}}}}},
  };
  return table;
}

TEST(ModelConfig, EveryDeclaredFieldRoundTrips) {
  auto& registry = ModelRegistry::instance();
  for (const std::string& name : registry.names()) {
    SCOPED_TRACE(name);
    auto found = non_defaults().find(name);
    ASSERT_NE(found, non_defaults().end()) << "no test values for model " << name;
    std::set<std::string> declared, tested;
    for (const auto& key : registry.keys(name)) declared.insert(key.key);
    for (const auto& item : found->second.items()) tested.insert(item.key());
    EXPECT_EQ(declared, tested);

    nlohmann::json config = found->second;
    config["model"] = name;
    const nlohmann::json written = registry.create(config, schema())->config();
    EXPECT_TRUE(near(config, written)) << "in:  " << config.dump() << "\nout: " << written.dump();
    const nlohmann::json again = registry.create(written, schema())->config();
    EXPECT_TRUE(near(written, again)) << "in:  " << written.dump() << "\nout: " << again.dump();
  }
}

TEST(ModelConfig, DefaultsRoundTripAndWriteEveryDeclaredKey) {
  auto& registry = ModelRegistry::instance();
  for (const std::string& name : registry.names()) {
    SCOPED_TRACE(name);
    const nlohmann::json written = registry.create({{"model", name}}, schema())->config();
    for (const auto& key : registry.keys(name))
      // A null-valued field (ExPERT's text_features) is left out, which reads back as null.
      if (key.fallback != "null") EXPECT_TRUE(written.contains(key.key)) << key.key;
    EXPECT_TRUE(near(written, registry.create(written, schema())->config()));
  }
}

TEST(ModelConfig, KeysTheCodeReadsAreAccepted) {
  auto& registry = ModelRegistry::instance();
  EXPECT_NO_THROW(registry.create({{"model", "hawkes"}, {"beta_matrix", false}}, schema()));
  EXPECT_NO_THROW(registry.create({{"model", "expert"}, {"text_features", nullptr}}, schema()));
  auto expert = registry.create({{"model", "expert"}, {"text_features", nullptr}}, schema());
  EXPECT_FALSE(expert->config().contains("text_features"));
}

TEST(ModelConfig, UnknownKeysFailNamingEveryKnownOne) {
  auto& registry = ModelRegistry::instance();
  for (const std::string& name : registry.names()) {
    try {
      registry.create({{"model", name}, {"hiden", 3}}, schema());
      ADD_FAILURE() << name << " accepted an unknown field";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(name), std::string::npos) << what;
      EXPECT_NE(what.find("\"hiden\""), std::string::npos) << what;
      for (const auto& key : registry.keys(name)) EXPECT_NE(what.find(key.key), std::string::npos) << what;
    }
  }
}

TEST(ModelConfig, BadValuesNameTheModelAndTheField) {
  auto& registry = ModelRegistry::instance();
  auto error = [&](const nlohmann::json& config) {
    try {
      registry.create(config, schema());
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error({{"model", "rmtpp"}, {"hidden", 0}}), "rmtpp: \"hidden\" must be in [1, 16384], got 0");
  // Sizes have upper bounds: the fuzzer's "layers": 100000 built THP layers for minutes.
  EXPECT_EQ(error({{"model", "thp"}, {"d_model", 16}, {"heads", 2}, {"layers", 100000}}),
            "thp: \"layers\" must be in [1, 64], got 100000");
  EXPECT_EQ(error({{"model", "expert"}, {"d_model", 2000000000}}),
            "expert: \"d_model\" must be in [1, 16384], got 2000000000");
  EXPECT_EQ(error({{"model", "lognormmix"}, {"components", 5000}}),
            "lognormmix: \"components\" must be in [1, 1024], got 5000");
  EXPECT_EQ(error({{"model", "expert"}, {"d_model", 7}}),
            "expert: \"d_model\" must be a multiple of \"heads\", got 7 with heads 4");
  EXPECT_EQ(error({{"model", "hawkes"}, {"beta", {1.0, 2.0}}}),
            "hawkes: \"beta\" must be a number (set \"beta_matrix\": true for a matrix)");
  EXPECT_EQ(error({{"model", "poisson"}, {"rate", {1.0, -1.0}}}), "poisson: \"rate\" must be positive");
}

// Configs exactly as the code before the field declarations wrote them into model files.
TEST(ModelConfig, ConfigsWrittenBeforeStillLoad) {
  auto& registry = ModelRegistry::instance();
  const std::vector<nlohmann::json> saved{
      {{"model", "hawkes"}, {"mu", {0.5, 0.5}}, {"alpha", {{0.25, 0.25}, {0.25, 0.25}, {0.25, 0.25}}}, {"beta", 1.0}},
      {{"model", "poisson"}, {"rate", {1.0, 1.0}}},
      {{"model", "rmtpp"}, {"embed_dim", 16}, {"hidden", 32}, {"layers", 1}, {"cell", "gru"}, {"dropout", 0.0},
       {"w_init", 0.0}},
      {{"model", "expert"}, {"d_model", 32}, {"d_ff", 64}, {"heads", 4}, {"layers", 2}, {"dropout", 0.1},
       {"alpha", -0.1}, {"beta", 1.0}, {"time_guard", 1.0}, {"variant", "full"}, {"stimulus_query", true},
       {"user_features", true}, {"causal_mask", true}, {"event_meta", true}, {"future_window", 0.0}},
  };
  for (const auto& config : saved) {
    SCOPED_TRACE(config.dump());
    auto model = registry.create(config, schema());
    for (const auto& item : config.items()) EXPECT_TRUE(near(item.value(), model->config()[item.key()])) << item.key();
  }
}

}  // namespace
}  // namespace tpp
