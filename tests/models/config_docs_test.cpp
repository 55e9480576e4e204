// The key tables in docs/*.md are the field declarations' own: each sits between
//   <!-- config-keys: NAME -->  and  <!-- /config-keys -->
// (NAME a registered model, "train" or "train.iptw") and must equal config_key_table() of its declaration. Every
// registered model has one. On a mismatch the test prints the table to paste.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "tpp/models/registry.h"
#include "tpp/train/trainer.h"

namespace tpp {
namespace {

// NAME -> (file, table text) for every marked block in docs/.
std::map<std::string, std::pair<std::string, std::string>> docs_tables() {
  std::map<std::string, std::pair<std::string, std::string>> out;
  const std::string open = "<!-- config-keys: ", close = "<!-- /config-keys -->";
  for (const auto& entry : std::filesystem::directory_iterator(std::string(TPP_SOURCE_DIR) + "/docs")) {
    if (entry.path().extension() != ".md") continue;
    std::ifstream in(entry.path());
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    for (std::size_t at = text.find(open); at != std::string::npos; at = text.find(open, at + 1)) {
      const std::size_t name_end = text.find(" -->\n", at);
      const std::size_t end = text.find(close, name_end);
      if (name_end == std::string::npos || end == std::string::npos) {
        ADD_FAILURE() << entry.path() << ": unclosed config-keys block";
        break;
      }
      const std::string name = text.substr(at + open.size(), name_end - at - open.size());
      const std::size_t body = name_end + 5;
      EXPECT_FALSE(out.count(name)) << name << " has two tables";
      out[name] = {entry.path().filename().string(), text.substr(body, end - body)};
    }
  }
  return out;
}

TEST(ConfigDocs, KeyTablesMatchTheDeclarations) {
  std::map<std::string, std::vector<ConfigKeyDoc>> declared;
  for (const auto& name : ModelRegistry::instance().names()) declared[name] = ModelRegistry::instance().keys(name);
  declared["train"] = TrainConfig::fields().docs();
  declared["train.iptw"] = TrainConfig::iptw_fields().docs();
  const auto tables = docs_tables();
  for (const auto& [name, keys] : declared) {
    const std::string expected = config_key_table(keys);
    auto found = tables.find(name);
    if (found == tables.end()) {
      ADD_FAILURE() << "no key table for \"" << name << "\" in docs/; add\n<!-- config-keys: " << name << " -->\n"
                    << expected << "<!-- /config-keys -->";
      continue;
    }
    EXPECT_EQ(found->second.second, expected) << "docs/" << found->second.first << ": table of \"" << name
                                             << "\" differs from its declaration; it should read\n"
                                             << expected;
  }
  for (const auto& [name, table] : tables) EXPECT_TRUE(declared.count(name)) << "docs/" << table.first << ": no config \"" << name << "\"";
}

}  // namespace
}  // namespace tpp
