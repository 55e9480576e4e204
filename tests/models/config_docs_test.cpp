// The key tables in docs/*.md and experiments/**/*.md are the field declarations' own: each sits between
//   <!-- config-keys: NAME -->  and  <!-- /config-keys -->
// (NAME a registered model, "train", "train.iptw", "generator.NAME" for a registered generator,
// "generator.complex_stimuli.params", "text_features" or "user_ids") and must equal config_key_table() of its
// declaration. Every registered model and generator has one. On a mismatch the test prints the
// table to paste.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "tpp/data/text_features.h"
#include "tpp/data/user_id_features.h"
#include "tpp/models/registry.h"
#include "tpp/sim/complex_stimuli.h"
#include "tpp/sim/generator_registry.h"
#include "tpp/train/trainer.h"

namespace tpp {
namespace {

// NAME -> (file, table text) for every marked block in the markdown files under docs/ and experiments/.
std::map<std::string, std::pair<std::string, std::string>> docs_tables() {
  std::map<std::string, std::pair<std::string, std::string>> out;
  const std::string open = "<!-- config-keys: ", close = "<!-- /config-keys -->";
  const std::filesystem::path root(TPP_SOURCE_DIR);
  for (const char* folder : {"docs", "experiments"}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root / folder)) {
      if (entry.path().extension() != ".md") continue;
      const std::string file = std::filesystem::relative(entry.path(), root).string();
      std::ifstream in(entry.path());
      std::stringstream buffer;
      buffer << in.rdbuf();
      const std::string text = buffer.str();
      for (std::size_t at = text.find(open); at != std::string::npos; at = text.find(open, at + 1)) {
        const std::size_t name_end = text.find(" -->\n", at);
        const std::size_t end = text.find(close, name_end);
        if (name_end == std::string::npos || end == std::string::npos) {
          ADD_FAILURE() << file << ": unclosed config-keys block";
          break;
        }
        const std::string name = text.substr(at + open.size(), name_end - at - open.size());
        const std::size_t body = name_end + 5;
        EXPECT_FALSE(out.count(name)) << name << " has two tables";
        out[name] = {file, text.substr(body, end - body)};
      }
    }
  }
  return out;
}

TEST(ConfigDocs, KeyTablesMatchTheDeclarations) {
  std::map<std::string, std::vector<ConfigKeyDoc>> declared;
  for (const auto& name : ModelRegistry::instance().names()) declared[name] = ModelRegistry::instance().keys(name);
  declared["train"] = TrainConfig::fields().docs();
  declared["train.iptw"] = TrainConfig::iptw_fields().docs();
  for (const auto& name : GeneratorRegistry::instance().names())
    declared["generator." + name] = GeneratorRegistry::instance().get(name).keys;
  declared["generator.complex_stimuli.params"] = ComplexStimuliParams::fields().docs();
  declared["text_features"] = TextFeaturesConfig::fields().docs();
  declared["user_ids"] = UserIdsConfig::fields().docs();
  const auto tables = docs_tables();
  for (const auto& [name, keys] : declared) {
    const std::string expected = config_key_table(keys);
    auto found = tables.find(name);
    if (found == tables.end()) {
      ADD_FAILURE() << "no key table for \"" << name << "\" in docs/ or experiments/; add\n<!-- config-keys: " << name << " -->\n"
                    << expected << "<!-- /config-keys -->";
      continue;
    }
    EXPECT_EQ(found->second.second, expected) << found->second.first << ": table of \"" << name
                                             << "\" differs from its declaration; it should read\n"
                                             << expected;
  }
  for (const auto& [name, table] : tables) EXPECT_TRUE(declared.count(name)) << table.first << ": no config \"" << name << "\"";
}

}  // namespace
}  // namespace tpp
