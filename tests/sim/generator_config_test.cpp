// Generator configs through their field declarations and the generator registry: every declared
// field of every registered generator round-trips, unknown keys and bad values fail naming the key,
// and the registry holds exactly the generators the library defines.
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <set>

#include "tpp/core/error.h"
#include "tpp/sim/complex_stimuli.h"
#include "tpp/sim/ecommerce.h"
#include "tpp/sim/generator_registry.h"

namespace tpp {
namespace {

// A value differing from the default for every declared key of every generator; all together they
// pass the cross-field checks (ecommerce: 0.4 + 2 · 0.05 < 1).
const std::map<std::string, nlohmann::json>& non_defaults() {
  static const std::map<std::string, nlohmann::json> table{
      {"stimulus_count",
       {{"mu", 0.7},
        {"alpha", 0.35},
        {"beta", 2.5},
        {"num_stimuli", 3},
        {"stimulus_slope", 0.45},
        {"onset_ratio", 0.75},
        {"scale", 4.5},
        {"t_end", 60.5},
        {"placement", "uniform"}}},
      {"complex_stimuli",
       {{"t_end", 80.5},
        {"scale", 7.5},
        {"deadline", 9.5},
        {"beta", 1.5},
        {"priors", {{"A", {0.3, 0.05}}, {"v", {12.0, 2.0}}}}}},
      {"ecommerce",
       {{"num_categories", 3},
        {"t_end", 45.5},
        {"base_rate", 0.08},
        {"taste_weight", 0.6},
        {"activity_sd", 0.25},
        {"deal_weight", 0.75},
        {"alpha_self", 0.4},
        {"alpha_cross", 0.05},
        {"beta", 0.8},
        {"coupon_rate", 0.2},
        {"sitewide_share", 0.3},
        {"issue_lift", 1.5},
        {"issue_decay", 2.5},
        {"expiry_lift", 3.5},
        {"expiry_decay", 0.75},
        {"single_use", false},
        {"discounts", {0.05, 0.5}},
        {"validities", {2.0, 10.0}}}},
  };
  return table;
}

// `given` is found in `written`: equal, or for an object, each of its items found (the priors
// given replace only theirs).
bool found_in(const nlohmann::json& given, const nlohmann::json& written) {
  if (!given.is_object()) return given == written;
  if (!written.is_object()) return false;
  for (const auto& item : given.items())
    if (!written.contains(item.key()) || !found_in(item.value(), written[item.key()])) return false;
  return true;
}

// The config a generator writes for `config` (no sequences drawn).
nlohmann::json written(const std::string& name, const nlohmann::json& config) {
  return GeneratorRegistry::instance().get(name).generate(config, 0, 1).config;
}

std::string error_of(const std::string& name, const nlohmann::json& config) {
  try {
    written(name, config);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(GeneratorRegistry, ListsExactlyTheLibrarysGenerators) {
  const std::vector<std::string> expected{"complex_stimuli", "ecommerce", "stimulus_count"};
  EXPECT_EQ(GeneratorRegistry::instance().names(), expected);
  EXPECT_EQ(process_names(), expected);
  try {
    generate_process("hawkes", {}, 1, 0);
    ADD_FAILURE() << "an unknown process was accepted";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'hawkes'"), std::string::npos) << message;
    for (const auto& name : expected) EXPECT_NE(message.find(name), std::string::npos) << message;
  }
}

TEST(GeneratorConfig, EveryDeclaredFieldRoundTrips) {
  for (const std::string& name : GeneratorRegistry::instance().names()) {
    SCOPED_TRACE(name);
    auto found = non_defaults().find(name);
    ASSERT_NE(found, non_defaults().end()) << "no test values for generator " << name;
    std::set<std::string> declared, tested;
    for (const auto& key : GeneratorRegistry::instance().get(name).keys) declared.insert(key.key);
    for (const auto& item : found->second.items()) tested.insert(item.key());
    EXPECT_EQ(declared, tested);

    const nlohmann::json defaults = written(name, nlohmann::json::object());
    const nlohmann::json out = written(name, found->second);
    for (const auto& item : found->second.items()) {
      EXPECT_FALSE(found_in(item.value(), defaults[item.key()])) << item.key() << ": test value is the default";
      EXPECT_TRUE(found_in(item.value(), out[item.key()])) << item.key() << ": in " << item.value() << ", out "
                                                           << out[item.key()];
    }
    EXPECT_EQ(written(name, out), out);
    EXPECT_EQ(written(name, defaults), defaults);
  }
}

TEST(GeneratorConfig, UnknownKeysFailNamingEveryKnownOne) {
  for (const std::string& name : GeneratorRegistry::instance().names()) {
    SCOPED_TRACE(name);
    const std::string message = error_of(name, {{"no_such_key", 1}});
    EXPECT_NE(message.find(name), std::string::npos) << message;
    EXPECT_NE(message.find("no_such_key"), std::string::npos) << message;
    for (const auto& key : GeneratorRegistry::instance().get(name).keys)
      EXPECT_NE(message.find(key.key), std::string::npos) << key.key << " missing from: " << message;
  }
}

TEST(GeneratorConfig, BadValuesFailNamingTheKey) {
  // A string is the wrong type for every field but "placement", which it fails as not one of its values.
  for (const std::string& name : GeneratorRegistry::instance().names()) {
    for (const auto& key : GeneratorRegistry::instance().get(name).keys) {
      SCOPED_TRACE(name + "." + key.key);
      const std::string message = error_of(name, {{key.key, "bad"}});
      EXPECT_NE(message.find(name + ": \"" + key.key + "\""), std::string::npos) << message;
    }
  }
  const std::vector<std::pair<std::string, nlohmann::json>> out_of_range{
      {"stimulus_count", {{"alpha", 1.0}}},       {"stimulus_count", {{"onset_ratio", 0.0}}},
      {"stimulus_count", {{"num_stimuli", -1}}},  {"stimulus_count", {{"mu", std::numeric_limits<double>::infinity()}}},
      {"complex_stimuli", {{"deadline", 0.0}}},   {"complex_stimuli", {{"priors", {{"A", {0.4, -1.0}}}}}},
      {"complex_stimuli", {{"priors", {{"Q", {0.0, 1.0}}}}}}, {"ecommerce", {{"sitewide_share", 1.5}}},
      {"ecommerce", {{"num_categories", 0}}},     {"ecommerce", {{"discounts", {0.2, 1.0}}}},
      {"ecommerce", {{"validities", nlohmann::json::array()}}}};
  for (const auto& [name, config] : out_of_range) {
    const std::string key = config.begin().key();
    SCOPED_TRACE(name + " " + config.dump());
    const std::string message = error_of(name, config);
    EXPECT_NE(message.find(name + ": \"" + key + "\""), std::string::npos) << message;
  }
}

TEST(GeneratorConfig, CrossFieldChecksNameTheirKeys) {
  // 0.5 + 4 · 0.2 >= 1: the excitation would not be stationary.
  const std::string message = error_of("ecommerce", {{"alpha_self", 0.5}, {"alpha_cross", 0.2}});
  for (const char* key : {"\"alpha_self\"", "\"alpha_cross\"", "\"num_categories\""})
    EXPECT_NE(message.find(key), std::string::npos) << message;
  // A config built in code gets the same checks where a target is made from it.
  EcommerceConfig config;
  config.validities = {};
  EXPECT_THROW(config.validate(), Error);
  EXPECT_THROW((void)EcommerceTarget(config, EcommerceUser{{0, 0, 0, 0}, {}}), Error);
}

TEST(GeneratorConfig, ComplexStimuliParametersRoundTrip) {
  const nlohmann::json given{{"A", 0.3},   {"M", 1.5}, {"Gamma_d", 12.0}, {"Gamma_o", 4.0}, {"Gamma_h", 0.25},
                             {"v", 18.0},  {"b", 0.4}, {"p", 2.0},        {"c", 1.1}};
  std::set<std::string> declared, tested;
  for (const auto& key : ComplexStimuliParams::fields().keys()) declared.insert(key);
  for (const auto& item : given.items()) tested.insert(item.key());
  EXPECT_EQ(declared, tested);
  const nlohmann::json defaults = ComplexStimuliParams{}.to_json();
  for (const auto& item : given.items()) EXPECT_NE(defaults[item.key()], item.value()) << item.key();
  EXPECT_EQ(ComplexStimuliParams::from_json(given).to_json(), given);
  EXPECT_THROW(ComplexStimuliParams::from_json({{"alpha", 0.3}}), Error);
  EXPECT_THROW(ComplexStimuliParams::from_json({{"A", "0.3"}}), Error);
}

}  // namespace
}  // namespace tpp
