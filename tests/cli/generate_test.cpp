// `tpp generate` in-process: files, schema with the affects map, determinism, bad input.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cli_test_support.h"
#include "tpp/cli/generate.h"
#include "tpp/core/error.h"

namespace tpp {
namespace {

std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> rows;
  for (std::string line; std::getline(in, line);) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

using testing::slurp;

TEST(GenerateCli, WritesEcommerceEventLogUsersSchemaAndPlot) {
  testing::TempDir dir;
  GenerateOptions o;
  o.process = "ecommerce";
  o.params = {"num_categories=3", "t_end=30"};
  o.n_seq = 4;
  o.seed = 3;
  o.output = dir.file("shop.jsonl");
  o.plot = dir.file("shop.svg");
  o.quiet = true;
  ASSERT_EQ(run_generate(o), 0);
  const auto paths = generated_paths(o.output);
  EXPECT_EQ(paths.users, dir.file("shop.users.jsonl"));
  const auto events = read_jsonl(paths.events);
  const auto users = read_jsonl(paths.users);
  ASSERT_EQ(users.size(), 4u);
  EXPECT_EQ(users[0]["features"].size(), 4u);
  EXPECT_EQ(users[0]["t_end"], 30.0);
  const nlohmann::json schema = nlohmann::json::parse(slurp(paths.schema));
  EXPECT_EQ(schema["num_action_types"], 3);
  EXPECT_EQ(schema["num_stimulus_types"], 8);
  EXPECT_EQ(schema["affects"][0], nlohmann::json::array({0}));
  EXPECT_EQ(schema["affects"][3], nlohmann::json::array({0, 1, 2}));
  EXPECT_EQ(schema["stimulus_names"][4], "expiry:groceries");
  std::size_t stimuli = 0;
  for (const auto& row : events) {
    ASSERT_TRUE(row.contains("user") && row.contains("time") && row.contains("type") && row.contains("stimulus"));
    if (row["stimulus"].get<bool>()) {
      ++stimuli;
      EXPECT_TRUE(row.contains("text"));
    }
  }
  EXPECT_GT(stimuli, 0u);
  const std::string svg = slurp(o.plot);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  // Same seed, same bytes.
  GenerateOptions again = o;
  again.output = dir.file("again.jsonl");
  again.plot.clear();
  ASSERT_EQ(run_generate(again), 0);
  EXPECT_EQ(slurp(again.output), slurp(o.output));
}

TEST(GenerateCli, RejectsBadInput) {
  testing::TempDir dir;
  GenerateOptions o;
  o.process = "stimulus_count";
  o.n_seq = 2;
  o.output = dir.file("x.jsonl");
  o.quiet = true;
  o.params = {"num_stimulus=3"};  // typo: unknown key
  EXPECT_THROW(run_generate(o), Error);
  o.params = {"alpha=1.5"};
  EXPECT_THROW(run_generate(o), Error);
  o.params = {"num_stimuli=2"};
  o.process = "hawkes";
  EXPECT_THROW(run_generate(o), Error);
  o.process = "complex_stimuli";
  o.params = {};
  o.output = dir.file("missing_dir/x.jsonl");
  EXPECT_THROW(run_generate(o), Error);
}

}  // namespace
}  // namespace tpp
